/**
 * Time: an approval nobody decides expires after `approvals.expire_after` (24h in the example)
 * and expiry is a rejection; the escalation ladder (4h → admin) fires once per rung. Deadlines
 * live in the database, so both survive restarts. Driven by an injected clock, never by sleeping.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepApprovals } from '../../src/core/approvals/index.js';
import { createManualClock } from '../../src/core/clock.js';
import type { CrmRecord } from '../../src/core/ports/connector.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { agentWrites, crmOf } from '../helpers/sandbox.js';
import {
  approvalsConfigText,
  auditEntries,
  auditFor,
  contactPool,
  decide,
  GATED,
  openGatehouse,
  submitUpdate,
  tempDir,
} from './harness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const clock = createManualClock('2026-03-02T10:00:00.000Z');
let t: TestGatehouse;
let freshContact: () => CrmRecord;

beforeAll(async () => {
  t = await startTestGatehouse({ configText: approvalsConfigText(), clock });
  freshContact = await contactPool(t.gh);
});
afterAll(async () => {
  await t?.close();
});

async function pendingUpdate() {
  const c = freshContact();
  const r = await submitUpdate(t, GATED, c.id, 'u_waiting');
  expect(r.status, r.body).toBe(202);
  return { c, actionId: r.json.id as string, approvalId: r.json.approval.id as string };
}

describe('expiry is a rejection', () => {
  it('the sweep expires the approval exactly at expire_after; the agent sees approval_expired; nothing runs', async () => {
    const { c, actionId, approvalId } = await pendingUpdate();
    clock.advance(DAY - 1);
    await sweepApprovals(t.gh.pipeline);
    expect((await t.gh.storage.approvals.get(approvalId))?.status).toBe('pending');

    clock.advance(1);
    await sweepApprovals(t.gh.pipeline);
    expect((await t.gh.storage.approvals.get(approvalId))?.status).toBe('expired');
    const seen = await t.inject('GET', `/v1/actions/${actionId}`, t.keys[GATED]);
    expect(seen.json.status).toBe('expired');
    expect(seen.json.error.code).toBe('approval_expired');
    const expired = await auditFor(t.gh, approvalId, 'approval.expired');
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({ actor: 'system', data: { outcome: 'expired', action_id: actionId, by: [] } });

    const late = await decide(t, 'sam', approvalId, { decision: 'approve' });
    expect(late.status, late.body).toBe(409);
    expect(late.json.error.code).toBe('already_decided');
    await sweepApprovals(t.gh.pipeline);
    expect(await auditFor(t.gh, approvalId, 'approval.expired')).toHaveLength(1);
    expect(await agentWrites(crmOf(t.gh), 'contacts', c.id, GATED)).toEqual([]);
  });

  it('a decision arriving after the deadline, before any sweep, is refused and expires it; a GET does not', async () => {
    const { actionId, approvalId } = await pendingUpdate();
    clock.advance(DAY);
    const entries = (await auditEntries(t.gh)).length;
    expect((await t.inject('GET', `/v1/approvals/${approvalId}`, t.keys.sam)).status).toBe(200);
    expect((await auditEntries(t.gh)).length).toBe(entries);

    const late = await decide(t, 'sam', approvalId, { decision: 'approve' });
    expect(late.status, late.body).toBe(409);
    expect(late.json.error).toMatchObject({ code: 'already_decided', details: { status: 'expired' } });
    expect(await t.gh.storage.approvals.listVotes(approvalId)).toEqual([]);
    expect((await t.gh.storage.actions.get(actionId))?.status).toBe('expired');
    expect(await auditFor(t.gh, approvalId, 'approval.expired')).toHaveLength(1);
  });
});

describe('escalation', () => {
  it('after 4h the approval escalates once (audit + approval.escalated event for the admin role)', async () => {
    const { approvalId, actionId } = await pendingUpdate();
    const deps = t.gh.pipeline;

    clock.advance(4 * HOUR - 1);
    await sweepApprovals(deps);
    expect((await t.gh.storage.approvals.get(approvalId))?.escalationLevel).toBe(0);
    expect(await auditFor(t.gh, approvalId, 'approval.escalated')).toEqual([]);

    clock.advance(1);
    await sweepApprovals(deps);
    const row = await t.gh.storage.approvals.get(approvalId);
    expect(row).toMatchObject({ status: 'pending', escalationLevel: 1, nextEscalationAt: null });
    const escalated = await auditFor(t.gh, approvalId, 'approval.escalated');
    expect(escalated).toHaveLength(1);
    expect(escalated[0]).toMatchObject({
      actor: 'system',
      data: { approval_id: approvalId, action_id: actionId, level: 1, notify: { role: 'admin' } },
    });
    const events = await t.gh.storage.deliveries.list({ event: 'approval.escalated', subject: approvalId, limit: 10 });
    expect(events).toHaveLength(1);
    expect(events[0]?.payload).toMatchObject({ level: 1, notify: { role: 'admin' }, approval: { id: approvalId } });

    // One rung: later sweeps do not escalate again, and the approval is still decidable.
    clock.advance(HOUR);
    await sweepApprovals(deps);
    expect(await auditFor(t.gh, approvalId, 'approval.escalated')).toHaveLength(1);
    expect((await decide(t, 'lee', approvalId, { decision: 'approve' })).json.action.status).toBe('executed');
  });
});

describe('restarts: deadlines live in the database', () => {
  const text = approvalsConfigText({ contacts: 60 });

  it('a gatehouse started after the deadline expires the approval at start', async () => {
    const tmp = tempDir();
    const clk = createManualClock('2026-03-02T10:00:00.000Z');
    try {
      const first = await openGatehouse(tmp.dir, text, clk);
      const [contact] = (await crmOf(first.gh).list('contacts', { limit: 1 })).results;
      const r = await submitUpdate(first, GATED, contact!.id, 'u_before_restart');
      expect(r.status, r.body).toBe(202);
      await first.close();

      clk.advance(DAY + HOUR);
      const second = await openGatehouse(tmp.dir, text, clk);
      try {
        expect((await second.gh.storage.approvals.get(r.json.approval.id))?.status).toBe('expired');
        const seen = await second.inject('GET', `/v1/actions/${r.json.id}`, second.keys[GATED]);
        expect(seen.json).toMatchObject({ status: 'expired', error: { code: 'approval_expired' } });
        expect(await auditFor(second.gh, r.json.approval.id, 'approval.expired')).toHaveLength(1);
        expect(await agentWrites(crmOf(second.gh), 'contacts', contact!.id, GATED)).toEqual([]);
      } finally {
        await second.close();
      }
    } finally {
      tmp.remove();
    }
  });

  it('a restart before the deadline keeps it pending; it escalates and expires on time afterwards', async () => {
    const tmp = tempDir();
    const clk = createManualClock('2026-03-02T10:00:00.000Z');
    try {
      const first = await openGatehouse(tmp.dir, text, clk);
      const [contact] = (await crmOf(first.gh).list('contacts', { limit: 1 })).results;
      const r = await submitUpdate(first, GATED, contact!.id, 'u_survives');
      const id: string = r.json.approval.id;
      await first.close();

      clk.advance(HOUR);
      const second = await openGatehouse(tmp.dir, text, clk);
      try {
        const listed = await second.inject('GET', '/v1/approvals?status=pending', second.keys.sam);
        expect(listed.json.results.map((a: { id: string }) => a.id)).toContain(id);

        clk.advance(3 * HOUR);
        await sweepApprovals(second.gh.pipeline);
        expect((await second.gh.storage.approvals.get(id))?.escalationLevel).toBe(1);

        clk.advance(DAY - 4 * HOUR - 1);
        await sweepApprovals(second.gh.pipeline);
        expect((await second.gh.storage.approvals.get(id))?.status).toBe('pending');
        clk.advance(1);
        await sweepApprovals(second.gh.pipeline);
        expect((await second.gh.storage.approvals.get(id))?.status).toBe('expired');
        expect((await second.gh.storage.actions.get(r.json.id))?.status).toBe('expired');
      } finally {
        await second.close();
      }
    } finally {
      tmp.remove();
    }
  });
});
