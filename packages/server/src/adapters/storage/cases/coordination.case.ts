import { describe, expect, it } from 'vitest';
import type { KpiSample } from '../../../core/ports/storage.js';
import { at, expectStorageError, HOUR, MINUTE, T0, uid, type ContractContext } from './fixtures.case.js';

export function coordinationCases(ctx: ContractContext): void {
  describe('keys', () => {
    it('finds active keys by hash, lists them, and revokes once', async () => {
      const s = ctx.storage();
      const subject = uid('agent');
      const key = {
        id: uid('key'),
        kind: 'agent' as const,
        subject,
        hash: uid('h').padEnd(64, '0'),
        prefix: 'gh_agent_abc',
        createdAt: T0,
      };
      expect(await s.keys.insert(key)).toEqual({ ...key, label: null, revokedAt: null });
      const other = { ...key, id: uid('key'), hash: uid('h').padEnd(64, '1'), label: 'laptop', createdAt: at(T0, 1) };
      await s.keys.insert(other);
      expect((await s.keys.findByHash(key.hash))?.id).toBe(key.id);
      expect(await s.keys.findByHash('0'.repeat(64))).toBeUndefined();
      expect((await s.keys.list({ kind: 'agent', subject })).map((k) => k.id)).toEqual([key.id, other.id]);
      expect(await s.keys.list({ kind: 'ingest', subject })).toEqual([]);
      await expectStorageError(s.keys.insert({ ...key, id: uid('key') }), 'conflict');
      expect(await s.keys.revoke(key.id, at(T0, HOUR))).toBe(true);
      expect(await s.keys.revoke(key.id, at(T0, 2 * HOUR))).toBe(false);
      expect(await s.keys.revoke('key_missing', T0)).toBe(false);
      expect(await s.keys.findByHash(key.hash)).toBeUndefined();
      expect((await s.keys.get(key.id))?.revokedAt).toBe(at(T0, HOUR));
    });
  });

  describe('agents', () => {
    it('creates and replaces runtime state', async () => {
      const s = ctx.storage();
      const id = uid('agent');
      const first = { id, mode: 'observe' as const, configVersion: 'v1', updatedAt: T0, updatedBy: 'config' };
      expect(await s.agents.upsert(first)).toEqual({ ...first, reason: null });
      const paused = {
        ...first,
        mode: 'paused' as const,
        updatedAt: at(T0, MINUTE),
        updatedBy: 'ana',
        reason: 'breaker review',
      };
      await s.agents.upsert(paused);
      expect(await s.agents.get(id)).toEqual(paused);
      expect((await s.agents.list()).filter((a) => a.id === id)).toEqual([paused]);
      expect(await s.agents.get('agent_missing')).toBeUndefined();
    });
  });

  describe('kpis', () => {
    const sample = (metric: string, minute: number, value: number, dims: Record<string, string>): KpiSample => ({
      metric,
      value,
      at: at(T0, minute * MINUTE),
      dims,
    });

    it('counts a resent sample once, whatever the order of its dims', async () => {
      const s = ctx.storage();
      const metric = uid('email.clicks');
      const batch = [
        sample(metric, 0, 12, { email_id: 'e1', campaign_id: 'c1' }),
        sample(metric, 1, 7, { email_id: 'e1', campaign_id: 'c1' }),
        sample(metric, 0, 3, { email_id: 'e2', campaign_id: 'c1' }),
        sample(metric, 0, 12, { email_id: 'e1', campaign_id: 'c1' }), // duplicate within the batch
      ];
      expect(await s.kpis.insertSamples(batch)).toBe(3);
      expect(await s.kpis.insertSamples([sample(metric, 0, 99, { campaign_id: 'c1', email_id: 'e1' })])).toBe(0);
      const range = { metric, from: T0, to: at(T0, HOUR) };
      expect(await s.kpis.sum(range)).toBe(22);
      // Five feeds resending the same batch at once still count it once.
      const again = await Promise.all(Array.from({ length: 5 }, () => s.kpis.insertSamples(batch)));
      expect(again.reduce((a, b) => a + b, 0)).toBe(0);
      expect(await s.kpis.sum(range)).toBe(22);
    });

    it('queries a half-open range with partial dims matching', async () => {
      const s = ctx.storage();
      const metric = uid('email.delivered');
      await s.kpis.insertSamples([
        sample(metric, 0, 100, { email_id: 'e1', campaign_id: 'c1' }),
        sample(metric, 30, 50.5, { email_id: 'e2', campaign_id: 'c1' }),
        sample(metric, 30, 40, { email_id: 'e3', campaign_id: 'c2' }),
        sample(metric, 60, 1000, { email_id: 'e1', campaign_id: 'c1' }),
        sample(metric, 10, 5, { 'odd "key".x': 'v' }),
      ]);
      const hour = { metric, from: T0, to: at(T0, HOUR) };
      expect(await s.kpis.sum(hour)).toBe(195.5);
      expect(await s.kpis.sum({ ...hour, dims: { campaign_id: 'c1' } })).toBe(150.5);
      expect(await s.kpis.sum({ ...hour, dims: { campaign_id: 'c1', email_id: 'e2' } })).toBe(50.5);
      expect(await s.kpis.sum({ ...hour, dims: { campaign_id: 'c3' } })).toBe(0);
      expect(await s.kpis.sum({ ...hour, dims: { 'odd "key".x': 'v' } })).toBe(5);
      expect(await s.kpis.query({ ...hour, dims: { campaign_id: 'c1' } })).toEqual([
        sample(metric, 0, 100, { campaign_id: 'c1', email_id: 'e1' }),
        sample(metric, 30, 50.5, { campaign_id: 'c1', email_id: 'e2' }),
      ]);
      expect(await s.kpis.sum({ metric: uid('none'), from: T0, to: at(T0, HOUR) })).toBe(0);
    });

    it('refuses values that are not finite numbers', async () => {
      const s = ctx.storage();
      for (const value of [Number.NaN, Number.POSITIVE_INFINITY]) {
        await expectStorageError(s.kpis.insertSamples([sample(uid('m'), 0, value, {})]), 'storage_invalid_input');
      }
    });

    it('prunes samples older than a cutoff', async () => {
      const s = ctx.storage();
      const metric = uid('m');
      const old = '2000-01-01T00:00:00.000Z';
      await s.kpis.insertSamples([{ metric, value: 1, at: old, dims: {} }, sample(metric, 0, 2, {})]);
      expect(await s.kpis.prune('2000-01-02T00:00:00.000Z')).toBe(1);
      expect(await s.kpis.sum({ metric, from: old, to: at(T0, HOUR) })).toBe(2);
    });
  });

  describe('rates', () => {
    it('of 50 parallel takes exactly `limit` are allowed', async () => {
      const s = ctx.storage();
      const key = uid('rate');
      const results = await Promise.all(Array.from({ length: 50 }, () => s.rates.take(key, T0, 7)));
      expect(results.filter((r) => r.allowed)).toHaveLength(7);
      expect(
        results
          .filter((r) => r.allowed)
          .map((r) => r.count)
          .sort((a, b) => a - b),
      ).toEqual([1, 2, 3, 4, 5, 6, 7]);
      for (const r of results.filter((x) => !x.allowed)) expect(r.count).toBe(7);
      expect(await s.rates.take(key, at(T0, MINUTE), 7)).toEqual({ allowed: true, count: 1 });
    });

    it('takes amounts as one unit and never goes over the limit', async () => {
      const s = ctx.storage();
      const key = uid('volume');
      expect(await s.rates.take(key, T0, 100, 60)).toEqual({ allowed: true, count: 60 });
      expect(await s.rates.take(key, T0, 100, 50)).toEqual({ allowed: false, count: 60 });
      expect(await s.rates.take(key, T0, 100, 40)).toEqual({ allowed: true, count: 100 });
      expect(await s.rates.take(uid('volume'), T0, 10, 11)).toEqual({ allowed: false, count: 0 });
      expect(await s.rates.take(uid('zero'), T0, 0)).toEqual({ allowed: false, count: 0 });
    });

    it('reads a window without taking from it; a take inside a rolled-back transaction is undone', async () => {
      const s = ctx.storage();
      const key = uid('peek');
      expect(await s.rates.current(key, T0)).toBe(0);
      await s.rates.take(key, T0, 5, 2);
      expect(await s.rates.current(key, T0)).toBe(2);
      expect(await s.rates.current(key, T0)).toBe(2);
      expect(await s.rates.current(key, at(T0, MINUTE))).toBe(0);
      await expect(
        s.transaction(async (tx) => {
          expect(await tx.rates.take(key, T0, 5)).toEqual({ allowed: true, count: 3 });
          throw new Error('decision not recorded');
        }),
      ).rejects.toThrow('decision not recorded');
      expect(await s.rates.current(key, T0)).toBe(2);
    });

    it('prunes old windows', async () => {
      const s = ctx.storage();
      const key = uid('rate');
      await s.rates.take(key, '2000-01-01T00:00:00.000Z', 5);
      expect(await s.rates.prune('2000-01-01T00:01:00.000Z')).toBeGreaterThanOrEqual(1);
      expect(await s.rates.take(key, '2000-01-01T00:00:00.000Z', 5)).toEqual({ allowed: true, count: 1 });
    });
  });

  describe('leases', () => {
    it('is held by one holder at a time until it expires or is released', async () => {
      const s = ctx.storage();
      const other = await ctx.openAnother();
      try {
        const name = uid('sweeper');
        const until = at(T0, MINUTE);
        const tries = ['i1', 'i2', 'i3', 'i4', 'i5'].map((h) => s.leases.tryAcquire(name, h, until, T0));
        const won = (await Promise.all(tries)).filter(Boolean);
        expect(won).toHaveLength(1);
        const holder = (await s.leases.get(name))!.holder;
        expect(await other.leases.tryAcquire(name, 'other', until, at(T0, 30_000))).toBe(false);
        expect(await other.leases.tryAcquire(name, holder, at(T0, 2 * MINUTE), at(T0, 30_000))).toBe(true);
        expect(await other.leases.get(name)).toEqual({ name, holder, until: at(T0, 2 * MINUTE) });
        expect(await s.leases.release(name, 'other')).toBe(false);
        expect(await other.leases.tryAcquire(name, 'other', at(T0, 3 * MINUTE), at(T0, 2 * MINUTE))).toBe(true);
        expect(await s.leases.release(name, 'other')).toBe(true);
        expect(await s.leases.get(name)).toBeUndefined();
        expect(await s.leases.tryAcquire(name, 'i1', at(T0, 4 * MINUTE), at(T0, 2 * MINUTE))).toBe(true);
        await expectStorageError(s.leases.tryAcquire(name, 'i1', T0, T0), 'storage_invalid_input');
      } finally {
        await other.close();
      }
    });
  });
}
