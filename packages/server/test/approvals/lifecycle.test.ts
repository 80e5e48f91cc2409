/**
 * The approval gate end to end through the HTTP API: a gated agent's write waits, a person sees
 * the diff and the checklist, decides, and the CRM changes only then. Rejections and revision
 * requests go back to the agent with the person's comment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import type { CrmRecord } from '../../src/core/ports/connector.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { agentWrites, allRecords, crmOf } from '../helpers/sandbox.js';
import { approvalsConfigText, auditEntries, auditFor, contactPool, decide, GATED, submitUpdate } from './harness.js';

const LAUNCH_ITEMS = ['brand-tone', 'unsubscribe-link', 'segment-correct'];
const allTicked = Object.fromEntries(LAUNCH_ITEMS.map((i) => [i, true]));

let t: TestGatehouse;
let campaigns: CrmRecord[];
let freshContact: () => CrmRecord;

beforeAll(async () => {
  t = await startTestGatehouse({
    configText: approvalsConfigText(),
    clock: createManualClock('2026-03-02T10:00:00.000Z'),
  });
  campaigns = await allRecords(crmOf(t.gh), 'campaigns');
  freshContact = await contactPool(t.gh);
});
afterAll(async () => {
  await t?.close();
});

const launchable = (status: string) => {
  const c = campaigns.find((x) => x.properties.status === status);
  if (!c) throw new Error(`no ${status} campaign in the sandbox`);
  return c;
};

describe('a gated launch: pending, reviewed, approved, executed', () => {
  it('waits for a person, binds the approval, shows the diff and checklist, and runs only when approved', async () => {
    const campaign = launchable('draft');
    const crm = crmOf(t.gh);
    const submitted = await t.inject('POST', '/v1/actions', t.keys['campaign-runner'], {
      connector: 'crm',
      object: 'campaigns',
      operation: 'launch',
      target: campaign.id,
      reason: 'Spring promo',
    });
    expect(submitted.status, submitted.body).toBe(202);
    expect(submitted.json.status).toBe('pending_approval');
    expect(submitted.json.approval).toMatchObject({ required: 1, status: 'pending' });
    const actionId: string = submitted.json.id;
    const approvalId: string = submitted.json.approval.id;
    expect((await crm.get('campaigns', campaign.id))?.properties.status).toBe('draft');
    // Approvers hear of it through the configured webhook (outbox, same transaction).
    const requested = await t.gh.storage.deliveries.list({
      event: 'approval.requested',
      subject: approvalId,
      limit: 5,
    });
    expect(requested.map((d) => d.channel)).toEqual(['webhook']);

    // Bound to the exact bytes and the rules in force.
    const row = await t.gh.storage.approvals.get(approvalId);
    expect(row).toMatchObject({
      actionId,
      changesetHash: submitted.json.changeset.hash,
      policyVersion: t.gh.pipeline.policyVersion,
      agentVersion: t.gh.pipeline.agents.get('campaign-runner')?.version,
      status: 'pending',
      required: 1,
      role: 'approver',
    });
    expect(row?.agentVersion).toMatch(/^[0-9a-f]{64}$/);

    // What the approver sees: diff, rules, checklist with descriptions, quorum progress.
    const view = await t.inject('GET', `/v1/approvals/${approvalId}`, t.keys.lee);
    expect(view.status, view.body).toBe(200);
    expect(view.json).toMatchObject({
      id: approvalId,
      status: 'pending',
      required: 1,
      approvals: 0,
      changeset_hash: submitted.json.changeset.hash,
      votes: [],
    });
    expect(view.json.checklist).toEqual([
      { id: 'brand-tone', description: 'The copy matches the brand book.' },
      { id: 'unsubscribe-link', description: 'unsubscribe link' },
      { id: 'segment-correct', description: 'segment correct' },
    ]);
    expect(view.json.action.decision.rules).toEqual(['launches-need-approval']);
    expect(view.json.action.changeset.records[0]).toMatchObject({
      id: campaign.id,
      before: { status: 'draft' },
      after: { status: 'active' },
      reversibility: 'irreversible',
    });

    // Every item must be ticked; an unticked (or false) one is named, and nothing is recorded.
    const incomplete = await decide(t, 'lee', approvalId, {
      decision: 'approve',
      checklist: { 'brand-tone': true, 'unsubscribe-link': true, 'segment-correct': false },
    });
    expect(incomplete.status, incomplete.body).toBe(422);
    expect(incomplete.json.error.code).toBe('checklist_incomplete');
    expect(incomplete.json.error.details.missing).toEqual(['segment-correct']);
    const noTicks = await decide(t, 'lee', approvalId, { decision: 'approve' });
    expect(noTicks.status).toBe(422);
    expect(await t.gh.storage.approvals.listVotes(approvalId)).toEqual([]);
    expect((await t.gh.storage.approvals.get(approvalId))?.status).toBe('pending');

    const approved = await decide(t, 'lee', approvalId, {
      decision: 'approve',
      checklist: allTicked,
      comment: 'Looks right',
    });
    expect(approved.status, approved.body).toBe(200);
    expect(approved.json.result).toBe('approved');
    expect(approved.json.action.status).toBe('executed');
    expect(approved.json.approval).toMatchObject({ status: 'approved', approvals: 1 });

    // The CRM changed, written by the agent through Gatehouse.
    expect((await crm.get('campaigns', campaign.id))?.properties.status).toBe('active');
    const [write] = await agentWrites(crm, 'campaigns', campaign.id, 'campaign-runner', 'status');
    expect(write).toMatchObject({ value: 'active', source: 'gatehouse' });

    // Who approved, with which ticks, in the audit log.
    const [voted] = await auditFor(t.gh, approvalId, 'approval.voted');
    expect(voted).toMatchObject({
      actor: 'person:lee',
      data: {
        person_id: 'lee',
        decision: 'approve',
        checklist: allTicked,
        changeset_hash: submitted.json.changeset.hash,
        channel: 'api',
        comment: 'Looks right',
      },
    });
    const decided = await auditFor(t.gh, approvalId, 'approval.decided');
    expect(decided).toHaveLength(1);
    expect(decided[0]).toMatchObject({
      actor: 'person:lee',
      data: { outcome: 'approved', by: ['lee'], action_id: actionId, changeset_hash: submitted.json.changeset.hash },
    });
    expect((await auditFor(t.gh, actionId, 'action.executed')).length).toBe(1);
    const announced = await t.gh.storage.deliveries.list({ event: 'approval.decided', subject: approvalId, limit: 5 });
    expect(announced.map((d) => d.payload)).toEqual([
      expect.objectContaining({ outcome: 'approved', decided_by: ['lee'] }),
    ]);

    const seen = await t.inject('GET', `/v1/actions/${actionId}`, t.keys['campaign-runner']);
    expect(seen.status).toBe(200);
    expect(seen.json).toMatchObject({ id: actionId, status: 'executed', approval: { id: approvalId } });
  });

  it('reading approvals never decides anything: GETs write no audit entry and change no row', async () => {
    const c = freshContact();
    const r = await submitUpdate(t, GATED, c.id, 'u_read_only');
    const id: string = r.json.approval.id;
    const before = (await auditEntries(t.gh)).length;
    const row = await t.gh.storage.approvals.get(id);
    for (const url of [`/v1/approvals/${id}`, '/v1/approvals?status=pending', `/v1/actions/${r.json.id}`])
      expect((await t.inject('GET', url, t.keys.sam)).status).toBe(200);
    expect((await auditEntries(t.gh)).length).toBe(before);
    expect(await t.gh.storage.approvals.get(id)).toEqual(row);
  });
});

describe('reject and request revision: the comment goes back to the agent', () => {
  it('a rejection ends the action; the agent reads the comment in error.message; the CRM is untouched', async () => {
    const c = freshContact();
    const crm = crmOf(t.gh);
    const callbackUrl = 'https://n8n.example.com/webhook-waiting/4711';
    const r = await submitUpdate(t, GATED, c.id, 'u_rejected', { callback_url: callbackUrl });
    expect(r.status).toBe(202);
    const out = await decide(t, 'sam', r.json.approval.id, {
      decision: 'reject',
      comment: 'u_rejected left the company',
    });
    expect(out.status, out.body).toBe(200);
    expect(out.json.result).toBe('rejected');
    expect(out.json.approval.status).toBe('rejected');

    const seen = await t.inject('GET', `/v1/actions/${r.json.id}`, t.keys[GATED]);
    expect(seen.json.status).toBe('rejected');
    expect(seen.json.error).toMatchObject({ code: 'rejected', message: 'u_rejected left the company' });
    expect(await agentWrites(crm, 'contacts', c.id, GATED)).toEqual([]);
    const [decided] = await auditFor(t.gh, r.json.approval.id, 'approval.decided');
    expect(decided?.data).toMatchObject({ outcome: 'rejected', by: ['sam'], comment: 'u_rejected left the company' });
    // The workflow waiting on the agent's callback URL (an n8n resume URL) gets the decision.
    const deliveries = await t.gh.storage.deliveries.list({ subject: r.json.approval.id, limit: 10 });
    const callbacks = deliveries.filter((d) => d.channel === 'callback');
    expect(callbacks.map((d) => d.target)).toEqual([callbackUrl]);
    expect(callbacks[0]?.payload).toMatchObject({
      approval_id: r.json.approval.id,
      action_id: r.json.id,
      decision: 'rejected',
      comment: 'u_rejected left the company',
      decided_by: ['sam'],
    });
  });

  it('a revision request returns the comment; the agent’s next proposal links to it and is judged afresh', async () => {
    const c = freshContact();
    const crm = crmOf(t.gh);
    const first = await submitUpdate(t, GATED, c.id, 'u_wrong');
    const out = await decide(t, 'lee', first.json.approval.id, {
      decision: 'revise',
      comment: 'Route to u_emea_2 instead',
    });
    expect(out.status, out.body).toBe(200);
    expect(out.json.result).toBe('revision_requested');

    const seen = await t.inject('GET', `/v1/actions/${first.json.id}`, t.keys[GATED]);
    expect(seen.json.status).toBe('revision_requested');
    expect(seen.json.error).toMatchObject({ code: 'revision_requested', message: 'Route to u_emea_2 instead' });
    expect(await agentWrites(crm, 'contacts', c.id, GATED)).toEqual([]);

    const second = await submitUpdate(t, GATED, c.id, 'u_emea_2', { parent_action_id: first.json.id });
    expect(second.status, second.body).toBe(202);
    expect(second.json.parent_action_id).toBe(first.json.id);
    expect(second.json.approval.id).not.toBe(first.json.approval.id);
    const again = await t.inject('GET', `/v1/actions/${second.json.id}`, t.keys[GATED]);
    expect(again.json).toMatchObject({ parent_action_id: first.json.id, status: 'pending_approval' });
    const done = await decide(t, 'lee', second.json.approval.id, { decision: 'approve' });
    expect(done.json.action.status).toBe('executed');
    expect((await crm.get('contacts', c.id))?.properties.owner_id).toBe('u_emea_2');
  });

  it.each(['reject', 'revise'])(
    '%s without a comment (or a blank one) is 400 and records nothing',
    async (decision) => {
      const c = freshContact();
      const r = await submitUpdate(t, GATED, c.id, 'u_no_comment');
      const id: string = r.json.approval.id;
      for (const body of [{ decision }, { decision, comment: '   ' }]) {
        const out = await decide(t, 'sam', id, body);
        expect(out.status, out.body).toBe(400);
        expect(out.json.error.code).toBe('invalid_request');
      }
      expect(await t.gh.storage.approvals.listVotes(id)).toEqual([]);
      expect((await t.gh.storage.approvals.get(id))?.status).toBe('pending');
      expect((await t.inject('GET', `/v1/actions/${r.json.id}`, t.keys[GATED])).json.status).toBe('pending_approval');
    },
  );
});
