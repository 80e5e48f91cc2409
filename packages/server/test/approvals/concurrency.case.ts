/**
 * The concurrency bar, shared by the SQLite run (concurrency.test.ts) and the PostgreSQL run
 * (known-bugs.test.ts until it passes): 1,000 concurrent decisions on 100 approvals through the
 * HTTP API. Each approval is decided exactly once and every action is executed at most once —
 * approved ones exactly once, rejected ones never.
 */
import { expect } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { startTestGatehouse, type InjectResult } from '../helpers/gatehouse.js';
import { agentWrites, crmOf } from '../helpers/sandbox.js';
import { approvalsConfigText, auditEntries, decide, GATED, submitUpdate } from './harness.js';

const APPROVALS = 100;
/** Ten different people per approval: seven approve, three reject, all at once. */
const APPROVERS = ['sam', 'lee', 'kim', 'a1', 'a2', 'a3', 'a4'];
const REJECTERS = ['a5', 'a6', 'a7'];

/** A deterministic shuffle (xorshift): a failure replays with the same request order. */
function shuffle<T>(items: T[], seed: number): T[] {
  let s = seed || 1;
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const j = Math.abs(s) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export async function concurrencyBar(storageUrl?: string): Promise<void> {
  const clock = createManualClock('2026-03-02T10:00:00.000Z');
  const t = await startTestGatehouse({
    configText: approvalsConfigText({ contacts: 200, ...(storageUrl ? { storageUrl } : {}) }),
    clock,
  });
  try {
    const crm = crmOf(t.gh);
    const contacts = (await crm.list('contacts', { limit: APPROVALS })).results;
    expect(contacts).toHaveLength(APPROVALS);

    // Two bursts of 50 submissions: the agent may propose 60 actions a minute.
    const pending: { approvalId: string; actionId: string; contactId: string }[] = [];
    for (let from = 0; from < APPROVALS; from += 50) {
      clock.advance(60_000);
      const submitted = await Promise.all(
        contacts.slice(from, from + 50).map((c, i) => submitUpdate(t, GATED, c.id, `u_conc_${from + i}`)),
      );
      for (const [i, r] of submitted.entries()) {
        expect(r.status, r.body).toBe(202);
        pending.push({ approvalId: r.json.approval.id, actionId: r.json.id, contactId: contacts[from + i]!.id });
      }
    }

    const requests = pending.flatMap(({ approvalId }, i) =>
      shuffle(
        [
          ...APPROVERS.map((p) => ({ approvalId, person: p, body: { decision: 'approve' } })),
          ...REJECTERS.map((p) => ({ approvalId, person: p, body: { decision: 'reject', comment: `${p} says no` } })),
        ],
        i + 1,
      ),
    );
    expect(requests).toHaveLength(1_000);
    const answers: (InjectResult & { approvalId: string })[] = await Promise.all(
      requests.map(async (q) => ({ ...(await decide(t, q.person, q.approvalId, q.body)), approvalId: q.approvalId })),
    );

    // Every answer is a recorded vote, a final decision, or "already decided" — never an error.
    for (const a of answers) {
      expect([200, 409], a.body).toContain(a.status);
      if (a.status === 409) expect(a.json.error.code).toBe('already_decided');
    }

    const audit = await auditEntries(t.gh);
    const decidedBy = new Map<string, number>();
    for (const e of audit)
      if (e.type === 'approval.decided') decidedBy.set(e.subject ?? '', (decidedBy.get(e.subject ?? '') ?? 0) + 1);
    const executedBy = new Map<string, number>();
    for (const e of audit)
      if (e.type === 'action.executed') executedBy.set(e.subject ?? '', (executedBy.get(e.subject ?? '') ?? 0) + 1);

    let approved = 0;
    for (const { approvalId, actionId, contactId } of pending) {
      const mine = answers.filter((a) => a.approvalId === approvalId);
      const winners = mine.filter((a) => a.status === 200 && ['approved', 'rejected'].includes(a.json.result));
      expect(winners, approvalId).toHaveLength(1);
      expect(decidedBy.get(approvalId), approvalId).toBe(1);

      const row = await t.gh.storage.approvals.get(approvalId);
      const action = await t.gh.storage.actions.get(actionId);
      const writes = await agentWrites(crm, 'contacts', contactId, GATED, 'owner_id');
      expect(row?.status).toBe(winners[0]?.json.result);
      if (row?.status === 'approved') {
        approved++;
        expect(action?.status).toBe('executed');
        expect(executedBy.get(actionId), actionId).toBe(1);
        expect(writes.map((w) => w.value)).toHaveLength(1);
      } else {
        expect(row?.status).toBe('rejected');
        expect(action?.status).toBe('rejected');
        expect(executedBy.get(actionId)).toBeUndefined();
        expect(writes).toEqual([]);
      }
      // Every vote that was answered 200 is recorded, and only those.
      const votes = await t.gh.storage.approvals.listVotes(approvalId);
      expect(votes.length).toBe(mine.filter((a) => a.status === 200).length);
    }
    // Both outcomes happened, so the bar tested racing approvals against racing rejections.
    expect(approved).toBeGreaterThan(0);
    expect(approved).toBeLessThan(APPROVALS);

    // Concurrent writers never forked the audit chain.
    const verified = await t.inject('GET', '/v1/audit/verify', t.keys.ana);
    expect(verified.status, verified.body).toBe(200);
    expect(verified.json.ok).toBe(true);
  } finally {
    await t.close();
  }
}
