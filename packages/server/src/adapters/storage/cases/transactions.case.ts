import { describe, expect, it } from 'vitest';
import type { Repos } from '../../../core/ports/storage.js';
import {
  at,
  chainEntries,
  expectStorageError,
  MINUTE,
  newAction,
  newApproval,
  T0,
  uid,
  type ContractContext,
} from './fixtures.case.js';

/** Writes one row through every repo; answers how to find each afterwards. */
async function writeEverything(tx: Repos) {
  const ids = { action: uid('act'), changeset: uid('cs'), approval: uid('apr'), metric: uid('m'), rate: uid('r') };
  // The child first: foreign keys are checked at commit, not per statement.
  await tx.transitions.append({ actionId: ids.action, from: null, to: 'proposed', at: T0, detail: {} });
  await tx.actions.insert(newAction({ id: ids.action }));
  await tx.changesets.insert({ id: ids.changeset, actionId: ids.action, hash: 'h', summary: {}, createdAt: T0 }, [
    {
      changesetId: ids.changeset,
      idx: 0,
      object: 'contacts',
      recordId: 'c1',
      before: {},
      after: {},
      fingerprint: 'f',
      reversibility: 'reversible',
      noop: true,
    },
  ]);
  await tx.approvals.insert(newApproval(ids.action, { id: ids.approval }));
  await tx.approvals.addVote({ approvalId: ids.approval, personId: 'ana', decision: 'approve', checklist: {}, at: T0 });
  await tx.kpis.insertSamples([{ metric: ids.metric, value: 1, at: T0, dims: {} }]);
  await tx.rates.take(ids.rate, T0, 5);
  await tx.leases.tryAcquire(ids.rate, 'me', at(T0, MINUTE), T0);
  await tx.keys.insert({ id: ids.rate, kind: 'person', subject: 'ana', hash: ids.rate, prefix: 'gh', createdAt: T0 });
  await tx.audit.append((head) => chainEntries(head, ['tx']));
  return ids;
}

export function transactionCases(ctx: ContractContext): void {
  describe('transactions', () => {
    it('a throwing transaction leaves nothing behind and rethrows the same error', async () => {
      const s = ctx.storage();
      const auditBefore = await s.audit.head();
      let ids: Awaited<ReturnType<typeof writeEverything>> | undefined;
      const boom = new Error('connector said no');
      await expect(
        s.transaction(async (tx) => {
          ids = await writeEverything(tx);
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(ids).toBeDefined();
      expect(await s.actions.get(ids!.action)).toBeUndefined();
      expect(await s.transitions.list(ids!.action)).toEqual([]);
      expect(await s.changesets.get(ids!.changeset)).toBeUndefined();
      expect(await s.changesets.listRecords(ids!.changeset, { offset: 0, limit: 5 })).toEqual([]);
      expect(await s.approvals.get(ids!.approval)).toBeUndefined();
      expect(await s.approvals.listVotes(ids!.approval)).toEqual([]);
      expect(await s.kpis.sum({ metric: ids!.metric, from: T0, to: at(T0, MINUTE) })).toBe(0);
      expect(await s.rates.take(ids!.rate, T0, 1)).toEqual({ allowed: true, count: 1 });
      expect(await s.leases.get(ids!.rate)).toBeUndefined();
      expect(await s.keys.get(ids!.rate)).toBeUndefined();
      expect(await s.audit.head()).toEqual(auditBefore);
    });

    it("a committed transaction keeps everything and answers fn's value", async () => {
      const s = ctx.storage();
      const ids = await s.transaction((tx) => writeEverything(tx));
      expect(await s.actions.get(ids.action)).toBeDefined();
      expect(await s.transitions.list(ids.action)).toHaveLength(1);
      expect((await s.changesets.get(ids.changeset))?.recordCount).toBe(1);
      expect(await s.approvals.listVotes(ids.approval)).toHaveLength(1);
      expect(await s.kpis.sum({ metric: ids.metric, from: T0, to: at(T0, MINUTE) })).toBe(1);
      expect(await s.leases.get(ids.rate)).toBeDefined();
    });

    it('a missing parent is caught at commit as a conflict, and nothing is kept', async () => {
      const s = ctx.storage();
      const actionId = uid('act');
      await expectStorageError(
        s.transaction(async (tx) => {
          await tx.transitions.append({ actionId, from: null, to: 'proposed', at: T0, detail: {} });
        }),
        'conflict',
      );
      expect(await s.transitions.list(actionId)).toEqual([]);
    });

    it('expected races inside a transaction are values and do not spoil it', async () => {
      const s = ctx.storage();
      const agentId = uid('agent');
      const key = uid('key');
      await s.actions.insert(newAction({ agentId, idempotencyKey: key }));
      const after = await s.transaction(async (tx) => {
        const dup = await tx.actions.insert(newAction({ agentId, idempotencyKey: key }));
        const stale = await tx.actions.update(
          dup.inserted ? dup.row.id : dup.existing.id,
          { updatedAt: T0 },
          { version: 99 },
        );
        const metric = uid('m');
        await tx.kpis.insertSamples([{ metric, value: 1, at: T0, dims: {} }]);
        const again = await tx.kpis.insertSamples([{ metric, value: 1, at: T0, dims: {} }]);
        // PostgreSQL aborts a transaction on any statement error; this one must still work.
        const fresh = await tx.actions.insert(newAction({ agentId }));
        return { dup: dup.inserted, stale, again, fresh: fresh.inserted };
      });
      expect(after).toEqual({ dup: false, stale: undefined, again: 0, fresh: true });
    });
  });

  describe('lifecycle and errors', () => {
    it('migrate is idempotent, also when instances run it at once', async () => {
      const s = ctx.storage();
      const other = await ctx.openAnother();
      try {
        const reports = await Promise.all([s.migrate(), other.migrate()]);
        for (const r of reports) expect(r).toEqual({ applied: [], latest: '0005-leaner-hot-tables' });
      } finally {
        await other.close();
      }
    });

    it('ping answers while open; every call after close is storage_unavailable', async () => {
      const other = await ctx.openAnother();
      await other.ping();
      expect(other.dialect).toBe(ctx.storage().dialect);
      await other.close();
      await other.close(); // idempotent
      await expectStorageError(other.ping(), 'storage_unavailable');
      await expectStorageError(other.actions.get('x'), 'storage_unavailable');
      await expectStorageError(
        other.audit.append(() => []),
        'storage_unavailable',
      );
      await expectStorageError(
        other.transaction(() => Promise.resolve(1)),
        'storage_unavailable',
      );
      const iterate = async () => {
        for await (const _ of other.audit.iterate()) break;
      };
      await expectStorageError(iterate(), 'storage_unavailable');
    });

    it('out-of-range integers are storage_invalid_input, not driver errors', async () => {
      const s = ctx.storage();
      await expectStorageError(s.actions.insert(newAction({ version: 2 ** 40 })), 'storage_invalid_input');
      await expectStorageError(s.actions.list({ limit: 0 }), 'storage_invalid_input');
    });
  });
}
