import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ActionRow } from '../../../core/ports/storage.js';
import {
  at,
  expectStorageError,
  HOUR,
  MINUTE,
  newAction,
  seedAction,
  T0,
  uid,
  type ContractContext,
} from './fixtures.case.js';

export function actionCases(ctx: ContractContext): void {
  describe('actions', () => {
    it('round-trips every field and defaults updatedAt, version and nullable links', async () => {
      const s = ctx.storage();
      const input = newAction({
        idempotencyKey: uid('key'),
        parentActionId: uid('act'),
        decision: { effect: 'allow' },
      });
      const r = await s.actions.insert(input);
      expect(r.inserted).toBe(true);
      const got = await s.actions.get(input.id);
      expect(got).toEqual({
        ...input,
        result: null,
        error: null,
        changesetId: null,
        approvalId: null,
        updatedAt: input.createdAt,
        version: 1,
      });
      if (r.inserted) expect(r.row).toEqual(got);
      expect(await s.actions.get('act_missing')).toBeUndefined();
    });

    it('JSON payloads come back exactly as JSON would carry them', async () => {
      const s = ctx.storage();
      await fc.assert(
        fc.asyncProperty(fc.jsonValue(), fc.jsonValue(), async (request, result) => {
          const row = newAction({ request, result });
          await s.actions.insert(row);
          const back = await s.actions.get(row.id);
          expect(back!.request).toEqual(JSON.parse(JSON.stringify(request)));
          expect(back!.result).toEqual(result === null ? null : JSON.parse(JSON.stringify(result)));
        }),
        { numRuns: 40 },
      );
    });

    it('an idempotency-key duplicate answers the existing row instead of throwing', async () => {
      const s = ctx.storage();
      const agentId = uid('agent');
      const key = uid('key');
      const first = await s.actions.insert(newAction({ agentId, idempotencyKey: key }));
      const again = await s.actions.insert(newAction({ agentId, idempotencyKey: key, request: { other: true } }));
      expect(again.inserted).toBe(false);
      if (!again.inserted && first.inserted) expect(again.existing).toEqual(first.row);
      expect((await s.actions.findByIdempotencyKey(agentId, key))?.id).toBe(first.inserted ? first.row.id : '');
      // Keys are per agent, and absent keys never collide.
      expect((await s.actions.insert(newAction({ idempotencyKey: key }))).inserted).toBe(true);
      expect((await s.actions.insert(newAction({ agentId }))).inserted).toBe(true);
      expect((await s.actions.insert(newAction({ agentId }))).inserted).toBe(true);
      expect(await s.actions.findByIdempotencyKey(agentId, 'nope')).toBeUndefined();
    });

    it('10 parallel submissions with one key create exactly one action', async () => {
      const s = ctx.storage();
      const agentId = uid('agent');
      const key = uid('key');
      const results = await Promise.all(
        Array.from({ length: 10 }, () => s.actions.insert(newAction({ agentId, idempotencyKey: key }))),
      );
      const inserted = results.filter((r) => r.inserted);
      expect(inserted).toHaveLength(1);
      const id = inserted[0]!.inserted ? inserted[0]!.row.id : '';
      for (const r of results) expect(r.inserted ? r.row.id : r.existing.id).toBe(id);
    });

    it('a duplicate id is a conflict error, not a raw driver error', async () => {
      const s = ctx.storage();
      const row = await seedAction(s);
      await expectStorageError(s.actions.insert(newAction({ id: row.id })), 'conflict');
    });

    it('refuses timestamps that would not sort as strings', async () => {
      const s = ctx.storage();
      for (const createdAt of ['2026-01-05T09:00:00Z', '2026-01-05T10:00:00.000+01:00', 'yesterday']) {
        const err = await expectStorageError(s.actions.insert(newAction({ createdAt })), 'storage_invalid_input');
        expect(err.message).toContain('createdAt');
      }
    });

    it('update is a compare-and-set on status and version', async () => {
      const s = ctx.storage();
      const a = await seedAction(s);
      const t1 = at(T0, MINUTE);
      const moved = await s.actions.update(
        a.id,
        { status: 'approved', approvalId: 'apr_1', decision: { effect: 'require_approval' }, updatedAt: t1 },
        { status: 'proposed', version: 1 },
      );
      expect(moved).toMatchObject({ status: 'approved', approvalId: 'apr_1', version: 2, updatedAt: t1 });
      expect(moved!.decision).toEqual({ effect: 'require_approval' });
      expect(await s.actions.update(a.id, { status: 'executing', updatedAt: t1 }, { version: 1 })).toBeUndefined();
      expect(
        await s.actions.update(a.id, { status: 'executing', updatedAt: t1 }, { status: 'proposed' }),
      ).toBeUndefined();
      expect(await s.actions.update('act_missing', { status: 'x', updatedAt: t1 }, {})).toBeUndefined();
      const either = await s.actions.update(
        a.id,
        { status: 'executing', error: null, updatedAt: t1 },
        { status: ['approved', 'pending_approval'], version: 2 },
      );
      expect(either).toMatchObject({ status: 'executing', version: 3, approvalId: 'apr_1' });
      expect(await s.actions.get(a.id)).toEqual(either);
    });

    it('an update given the caller row answers exactly what reading it back would', async () => {
      const s = ctx.storage();
      const a = await seedAction(s, { status: 'executing' });
      const t1 = at(T0, MINUTE);
      const patch = { status: 'executed', result: { applied: [{ id: 'c_1' }] }, updatedAt: t1 };
      const moved = await s.actions.update(a.id, patch, { status: 'executing', version: a.version, row: a });
      expect(moved).toEqual(await s.actions.get(a.id));
      expect(moved).toMatchObject({ status: 'executed', version: a.version + 1, result: patch.result });
      // A row at another version than expected is not trusted: the answer is read back.
      const stale = { ...moved!, status: 'made-up', version: 1 };
      const again = await s.actions.update(
        a.id,
        { status: 'failed', updatedAt: t1 },
        { version: moved!.version, row: stale },
      );
      expect(again).toEqual(await s.actions.get(a.id));
      expect(again).toMatchObject({ status: 'failed', version: moved!.version + 1 });
      // The compare-and-set still decides: a lost race answers undefined, whatever row was given.
      expect(
        await s.actions.update(a.id, { status: 'x', updatedAt: t1 }, { version: moved!.version, row: moved! }),
      ).toBeUndefined();
    });

    it('of 10 parallel moves from the same version exactly one wins', async () => {
      const s = ctx.storage();
      const a = await seedAction(s, { status: 'approved' });
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          s.actions.update(
            a.id,
            { status: 'executing', result: { by: i }, updatedAt: T0 },
            { status: 'approved', version: 1 },
          ),
        ),
      );
      expect(results.filter((r) => r !== undefined)).toHaveLength(1);
      expect((await s.actions.get(a.id))!.version).toBe(2);
    });

    it('lists by agent, status and time, paging by cursor without gaps or repeats', async () => {
      const s = ctx.storage();
      const agentId = uid('agent');
      const rows: ActionRow[] = [];
      for (let i = 0; i < 9; i++) {
        // Three rows share each timestamp, so the id tiebreak matters.
        rows.push(
          await seedAction(s, {
            agentId,
            createdAt: at(T0, Math.floor(i / 3) * MINUTE),
            status: i % 2 ? 'denied' : 'executed',
          }),
        );
      }
      await seedAction(s, { createdAt: at(T0, MINUTE) }); // another agent
      const key = (r: ActionRow) => r.createdAt + r.id;
      const asc = [...rows].sort((a, b) => (key(a) < key(b) ? -1 : 1));
      for (const order of ['asc', 'desc'] as const) {
        const expected = order === 'asc' ? asc : [...asc].reverse();
        const seen: ActionRow[] = [];
        let afterId: string | undefined;
        for (;;) {
          const page = await s.actions.list({ agentId, order, limit: 4, ...(afterId ? { afterId } : {}) });
          seen.push(...page);
          if (page.length < 4) break;
          afterId = page[page.length - 1]!.id;
        }
        expect(seen.map((r) => r.id)).toEqual(expected.map((r) => r.id));
      }
      expect((await s.actions.list({ agentId, limit: 50 }))[0]!.id).toBe(asc[asc.length - 1]!.id);
      const denied = await s.actions.list({ agentId, statuses: ['denied'], limit: 50 });
      expect(denied.map((r) => r.id).sort()).toEqual(
        rows
          .filter((r) => r.status === 'denied')
          .map((r) => r.id)
          .sort(),
      );
      const window = await s.actions.list({ agentId, since: at(T0, MINUTE), before: at(T0, 2 * MINUTE), limit: 50 });
      expect(window.map((r) => r.id).sort()).toEqual(
        rows
          .slice(3, 6)
          .map((r) => r.id)
          .sort(),
      );
      expect(await s.actions.list({ agentId, statuses: [], limit: 50 })).toEqual([]);
      await expectStorageError(s.actions.list({ agentId, afterId: 'act_unknown', limit: 5 }), 'invalid_cursor');
    });

    it("counts an agent's actions since a time, optionally by status", async () => {
      const s = ctx.storage();
      const agentId = uid('agent');
      for (let i = 0; i < 5; i++) {
        await seedAction(s, { agentId, createdAt: at(T0, i * MINUTE), status: i < 2 ? 'denied' : 'executed' });
      }
      expect(await s.actions.countByAgentSince(agentId, T0)).toBe(5);
      expect(await s.actions.countByAgentSince(agentId, at(T0, 2 * MINUTE))).toBe(3);
      expect(await s.actions.countByAgentSince(agentId, T0, ['denied'])).toBe(2);
      expect(await s.actions.countByAgentSince(uid('agent'), T0)).toBe(0);
    });

    it('claims move rows once: parallel claimers never get the same action', async () => {
      const s = ctx.storage();
      const other = await ctx.openAnother();
      try {
        const agentId = uid('agent');
        const ids = new Set<string>();
        for (let i = 0; i < 8; i++)
          ids.add((await seedAction(s, { agentId, status: 'approved', createdAt: at(T0, i) })).id);
        await seedAction(s, { agentId, status: 'pending_approval' });
        const claim = { from: ['approved'], to: 'executing', at: at(T0, MINUTE), limit: 5, agentId };
        // PostgreSQL: two pools race (SKIP LOCKED); SQLite: one writer, so claims interleave.
        const [a, b] =
          s.dialect === 'postgres'
            ? await Promise.all([s.actions.claim(claim), other.actions.claim(claim)])
            : await Promise.all([s.actions.claim(claim), s.actions.claim(claim)]);
        const claimed = [...a, ...b].map((r) => r.id);
        expect(new Set(claimed).size).toBe(claimed.length);
        expect(new Set(claimed)).toEqual(ids);
        for (const r of [...a, ...b])
          expect(r).toMatchObject({ status: 'executing', version: 2, updatedAt: at(T0, MINUTE) });
        expect(await s.actions.claim(claim)).toEqual([]);
      } finally {
        await other.close();
      }
    });

    it('finds stuck actions for crash recovery by status and age', async () => {
      const s = ctx.storage();
      const status = uid('executing'); // private status keeps other cases out of the result
      const old = await seedAction(s, { status, createdAt: T0 });
      const fresh = await seedAction(s, { status, createdAt: at(T0, 10 * MINUTE) });
      expect((await s.actions.listByStatus([status], { limit: 10 })).map((r) => r.id)).toEqual([old.id, fresh.id]);
      const stuck = await s.actions.listByStatus([status], { limit: 10, updatedBefore: at(T0, 5 * MINUTE) });
      expect(stuck.map((r) => r.id)).toEqual([old.id]);
      const recovered = await s.actions.claim({
        from: [status],
        to: 'failed',
        at: at(T0, HOUR),
        limit: 10,
        updatedBefore: at(T0, 5 * MINUTE),
      });
      expect(recovered.map((r) => r.id)).toEqual([old.id]);
    });
  });

  describe('transitions', () => {
    it('lists transitions in append order', async () => {
      const s = ctx.storage();
      const a = await seedAction(s);
      const steps = [
        { from: null, to: 'proposed' },
        { from: 'proposed', to: 'pending_approval' },
        { from: 'pending_approval', to: 'approved' },
        { from: 'approved', to: 'executing' },
      ];
      // Same timestamp on purpose: order is append order, not time order.
      for (const st of steps) await s.transitions.append({ actionId: a.id, ...st, at: T0, detail: { note: st.to } });
      const back = await s.transitions.list(a.id);
      expect(back).toEqual(steps.map((st) => ({ actionId: a.id, ...st, at: T0, detail: { note: st.to } })));
      expect(await s.transitions.list('act_missing')).toEqual([]);
    });

    it('a transition for an unknown action is a conflict', async () => {
      const s = ctx.storage();
      await expectStorageError(
        s.transitions.append({ actionId: 'act_missing', from: null, to: 'proposed', at: T0, detail: {} }),
        'conflict',
      );
    });
  });
}
