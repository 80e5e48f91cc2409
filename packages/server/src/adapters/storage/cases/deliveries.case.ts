import { describe, expect, it } from 'vitest';
import type { DeliveryRow, NewDelivery, Storage } from '../../../core/ports/storage.js';
import { at, expectStorageError, HOUR, MINUTE, uid, type ContractContext } from './fixtures.case.js';

const DAY = 24 * 60 * MINUTE;

export function deliveryCases(ctx: ContractContext): void {
  /**
   * `claimDue` sees the whole table, so each case works in its own day, EARLIER than every case
   * before it: whatever an earlier case left pending or sending is neither due nor stale here.
   */
  let eras = 0;
  const era = () => at('2031-01-01T00:00:00.000Z', -++eras * DAY);

  const delivery = (createdAt: string, over: Partial<NewDelivery> = {}): NewDelivery => ({
    id: uid('dlv'),
    channel: 'webhook',
    target: 'https://hooks.example.com/gatehouse',
    event: 'approval.requested',
    subject: uid('apr'),
    payload: { approval: { id: 'apr_1', required: 2 }, note: 'ünïcode ✓' },
    createdAt,
    ...over,
  });

  const ids = (rows: readonly { readonly id: string }[]) => rows.map((r) => r.id);

  describe('deliveries', () => {
    it('enqueues pending rows with their defaults and lists them newest first', async () => {
      const s = ctx.storage();
      const e = era();
      const subject = uid('apr');
      const first = delivery(e, { subject });
      const later = delivery(at(e, MINUTE), { subject, channel: 'slack', target: 'C0123', nextAttemptAt: at(e, HOUR) });
      await s.deliveries.enqueue([first, later]);
      await s.deliveries.enqueue([]);
      expect(await s.deliveries.get(first.id)).toEqual({
        ...first,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: e,
        lastError: null,
        lastResponse: null,
        updatedAt: e,
        deliveredAt: null,
      });
      expect((await s.deliveries.get(later.id))?.nextAttemptAt).toBe(at(e, HOUR));
      expect(ids(await s.deliveries.list({ subject, limit: 10 }))).toEqual([later.id, first.id]);
      expect(ids(await s.deliveries.list({ subject, limit: 1 }))).toEqual([later.id]);
      expect(await s.deliveries.list({ subject, status: 'delivered', limit: 10 })).toEqual([]);
      expect(await s.deliveries.list({ subject, event: 'breaker.tripped', limit: 10 })).toEqual([]);
      expect(await s.deliveries.get('dlv_missing')).toBeUndefined();
    });

    it('a batch with a duplicate id is a conflict and writes nothing', async () => {
      const s = ctx.storage();
      const e = era();
      const existing = delivery(e);
      await s.deliveries.enqueue([existing]);
      const fresh = delivery(e);
      await expectStorageError(s.deliveries.enqueue([fresh, { ...existing }]), 'conflict');
      expect(await s.deliveries.get(fresh.id)).toBeUndefined();
    });

    it('is part of the producer transaction: a rollback leaves no delivery behind', async () => {
      const s = ctx.storage();
      const row = delivery(era());
      await expect(
        s.transaction(async (tx) => {
          await tx.deliveries.enqueue([row]);
          throw new Error('state change failed');
        }),
      ).rejects.toThrow('state change failed');
      expect(await s.deliveries.get(row.id)).toBeUndefined();
    });

    it('claims due rows oldest first, once, and records a successful attempt', async () => {
      const s = ctx.storage();
      const e = era();
      const a = delivery(e);
      const b = delivery(e, { nextAttemptAt: at(e, 2 * MINUTE) });
      const notYet = delivery(e, { nextAttemptAt: at(e, HOUR) });
      await s.deliveries.enqueue([notYet, b, a]);
      const now = at(e, 5 * MINUTE);
      const stale = at(now, -5 * MINUTE);
      const first = await s.deliveries.claimDue(now, 1, stale);
      const sending: DeliveryRow = {
        ...a,
        status: 'sending',
        attempts: 1,
        nextAttemptAt: e,
        lastError: null,
        lastResponse: null,
        updatedAt: now,
        deliveredAt: null,
      };
      expect(first).toEqual([sending]);
      expect(await s.deliveries.get(a.id)).toEqual(sending);
      expect(ids(await s.deliveries.claimDue(now, 10, stale))).toEqual([b.id]);
      expect(await s.deliveries.claimDue(now, 10, stale)).toEqual([]);

      expect(await s.deliveries.markDelivered(a.id, at(now, 1), { status: 200 })).toBe(true);
      expect(await s.deliveries.get(a.id)).toMatchObject({
        status: 'delivered',
        attempts: 1,
        deliveredAt: at(now, 1),
        updatedAt: at(now, 1),
        lastResponse: { status: 200 },
        lastError: null,
      });
      // Only a `sending` row moves: not twice, not a pending one, not an unknown one.
      expect(await s.deliveries.markDelivered(a.id, at(now, 2), { status: 200 })).toBe(false);
      expect(await s.deliveries.markFailed(a.id, at(now, 2), 'late', null, null)).toBe(false);
      expect(await s.deliveries.markDelivered(notYet.id, at(now, 2), {})).toBe(false);
      expect(await s.deliveries.markFailed(notYet.id, at(now, 2), 'x', null, at(now, HOUR))).toBe(false);
      expect(await s.deliveries.markDelivered('dlv_missing', at(now, 2), {})).toBe(false);
      expect((await s.deliveries.get(notYet.id))?.status).toBe('pending');
      expect((await s.deliveries.get(a.id))?.deliveredAt).toBe(at(now, 1));
    });

    it('a failed attempt is retried at retryAt, and given up when there is no retry', async () => {
      const s = ctx.storage();
      const e = era();
      const row = delivery(e, { channel: 'callback', event: 'approval.decided' });
      await s.deliveries.enqueue([row]);
      const stale = at(e, -HOUR);
      expect(ids(await s.deliveries.claimDue(e, 10, stale))).toEqual([row.id]);
      const retryAt = at(e, 5 * MINUTE);
      expect(await s.deliveries.markFailed(row.id, at(e, 1000), 'HTTP 503', { status: 503 }, retryAt)).toBe(true);
      expect(await s.deliveries.get(row.id)).toMatchObject({
        status: 'pending',
        attempts: 1,
        nextAttemptAt: retryAt,
        updatedAt: at(e, 1000),
        lastError: 'HTTP 503',
        lastResponse: { status: 503 },
      });
      expect(await s.deliveries.claimDue(at(retryAt, -1), 10, stale)).toEqual([]);
      const second = await s.deliveries.claimDue(retryAt, 10, stale);
      expect(second.map((r) => [r.id, r.attempts, r.status])).toEqual([[row.id, 2, 'sending']]);

      expect(await s.deliveries.markFailed(row.id, at(retryAt, 1000), 'connection refused', null, null)).toBe(true);
      expect(await s.deliveries.get(row.id)).toMatchObject({
        status: 'gave_up',
        attempts: 2,
        lastError: 'connection refused',
        lastResponse: null,
        deliveredAt: null,
      });
      expect(await s.deliveries.claimDue(at(e, 2 * HOUR), 10, at(e, 2 * HOUR))).toEqual([]);
      expect(await s.deliveries.markFailed(row.id, at(e, 2 * HOUR), 'again', null, null)).toBe(false);
      expect(ids(await s.deliveries.list({ subject: row.subject!, status: 'gave_up', limit: 5 }))).toEqual([row.id]);
    });

    it('reclaims a row left `sending` by a sender that died, once it is older than staleBefore', async () => {
      const s = ctx.storage();
      const e = era();
      const row = delivery(e);
      await s.deliveries.enqueue([row]);
      expect(ids(await s.deliveries.claimDue(e, 10, at(e, -HOUR)))).toEqual([row.id]);
      // Still within its sender's time: updatedAt is not before staleBefore.
      expect(await s.deliveries.claimDue(at(e, MINUTE), 10, e)).toEqual([]);
      const reclaimed = await s.deliveries.claimDue(at(e, 10 * MINUTE), 10, at(e, 5 * MINUTE));
      expect(reclaimed).toEqual([
        expect.objectContaining({ id: row.id, status: 'sending', attempts: 2, updatedAt: at(e, 10 * MINUTE) }),
      ]);
      expect(await s.deliveries.markDelivered(row.id, at(e, 11 * MINUTE), { status: 204 })).toBe(true);
      expect(await s.deliveries.claimDue(at(e, HOUR), 10, at(e, HOUR))).toEqual([]);
    });

    it('20 parallel claimers over 100 due rows: each row is claimed exactly once', async () => {
      const s = ctx.storage();
      const other = await ctx.openAnother();
      try {
        const e = era();
        const rows = Array.from({ length: 100 }, (_, i) => delivery(at(e, i)));
        await s.deliveries.enqueue(rows);
        const now = at(e, MINUTE);
        const stale = at(e, -HOUR);
        // PostgreSQL: two pools race (SKIP LOCKED); SQLite: one writer, so claims interleave.
        const instances: Storage[] = s.dialect === 'postgres' ? [s, other] : [s];
        const claimed: DeliveryRow[] = [];
        for (let round = 0; round < 10; round++) {
          const got = (
            await Promise.all(
              Array.from({ length: 20 }, (_, i) => instances[i % instances.length]!.deliveries.claimDue(now, 7, stale)),
            )
          ).flat();
          if (got.length === 0) break;
          claimed.push(...got);
        }
        expect(claimed).toHaveLength(100);
        expect(new Set(ids(claimed))).toEqual(new Set(ids(rows)));
        for (const r of claimed) expect(r).toMatchObject({ status: 'sending', attempts: 1, updatedAt: now });
      } finally {
        await other.close();
      }
    });

    it('refuses malformed timestamps and limits', async () => {
      const s = ctx.storage();
      const e = era();
      await expectStorageError(s.deliveries.claimDue('2026-01-05 09:00', 10, e), 'storage_invalid_input');
      await expectStorageError(s.deliveries.claimDue(e, 0, e), 'storage_invalid_input');
      await expectStorageError(s.deliveries.enqueue([delivery('yesterday')]), 'storage_invalid_input');
      await expectStorageError(s.deliveries.list({ limit: 0 }), 'storage_invalid_input');
    });
  });
}
