import { describe, expect, it } from 'vitest';
import type { BreakerRow } from '../../../core/ports/storage.js';
import {
  at,
  expectStorageError,
  HOUR,
  MINUTE,
  newApproval,
  seedAction,
  T0,
  uid,
  type ContractContext,
} from './fixtures.case.js';

const breaker = (over: Partial<BreakerRow> = {}): BreakerRow => ({
  breakerId: uid('brk'),
  scopeKey: 'agent:lead-router',
  state: 'closed',
  version: 1,
  since: T0,
  reason: { note: 'initial' },
  consecutiveFails: 0,
  probeBudget: 3,
  updatedAt: T0,
  updatedBy: 'system',
  ...over,
});

export function approvalCases(ctx: ContractContext): void {
  describe('approvals', () => {
    it('round-trips an approval and decides it with a compare-and-set', async () => {
      const s = ctx.storage();
      const action = await seedAction(s);
      const input = newApproval(action.id);
      const row = await s.approvals.insert(input);
      expect(row).toEqual({ ...input, nextEscalationAt: null, decidedAt: null, outcome: null, version: 1 });
      expect(await s.approvals.get(input.id)).toEqual(row);
      const decided = await s.approvals.update(
        input.id,
        { status: 'approved', decidedAt: at(T0, MINUTE), outcome: { votes: 2 } },
        { status: 'pending', version: 1 },
      );
      expect(decided).toMatchObject({
        status: 'approved',
        version: 2,
        decidedAt: at(T0, MINUTE),
        outcome: { votes: 2 },
      });
      // The sweeper arriving late, or a second approver with a stale read, changes nothing.
      expect(await s.approvals.update(input.id, { status: 'expired' }, { status: 'pending' })).toBeUndefined();
      expect(await s.approvals.update(input.id, { status: 'void' }, { version: 1 })).toBeUndefined();
      expect(await s.approvals.get(input.id)).toEqual(decided);
    });

    it('an approval for an unknown action is a conflict', async () => {
      const s = ctx.storage();
      await expectStorageError(s.approvals.insert(newApproval('act_missing')), 'conflict');
    });

    it('counts one vote per person, even when the same vote arrives in parallel', async () => {
      const s = ctx.storage();
      const action = await seedAction(s);
      const a = await s.approvals.insert(newApproval(action.id));
      const vote = {
        approvalId: a.id,
        personId: 'ana',
        decision: 'approve' as const,
        checklist: { 'brand-tone': true },
        at: T0,
      };
      const results = await Promise.all(Array.from({ length: 5 }, () => s.approvals.addVote(vote)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await s.approvals.addVote({ ...vote, decision: 'reject', comment: 'changed my mind' })).toBe(false);
      expect(
        await s.approvals.addVote({
          approvalId: a.id,
          personId: 'bo',
          decision: 'revise',
          comment: 'shorter subject',
          checklist: {},
          edits: { subject: 'Hi' },
          at: at(T0, -MINUTE),
        }),
      ).toBe(true);
      expect(await s.approvals.listVotes(a.id)).toEqual([
        { ...vote, comment: null, edits: null, changesetHash: '' },
        {
          approvalId: a.id,
          personId: 'bo',
          decision: 'revise',
          comment: 'shorter subject',
          checklist: {},
          edits: { subject: 'Hi' },
          changesetHash: '',
          at: at(T0, -MINUTE),
        },
      ]);
    });

    it('is unique per person and change set hash: after an edit the same person votes again', async () => {
      const s = ctx.storage();
      const action = await seedAction(s);
      const a = await s.approvals.insert(newApproval(action.id));
      const vote = { approvalId: a.id, personId: 'ana', decision: 'approve' as const, checklist: {}, at: T0 };
      expect(await s.approvals.addVote({ ...vote, changesetHash: 'h1' })).toBe(true);
      expect(await s.approvals.addVote({ ...vote, changesetHash: 'h1' })).toBe(false);
      expect(await s.approvals.addVote({ ...vote, changesetHash: 'h2' })).toBe(true);
      expect((await s.approvals.listVotes(a.id)).map((v) => v.changesetHash)).toEqual(['h1', 'h2']);
    });

    it('lists by status and action, oldest first, paging by cursor', async () => {
      const s = ctx.storage();
      const action = await seedAction(s);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await s.approvals.insert(newApproval(action.id, { createdAt: at(T0, i * MINUTE) }))).id);
      }
      await s.approvals.update(ids[1]!, { status: 'rejected' }, {});
      const mine = await s.approvals.list({ actionId: action.id, limit: 10 });
      expect(mine.map((a) => a.id)).toEqual(ids);
      const page1 = await s.approvals.list({ actionId: action.id, status: 'pending', limit: 2 });
      const page2 = await s.approvals.list({ actionId: action.id, status: 'pending', limit: 2, afterId: page1[1]!.id });
      expect([...page1, ...page2].map((a) => a.id)).toEqual([ids[0], ids[2], ids[3], ids[4]]);
    });

    it('finds approvals that expired or whose escalation is due', async () => {
      const s = ctx.storage();
      // A private stretch of time (year 2001) keeps other cases' approvals out of the result.
      const base = '2001-01-01T00:00:00.000Z';
      const action = await seedAction(s);
      const mk = (expiresIn: number, escalateIn: number | null, over = {}) =>
        s.approvals.insert(
          newApproval(action.id, {
            createdAt: base,
            expiresAt: at(base, expiresIn),
            nextEscalationAt: escalateIn === null ? null : at(base, escalateIn),
            ...over,
          }),
        );
      const expired = await mk(HOUR, null);
      const escalate = await mk(4 * HOUR, 30 * MINUTE);
      const notYet = await mk(4 * HOUR, 2 * HOUR);
      await mk(HOUR, null, { status: 'approved' });
      const now = at(base, HOUR);
      expect((await s.approvals.listPendingExpiringBefore(now, 10)).map((a) => a.id)).toEqual([expired.id]);
      expect((await s.approvals.listDue(now, 10)).map((a) => a.id)).toEqual([escalate.id, expired.id]);
      expect((await s.approvals.listDue(now, 1)).map((a) => a.id)).toEqual([escalate.id]);
      const later = at(base, 5 * HOUR);
      expect((await s.approvals.listDue(later, 10)).map((a) => a.id)).toEqual([escalate.id, expired.id, notYet.id]);
    });
  });

  describe('breakers', () => {
    it('creates only if absent, then moves only from the expected version', async () => {
      const s = ctx.storage();
      const b = breaker();
      expect(await s.breakers.upsert(b, null)).toBe(true);
      expect(await s.breakers.upsert({ ...b, state: 'open' }, null)).toBe(false);
      expect(await s.breakers.get(b.breakerId, b.scopeKey)).toEqual(b);
      const open = {
        ...b,
        state: 'open' as const,
        version: 2,
        since: at(T0, MINUTE),
        reason: { ctr: 0.01 },
        consecutiveFails: 4,
      };
      expect(await s.breakers.upsert(open, 1)).toBe(true);
      // A reset racing the trip, holding the stale version, loses.
      expect(await s.breakers.upsert({ ...b, version: 2, updatedBy: 'ana' }, 1)).toBe(false);
      expect(await s.breakers.get(b.breakerId, b.scopeKey)).toEqual(open);
      await expectStorageError(s.breakers.upsert({ ...open, version: 2 }, 2), 'storage_invalid_input');
      expect(await s.breakers.upsert({ ...open, state: 'forced_open', version: 9 })).toBe(true);
      expect((await s.breakers.get(b.breakerId, b.scopeKey))!.state).toBe('forced_open');
      expect(await s.breakers.upsert(breaker({ breakerId: uid('brk') }), 0)).toBe(false);
    });

    it('of parallel writers holding the same version exactly one wins', async () => {
      const s = ctx.storage();
      const b = breaker();
      await s.breakers.upsert(b, null);
      const results = await Promise.all(
        (['open', 'forced_open', 'disabled', 'half_open'] as const).map((state) =>
          s.breakers.upsert({ ...b, state, version: 2 }, 1),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('lists states by breaker and scope, and events in append order', async () => {
      const s = ctx.storage();
      const breakerId = uid('brk');
      for (const scopeKey of ['agent:b', 'agent:a']) await s.breakers.upsert(breaker({ breakerId, scopeKey }));
      expect((await s.breakers.list({ breakerId })).map((r) => r.scopeKey)).toEqual(['agent:a', 'agent:b']);
      expect((await s.breakers.list()).some((r) => r.breakerId === breakerId)).toBe(true);
      const ev = (kind: string, from: BreakerRow['state'] | null, to: BreakerRow['state'] | null) => ({
        breakerId,
        scopeKey: 'agent:a',
        at: T0,
        kind,
        from,
        to,
        actor: 'system',
        detail: { kind },
      });
      await s.breakers.appendEvent(ev('evaluated', null, null));
      await s.breakers.appendEvent(ev('tripped', 'closed', 'open'));
      await s.breakers.appendEvent({ ...ev('reset', 'open', 'closed'), scopeKey: 'agent:b' });
      expect(await s.breakers.listEvents({ breakerId, scopeKey: 'agent:a', limit: 10 })).toEqual([
        ev('evaluated', null, null),
        ev('tripped', 'closed', 'open'),
      ]);
      expect(await s.breakers.listEvents({ breakerId, limit: 10 })).toHaveLength(3);
    });
  });
}
