import { describe, expect, it } from 'vitest';
import type { AuditCheckpoint, AuditEntry, AuditHead } from '../../../core/ports/storage.js';
import { chainEntries, expectContiguousChain, expectStorageError, T0, type ContractContext } from './fixtures.case.js';

const checkpoint = (seq: number, lastEntrySeq: number, prev: string | null): AuditCheckpoint => ({
  seq,
  at: T0,
  lastEntrySeq,
  headHash: `head-${lastEntrySeq}`,
  prevCheckpointHash: prev,
  keyId: 'k1',
  signature: `sig-${seq}`,
  hash: `cp-${seq}`,
});

/** Runs first in the suite: it relies on an empty log. */
export function auditCases(ctx: ContractContext): void {
  describe('audit', () => {
    it('starts empty: build sees a null head and the first entry must be seq 1', async () => {
      const s = ctx.storage();
      expect(await s.audit.head()).toBeNull();
      expect(await s.audit.count()).toBe(0);
      await expectStorageError(
        s.audit.append(() => chainEntries({ seq: 1, hash: 'x' }, ['skips-seq-1'])),
        'conflict',
      );
      let seen: AuditHead | null | undefined;
      const written = await s.audit.append((head) => {
        seen = head;
        return chainEntries(head, ['first']);
      });
      expect(seen).toBeNull();
      expect(written.map((e) => e.seq)).toEqual([1]);
      expect(await s.audit.head()).toEqual({ seq: 1, hash: written[0]!.hash });
    });

    it('round-trips every field of an entry', async () => {
      const s = ctx.storage();
      const [entry] = await s.audit.append((head) => [
        {
          seq: (head?.seq ?? 0) + 1,
          at: '2026-01-05T09:00:00.123Z',
          type: 'approval.decided',
          actor: 'person:ana',
          subject: 'apr_1',
          data: { decision: 'approve', nested: { list: [1, 'two', null, true] }, text: 'naïve ✓' },
          prevHash: head?.hash ?? 'genesis',
          hash: 'h-roundtrip',
        },
      ]);
      const [back] = await s.audit.list({ afterSeq: entry!.seq - 1, limit: 1 });
      expect(back).toEqual(entry);
    });

    it('serialises 20 parallel appenders: contiguous seqs, each build sees the previous head', async () => {
      const s = ctx.storage();
      const start = await s.audit.head();
      const heads: (AuditHead | null)[] = [];
      let builds = 0;
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          s.audit.append((head) => {
            builds += 1;
            heads.push(head);
            return chainEntries(
              head,
              Array.from({ length: 1 + (i % 3) }, (_, k) => `parallel-${i}-${k}`),
            );
          }),
        ),
      );
      expect(builds).toBe(20);
      const written = results.flat().sort((a, b) => a.seq - b.seq);
      expect(written).toHaveLength(results.reduce((n, r) => n + r.length, 0));
      expectContiguousChain(written, start);
      const stored = await s.audit.list({ afterSeq: start!.seq, limit: 1000 });
      expect(stored).toEqual(written);
      // Each build saw the head left by the batch before it: the start, or some batch's last entry.
      const key = (h: AuditHead | null) => (h ? `${h.seq}:${h.hash}` : 'null');
      const possible = new Set([key(start), ...results.map((r) => key(r[r.length - 1]!))]);
      for (const h of heads) expect(possible.has(key(h))).toBe(true);
      expect(new Set(heads.map((h) => h?.seq)).size).toBe(20);
    });

    it('rejects entries that skip or repeat a seq, writing nothing', async () => {
      const s = ctx.storage();
      const before = await s.audit.count();
      const gap = (head: AuditHead | null): AuditEntry[] => {
        const [a, b] = chainEntries(head, ['a', 'b']);
        return [a!, { ...b!, seq: b!.seq + 1 }];
      };
      await expectStorageError(s.audit.append(gap), 'conflict');
      await expectStorageError(
        s.audit.append((head) => chainEntries(head && { ...head, seq: head.seq - 1 }, ['repeat'])),
        'conflict',
      );
      expect(await s.audit.count()).toBe(before);
    });

    it("propagates build's own error unchanged and writes nothing", async () => {
      const s = ctx.storage();
      const before = await s.audit.head();
      const boom = new Error('canonicalisation failed');
      await expect(
        s.audit.append(() => {
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(await s.audit.head()).toEqual(before);
      expect(await s.audit.append(() => [])).toEqual([]);
    });

    it('lists, counts and iterates in seq order across batch boundaries', async () => {
      const s = ctx.storage();
      await s.audit.append((head) =>
        chainEntries(
          head,
          Array.from({ length: 25 }, (_, i) => `bulk-${i}`),
        ),
      );
      const all = await s.audit.list({ limit: 10_000 });
      expect(all).toHaveLength(await s.audit.count());
      expectContiguousChain(all, null);
      const iterated: AuditEntry[] = [];
      for await (const e of s.audit.iterate({ batchSize: 7 })) iterated.push(e);
      expect(iterated).toEqual(all);
      const tail: number[] = [];
      for await (const e of s.audit.iterate({ afterSeq: all.length - 3, batchSize: 2 })) tail.push(e.seq);
      expect(tail).toEqual([all.length - 2, all.length - 1, all.length]);
      expect((await s.audit.list({ afterSeq: 3, limit: 2 })).map((e) => e.seq)).toEqual([4, 5]);
    });

    it('keeps appends made on tx.audit only if the transaction commits', async () => {
      const s = ctx.storage();
      const before = await s.audit.head();
      await expect(
        s.transaction(async (tx) => {
          await tx.audit.append((head) => chainEntries(head, ['rolled-back']));
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(await s.audit.head()).toEqual(before);
      const [kept] = await s.transaction((tx) => tx.audit.append((head) => chainEntries(head, ['committed'])));
      expect(kept!.seq).toBe(before!.seq + 1);
      expect(await s.audit.head()).toEqual({ seq: kept!.seq, hash: kept!.hash });
    });

    it('stores checkpoints contiguously from seq 1', async () => {
      const s = ctx.storage();
      expect(await s.audit.latestCheckpoint()).toBeUndefined();
      await expectStorageError(s.audit.insertCheckpoint(checkpoint(2, 5, null)), 'conflict');
      await s.audit.insertCheckpoint(checkpoint(1, 5, null));
      await s.audit.insertCheckpoint(checkpoint(2, 9, 'cp-1'));
      await expectStorageError(s.audit.insertCheckpoint(checkpoint(2, 9, 'cp-1')), 'conflict');
      expect(await s.audit.latestCheckpoint()).toEqual(checkpoint(2, 9, 'cp-1'));
      expect(await s.audit.listCheckpoints()).toEqual([checkpoint(1, 5, null), checkpoint(2, 9, 'cp-1')]);
      expect(await s.audit.listCheckpoints({ afterSeq: 1, limit: 5 })).toEqual([checkpoint(2, 9, 'cp-1')]);
    });

    it('serialises appenders on two instances sharing the database', async () => {
      const s = ctx.storage();
      const other = await ctx.openAnother();
      try {
        const start = await s.audit.head();
        if (s.dialect === 'postgres') {
          // Real contention: two pools, 30 appenders, one lock.
          await Promise.all(
            Array.from({ length: 30 }, (_, i) =>
              (i % 2 ? other : s).audit.append((head) => chainEntries(head, [`two-instances-${i}`])),
            ),
          );
        } else {
          // SQLite: one server process per file; two connections in one process would block the
          // event loop in busy_timeout, so this checks alternation, not contention.
          for (let i = 0; i < 30; i++) {
            await (i % 2 ? other : s).audit.append((head) => chainEntries(head, [`two-instances-${i}`]));
          }
        }
        const stored = await other.audit.list({ afterSeq: start!.seq, limit: 100 });
        expect(stored).toHaveLength(30);
        expectContiguousChain(stored, start);
      } finally {
        await other.close();
      }
    });
  });
}
