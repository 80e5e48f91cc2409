/**
 * The sandbox's grouped applies (store.ts `grouped`, apply.ts `applyPlanGrouped`): applies of one
 * event-loop turn share a COMMIT, each keeps its own all-or-nothing semantics, and nobody is
 * answered before the COMMIT.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createManualClock } from '../../../core/clock.js';
import { createSandboxConnector } from './index.js';
import { ctx, SMALL, update } from './kit.case.js';

describe('sandbox group commit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sandbox-group-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('applies of one turn share one COMMIT, are answered after it, and are durable for another connection', async () => {
    const path = join(dir, 'shared.db');
    const crm = await createSandboxConnector({ id: 'crm', seed: 3, size: SMALL, path, clock: createManualClock() });
    try {
      const plans = await Promise.all([1, 2, 3, 4].map((n) => crm.plan(update(`c_${n}`, `City ${n}`))));
      const exec = vi.spyOn(crm.store.db, 'exec');
      const results = await Promise.all(plans.map((p, i) => crm.apply(p, ctx(`k${i}`))));
      expect(results.map((r) => r.type)).toEqual(['applied', 'applied', 'applied', 'applied']);
      expect(exec.mock.calls.filter(([s]) => s === 'COMMIT')).toHaveLength(1);
      exec.mockRestore();
      // Another connection (another process) sees every write once the applies are answered.
      const other = new Database(path, { readonly: true });
      try {
        const row = other.prepare("SELECT properties FROM records WHERE object = 'contacts' AND id = 'c_4'").get() as {
          properties: string;
        };
        expect(JSON.parse(row.properties).city).toBe('City 4');
      } finally {
        other.close();
      }
    } finally {
      await crm.close();
    }
  });

  it('a stale plan in the group writes nothing while the others apply; a repeated key replays in the same turn', async () => {
    const crm = await createSandboxConnector({ id: 'crm', seed: 3, size: SMALL, clock: createManualClock() });
    try {
      const stale = await crm.plan(update('c_5', 'Stale'));
      const fresh = await crm.plan(update('c_6', 'Fresh'));
      const first = await crm.plan(update('c_5', 'First'));
      const [a, b, c, replay] = await Promise.all([
        crm.apply(first, ctx('first')),
        crm.apply(stale, ctx('stale')), // planned before `first` changed c_5
        crm.apply(fresh, ctx('fresh')),
        crm.apply(fresh, ctx('fresh')),
      ]);
      expect(a.type).toBe('applied');
      expect(b.type).toBe('stale');
      expect(c.type).toBe('applied');
      expect(replay).toMatchObject({ type: 'applied', replayed: true });
      expect((await crm.get('contacts', 'c_5'))?.properties['city']).toBe('First');
      expect(crm.store.history('contacts', 'c_6', 'city').filter((h) => h.value === 'Fresh')).toHaveLength(1);
    } finally {
      await crm.close();
    }
  });

  it('a failed COMMIT answers every apply of the group with storage_error and keeps nothing', async () => {
    const crm = await createSandboxConnector({ id: 'crm', seed: 3, size: SMALL, clock: createManualClock() });
    try {
      const plans = await Promise.all([7, 8].map((n) => crm.plan(update(`c_${n}`, 'Lost'))));
      const db = crm.store.db;
      const exec = db.exec.bind(db);
      const spy = vi.spyOn(db, 'exec').mockImplementation((s: string) => {
        if (s === 'COMMIT') throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
        return exec(s);
      });
      const results = await Promise.all(plans.map((p, i) => crm.apply(p, ctx(`lost${i}`))));
      spy.mockRestore();
      expect(results).toEqual([
        expect.objectContaining({ type: 'failed', code: 'storage_error', retryable: true }),
        expect.objectContaining({ type: 'failed', code: 'storage_error', retryable: true }),
      ]);
      expect(db.inTransaction).toBe(false);
      expect((await crm.get('contacts', 'c_7'))?.properties['city']).not.toBe('Lost');
      // The keys were not kept either: the same applies go through now.
      const again = await Promise.all(plans.map((p, i) => crm.apply(p, ctx(`lost${i}`))));
      expect(again.map((r) => r.type)).toEqual(['applied', 'applied']);
    } finally {
      await crm.close();
    }
  });

  it('a plain transaction (revert, simulator) or close commits an open group first', async () => {
    const crm = await createSandboxConnector({ id: 'crm', seed: 3, size: SMALL, clock: createManualClock() });
    const plan = await crm.plan(update('c_9', 'Before close'));
    const pending = crm.apply(plan, ctx('close'));
    expect(crm.store.db.inTransaction).toBe(true);
    crm.store.transaction(() => crm.store.setMeta('probe', 'x'));
    expect(crm.store.db.inTransaction).toBe(false);
    expect((await pending).type).toBe('applied');
    const next = crm.apply(await crm.plan(update('c_10', 'Closing')), ctx('close2'));
    await crm.close();
    expect((await next).type).toBe('applied');
  });
});
