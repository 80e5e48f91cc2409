/**
 * Who may decide: people with the approval's role, never the agent's owner (separation of
 * duties), each person once; a quorum of two needs two different eligible people; a decided
 * approval stays decided.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import type { CrmRecord } from '../../src/core/ports/connector.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { agentWrites, allRecords, crmOf, inUsCa } from '../helpers/sandbox.js';
import { approvalsConfigText, auditFor, decide } from './harness.js';

const LAUNCH_TICKS = { 'brand-tone': true, 'unsubscribe-link': true, 'segment-correct': true };

let t: TestGatehouse;
let campaigns: CrmRecord[];
let contacts: CrmRecord[];

beforeAll(async () => {
  t = await startTestGatehouse({
    configText: approvalsConfigText(),
    clock: createManualClock('2026-03-02T10:00:00.000Z'),
  });
  campaigns = await allRecords(crmOf(t.gh), 'campaigns');
  contacts = await allRecords(crmOf(t.gh), 'contacts');
});
afterAll(async () => {
  await t?.close();
});

describe('roles and separation of duties', () => {
  it('the owner, an auditor, an agent and an unknown key cannot decide; an approver can', async () => {
    const campaign = campaigns.find((c) => c.properties.status === 'scheduled');
    if (!campaign) throw new Error('no scheduled campaign in the sandbox');
    const r = await t.inject('POST', '/v1/actions', t.keys['campaign-runner'], {
      connector: 'crm',
      object: 'campaigns',
      operation: 'launch',
      target: campaign.id,
      reason: 'Launch the scheduled campaign now',
    });
    expect(r.status, r.body).toBe(202);
    const id: string = r.json.approval.id;
    const body = { decision: 'approve', checklist: LAUNCH_TICKS };

    const owner = await decide(t, 'maria', id, body);
    expect(owner.status, owner.body).toBe(403);
    expect(owner.json.error.code).toBe('separation_of_duties');

    const auditor = await decide(t, 'ana', id, body);
    expect(auditor.status).toBe(403);
    expect(auditor.json.error.code).toBe('forbidden');
    // The auditor may still read it.
    expect((await t.inject('GET', `/v1/approvals/${id}`, t.keys.ana)).status).toBe(200);

    const agent = await decide(t, 'campaign-runner', id, body);
    expect(agent.status).toBe(403);
    const anonymous = await t.inject('POST', `/v1/approvals/${id}/decision`, 'gh_person_not_a_key', body);
    expect(anonymous.status).toBe(401);

    expect(await t.gh.storage.approvals.listVotes(id)).toEqual([]);
    expect(await auditFor(t.gh, id, 'approval.voted')).toEqual([]);
    expect((await crmOf(t.gh).get('campaigns', campaign.id))?.properties.status).toBe('scheduled');

    const ok = await decide(t, 'sam', id, body);
    expect(ok.status, ok.body).toBe(200);
    expect(ok.json.action.status).toBe('executed');

    const unknown = await decide(t, 'sam', 'apr_does_not_exist', body);
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('approval_not_found');
  });
});

describe('quorum of two (big-batches-need-two on lead-router, owner sam)', () => {
  it('counts distinct eligible people: one vote is progress, the second decides and executes', async () => {
    const batch = contacts.filter(inUsCa).slice(0, 101);
    expect(batch).toHaveLength(101);
    const r = await t.inject('POST', '/v1/actions', t.keys['lead-router'], {
      connector: 'crm',
      object: 'contacts',
      operation: 'update',
      records: batch.map((c, i) => ({ id: c.id, changes: { owner_id: `u_q${i}` } })),
      reason: 'Rebalance the US/CA territory',
    });
    expect(r.status, r.body).toBe(202);
    expect(r.json.decision.rules).toContain('big-batches-need-two');
    expect(r.json.approval.required).toBe(2);
    const id: string = r.json.approval.id;
    const crm = crmOf(t.gh);

    const first = await decide(t, 'maria', id, { decision: 'approve' });
    expect(first.status, first.body).toBe(200);
    expect(first.json.result).toBe('vote_recorded');
    expect(first.json.approval).toMatchObject({ status: 'pending', approvals: 1, required: 2 });
    expect(first.json.action.status).toBe('pending_approval');
    expect((await t.inject('GET', `/v1/approvals/${id}`, t.keys.lee)).json).toMatchObject({
      approvals: 1,
      required: 2,
      votes: [{ person: 'maria', decision: 'approve' }],
    });

    const twice = await decide(t, 'maria', id, { decision: 'approve' });
    expect(twice.status, twice.body).toBe(409);
    expect(twice.json.error.code).toBe('already_voted');

    const owner = await decide(t, 'sam', id, { decision: 'approve' });
    expect(owner.status).toBe(403);
    expect(owner.json.error.code).toBe('separation_of_duties');

    // Still one vote, nothing written.
    expect((await t.gh.storage.approvals.get(id))?.status).toBe('pending');
    expect(await agentWrites(crm, 'contacts', batch[0]!.id, 'lead-router')).toEqual([]);

    const second = await decide(t, 'lee', id, { decision: 'approve' });
    expect(second.status, second.body).toBe(200);
    expect(second.json.result).toBe('approved');
    expect(second.json.approval).toMatchObject({ status: 'approved', approvals: 2 });
    expect(second.json.action.status).toBe('executed');
    for (const [i, c] of batch.entries()) {
      const writes = await agentWrites(crm, 'contacts', c.id, 'lead-router', 'owner_id');
      expect(writes.map((w) => w.value)).toEqual([`u_q${i}`]);
    }
    const [decided] = await auditFor(t.gh, id, 'approval.decided');
    expect(decided?.data).toMatchObject({ outcome: 'approved', by: ['maria', 'lee'] });

    for (const [person, decision] of [
      ['lee', 'approve'],
      ['kim', 'approve'],
      ['kim', 'reject'],
    ] as const) {
      const late = await decide(t, person, id, { decision, comment: 'too late' });
      expect(late.status, late.body).toBe(409);
      expect(late.json.error.code).toBe('already_decided');
    }
    expect(await auditFor(t.gh, id, 'approval.decided')).toHaveLength(1);
    expect((await auditFor(t.gh, r.json.id, 'action.executed')).length).toBe(1);
  });
});
