import { describe, expect, it } from 'vitest';
import type { ChangeRecordRow } from '../../../core/ports/storage.js';
import { expectStorageError, seedAction, T0, uid, type ContractContext } from './fixtures.case.js';

const record = (changesetId: string, idx: number): ChangeRecordRow => ({
  changesetId,
  idx,
  object: idx % 10 === 0 ? 'companies' : 'contacts',
  recordId: `c_${idx}`,
  before: idx % 7 === 0 ? null : { owner_id: `u_${idx}`, lifecyclestage: 'lead' },
  after: { owner_id: `u_${idx + 1}`, lifecyclestage: idx % 3 ? 'lead' : null },
  fingerprint: idx % 7 === 0 ? null : `fp_${idx}`,
  reversibility: idx % 5 === 0 ? 'irreversible' : idx % 2 ? 'compensatable' : 'reversible',
  noop: idx % 4 === 0,
});

export function changesetCases(ctx: ContractContext): void {
  describe('changesets', () => {
    it('stores a header with its records and pages them back by idx', async () => {
      const s = ctx.storage();
      const action = await seedAction(s);
      const id = uid('cs');
      const records = [2, 0, 1].map((i) => record(id, i));
      const header = { id, actionId: action.id, hash: 'sha256:x', summary: { records: 3, fields: 5 }, createdAt: T0 };
      expect(await s.changesets.insert(header, records)).toEqual({ ...header, recordCount: 3 });
      expect(await s.changesets.get(id)).toEqual({ ...header, recordCount: 3 });
      expect(await s.changesets.listRecords(id, { offset: 0, limit: 10 })).toEqual([0, 1, 2].map((i) => record(id, i)));
      expect(await s.changesets.listRecords(id, { offset: 1, limit: 1 })).toEqual([record(id, 1)]);
      expect(await s.changesets.listByAction(action.id)).toEqual([{ ...header, recordCount: 3 }]);
      expect(await s.changesets.get('cs_missing')).toBeUndefined();
    });

    it('inserts 10,000 records quickly and pages them back in order', async () => {
      const s = ctx.storage();
      const action = await seedAction(s);
      const id = uid('cs');
      const records = Array.from({ length: 10_000 }, (_, i) => record(id, i));
      const started = performance.now();
      await s.changesets.insert({ id, actionId: action.id, hash: 'h', summary: {}, createdAt: T0 }, records);
      const elapsed = performance.now() - started;
      // Row-at-a-time inserts take several seconds on PostgreSQL; batched ones well under one.
      expect(elapsed).toBeLessThan(5_000);
      const back: ChangeRecordRow[] = [];
      for (let offset = 0; ; offset += 1_500) {
        const page = await s.changesets.listRecords(id, { offset, limit: 1_500 });
        back.push(...page);
        if (page.length < 1_500) break;
      }
      expect(back).toEqual(records);
      expect((await s.changesets.get(id))!.recordCount).toBe(10_000);
    });

    it('is all-or-nothing: a bad record leaves no header behind', async () => {
      const s = ctx.storage();
      const action = await seedAction(s);
      const id = uid('cs');
      const records = [record(id, 0), record(id, 0)]; // duplicate idx
      await expectStorageError(
        s.changesets.insert({ id, actionId: action.id, hash: 'h', summary: {}, createdAt: T0 }, records),
        'conflict',
      );
      expect(await s.changesets.get(id)).toBeUndefined();
      await expectStorageError(
        s.changesets.insert({ id, actionId: action.id, hash: 'h', summary: {}, createdAt: T0 }, [
          record('cs_other', 0),
        ]),
        'storage_invalid_input',
      );
    });
  });
}
