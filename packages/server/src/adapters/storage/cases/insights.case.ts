import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AuditEntry, AuditHead, AuditSearch } from '../../../core/ports/storage.js';
import { at, HOUR, MINUTE, newApproval, seedAction, uid, type ContractContext } from './fixtures.case.js';

/** A stretch of time no other case uses, so whole-range counts see only this case's rows. */
const DAY = '2027-03-01T00:00:00.000Z';

type Draft = Pick<AuditEntry, 'type' | 'actor' | 'subject' | 'data'> & { at?: string };

function chain(head: AuditHead | null, drafts: readonly Draft[]): AuditEntry[] {
  let prevHash = head?.hash ?? 'genesis';
  let seq = head?.seq ?? 0;
  return drafts.map((d) => {
    seq += 1;
    const hash = createHash('sha256').update(`${prevHash}|${seq}|${d.type}`).digest('hex');
    const e: AuditEntry = { seq, at: d.at ?? DAY, ...d, prevHash, hash };
    prevHash = hash;
    return e;
  });
}

export function insightsCases(ctx: ContractContext): void {
  describe('insights (dashboard aggregates)', () => {
    it('counts actions per (agent, status) in one range, and per hour', async () => {
      const s = ctx.storage();
      const [a, b] = [uid('agent'), uid('agent')];
      const rows: [string, string, number, string?][] = [
        [a, 'executed', 0, uid('apr')],
        [a, 'executed', 10 * MINUTE],
        [a, 'denied', HOUR + MINUTE],
        [a, 'executed', HOUR + 2 * MINUTE],
        [b, 'pending_approval', 5 * MINUTE],
        // outside [DAY, DAY + 1 day)
        [a, 'executed', -MINUTE],
        [b, 'executed', 24 * HOUR],
      ];
      for (const [agentId, status, ms, approvalId] of rows)
        await seedAction(s, { agentId, status, createdAt: at(DAY, ms), ...(approvalId ? { approvalId } : {}) });

      const range = { since: DAY, before: at(DAY, 24 * HOUR) };
      const flat = (await s.insights.actionCounts(range)).filter((r) => r.agentId === a || r.agentId === b);
      const key = (r: { agentId: string; status: string; hour: string | null; viaApproval: boolean }) =>
        `${r.agentId}|${r.status}|${r.hour}${r.viaApproval ? '|approval' : ''}`;
      expect(Object.fromEntries(flat.map((r) => [key(r), r.count]))).toEqual({
        [`${a}|executed|null`]: 2,
        [`${a}|executed|null|approval`]: 1,
        [`${a}|denied|null`]: 1,
        [`${b}|pending_approval|null`]: 1,
      });

      const hourly = await s.insights.actionCounts({ ...range, agentId: a, byHour: true });
      expect(Object.fromEntries(hourly.map((r) => [key(r), r.count]))).toEqual({
        [`${a}|executed|${DAY}`]: 1,
        [`${a}|executed|${DAY}|approval`]: 1,
        [`${a}|executed|${at(DAY, HOUR)}`]: 1,
        [`${a}|denied|${at(DAY, HOUR)}`]: 1,
      });
      expect(await s.insights.actionCounts({ since: at(DAY, 30 * HOUR), agentId: a })).toEqual([]);
    });

    it('counts pending approvals per agent and an agent’s decided approvals', async () => {
      const s = ctx.storage();
      const agentId = uid('agent');
      const mk = async (status: 'pending' | 'approved' | 'rejected' | 'expired', outcome: unknown = null) => {
        const action = await seedAction(s, { agentId, status: 'pending_approval' });
        return s.approvals.insert(newApproval(action.id, { status, outcome }));
      };
      await mk('pending');
      await mk('pending');
      const plain = await mk('approved', { outcome: 'approved', by: ['lee'] });
      const edited = await mk('approved', { outcome: 'approved', by: ['lee'] });
      await mk('rejected', { outcome: 'rejected', by: ['lee'], comment: 'no' });
      await mk('rejected', { outcome: 'revise', by: ['lee'], comment: 'fix' });
      await mk('expired', { outcome: 'expired', by: [] });
      await s.approvals.addVote({ approvalId: plain.id, personId: 'lee', decision: 'approve', checklist: {}, at: DAY });
      await s.approvals.addVote({
        approvalId: edited.id,
        personId: 'lee',
        decision: 'approve',
        checklist: {},
        edits: { c_1: { owner_id: 'u_9' } },
        at: DAY,
      });

      const pending = await s.insights.pendingApprovalsByAgent();
      expect(pending.find((p) => p.agentId === agentId)?.count).toBe(2);
      expect(await s.insights.approvalDecisions(agentId)).toEqual({ approved: 2, rejected: 2, revised: 1, edited: 1 });
      expect(await s.insights.approvalDecisions(uid('agent'))).toEqual({
        approved: 0,
        rejected: 0,
        revised: 0,
        edited: 0,
      });
    });

    it('searches the audit log by type, time, agent, person, action and free text', async () => {
      const s = ctx.storage();
      const agent = uid('agent');
      const person = uid('person');
      const action = uid('act');
      const marker = uid('Needle');
      const appended = await s.audit.append((head) =>
        chain(head, [
          { type: 'action.decided', actor: `agent:${agent}`, subject: action, data: { action_id: action } },
          { type: 'approval.voted', actor: `person:${person}`, subject: uid('apr'), data: { action_id: action } },
          { type: 'agent.mode_changed', actor: 'system', subject: agent, data: { agent_id: agent, note: marker } },
          { type: 'action.executed', actor: `agent:${agent}`, subject: action, data: {}, at: at(DAY, HOUR) },
          { type: 'breaker.reset', actor: `person:${person}`, subject: 'b/all', data: { person_id: person } },
        ]),
      );
      const first = appended[0]!.seq - 1;
      const seqs = async (q: Partial<AuditSearch>) =>
        (await s.insights.searchAudit({ afterSeq: first, limit: 100, ...q })).map((e) => e.seq - first);

      expect(await seqs({ agentId: agent })).toEqual([1, 3, 4]);
      expect(await seqs({ personId: person })).toEqual([2, 5]);
      expect(await seqs({ actionId: action })).toEqual([1, 2, 4]);
      expect(await seqs({ type: 'action.', agentId: agent })).toEqual([1, 4]);
      expect(await seqs({ type: 'action.executed' })).toEqual([4]);
      expect(await seqs({ type: 'action', actionId: action })).toEqual([]);
      expect(await seqs({ text: marker.toLowerCase() })).toEqual([3]);
      expect(await seqs({ text: marker.toUpperCase() })).toEqual([3]);
      expect(await seqs({ text: '%' })).toEqual([]);
      expect(await seqs({ agentId: agent, from: at(DAY, HOUR) })).toEqual([4]);
      expect(await seqs({ agentId: agent, to: at(DAY, HOUR) })).toEqual([1, 3]);
      expect(await seqs({ actionId: action, order: 'desc', limit: 2 })).toEqual([4, 2]);
      expect(await seqs({ actionId: action, order: 'desc', beforeSeq: first + 2 })).toEqual([1]);
      // The entry comes back whole.
      const [one] = await s.insights.searchAudit({ afterSeq: first, limit: 1, text: marker });
      expect(one).toEqual(appended[2]);
    });
  });
}
