/**
 * The store's parse cache (store.ts `read`, `liveProperties`, `fingerprint`): a cached parse is used
 * only when the row's `properties` text just read is identical, so no read is ever stale, and
 * nothing shared with the cache reaches a caller who could change it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../../core/clock.js';
import type { PropertyValue } from '../../../core/ports/connector.js';
import { fingerprintRecord } from '../fingerprint.js';
import { createSandboxConnector } from './index.js';
import { ctx, SMALL, update } from './kit.case.js';

describe('sandbox parse cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sandbox-cache-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('hands callers maps of their own; shared maps are frozen and fingerprinted as a fresh parse', async () => {
    const crm = await createSandboxConnector({ id: 'crm', seed: 3, size: SMALL, clock: createManualClock() });
    try {
      const first = (await crm.getMany('contacts', ['c_1'])).get('c_1')!;
      (first.properties as Record<string, PropertyValue>)['city'] = 'Mutated'; // despite the type
      const got = (await crm.get('contacts', 'c_1'))!;
      expect(got.properties['city']).not.toBe('Mutated');
      (got.properties as Record<string, PropertyValue>)['city'] = 'Mutated again';
      const stored = crm.store.get('contacts', 'c_1')!;
      expect(stored.properties['city']).not.toBe('Mutated again');
      stored.properties['city'] = 'Mutated thrice';

      const shared = crm.store.read('contacts', 'c_1')!;
      expect(Object.isFrozen(shared.properties)).toBe(true);
      const row = crm.store.db.prepare("SELECT properties FROM records WHERE id = 'c_1'").get() as {
        properties: string;
      };
      expect(shared.properties).toEqual(JSON.parse(row.properties));
      expect(crm.store.fingerprint(shared.properties)).toBe(fingerprintRecord(JSON.parse(row.properties)));
      expect(crm.store.fingerprint(shared.properties)).toBe(crm.store.fingerprint(shared.properties));
      const plan = await crm.plan(update('c_1', 'Planned'));
      expect(plan.records[0]?.fingerprint).toBe(fingerprintRecord(JSON.parse(row.properties)));
    } finally {
      await crm.close();
    }
  });

  it("sees another connection's write at once, and a plan made before it is stale", async () => {
    const path = join(dir, 'other-writer.db');
    const crm = await createSandboxConnector({ id: 'crm', seed: 3, size: SMALL, path, clock: createManualClock() });
    try {
      const plan = await crm.plan(update('c_2', 'Ours'));
      expect((await crm.get('contacts', 'c_2'))?.properties['city']).not.toBe('Theirs');
      const other = new Database(path);
      try {
        const row = other.prepare("SELECT properties FROM records WHERE object = 'contacts' AND id = 'c_2'").get() as {
          properties: string;
        };
        const changed = JSON.stringify({ ...(JSON.parse(row.properties) as object), city: 'Theirs' });
        other.prepare("UPDATE records SET properties = ? WHERE object = 'contacts' AND id = 'c_2'").run(changed);
      } finally {
        other.close();
      }
      expect((await crm.get('contacts', 'c_2'))?.properties['city']).toBe('Theirs');
      expect(crm.store.read('contacts', 'c_2')?.properties['city']).toBe('Theirs');
      const result = await crm.apply(plan, ctx('after-other'));
      expect(result.type).toBe('stale');
      expect((await crm.get('contacts', 'c_2'))?.properties['city']).toBe('Theirs');
    } finally {
      await crm.close();
    }
  });

  it('a write undone by its savepoint is not served from the cache', async () => {
    const crm = await createSandboxConnector({ id: 'crm', seed: 3, size: SMALL, clock: createManualClock() });
    try {
      const before = crm.store.read('contacts', 'c_3')!;
      const beforeFingerprint = crm.store.fingerprint(before.properties);
      const r = await crm.store.grouped(() => {
        crm.store.writeProperties(before, { city: 'Undone' }, '2030-01-01T00:00:00.000Z', 'test', {
          kind: 'agent',
          id: 'a',
        });
        expect(crm.store.read('contacts', 'c_3')?.properties['city']).toBe('Undone');
        throw new Error('undo');
      });
      expect(r).toEqual({ error: new Error('undo') });
      const after = crm.store.read('contacts', 'c_3')!;
      expect(after.properties).toEqual(before.properties);
      expect(crm.store.fingerprint(after.properties)).toBe(beforeFingerprint);
      // A plan made now applies: the record is as it was.
      const applied = await crm.apply(await crm.plan(update('c_3', 'Kept')), ctx('kept'));
      expect(applied.type).toBe('applied');
      expect((await crm.get('contacts', 'c_3'))?.properties['city']).toBe('Kept');
      expect(crm.store.history('contacts', 'c_3', 'city').map((h) => h.value)).not.toContain('Undone');
    } finally {
      await crm.close();
    }
  });

  it('successive applies on one record chain: each plan fingerprints the record the last apply wrote', async () => {
    const crm = await createSandboxConnector({ id: 'crm', seed: 3, size: SMALL, clock: createManualClock() });
    try {
      for (let n = 0; n < 5; n++) {
        const plan = await crm.plan(update('c_4', `City ${n}`));
        const row = crm.store.db.prepare("SELECT properties FROM records WHERE id = 'c_4'").get() as {
          properties: string;
        };
        expect(plan.records[0]?.fingerprint).toBe(fingerprintRecord(JSON.parse(row.properties)));
        expect((await crm.apply(plan, ctx(`chain-${n}`))).type).toBe('applied');
        expect((await crm.apply(plan, ctx(`chain-${n}`))).type).toBe('applied'); // replay
      }
      expect((await crm.get('contacts', 'c_4'))?.properties['city']).toBe('City 4');
      expect(crm.store.history('contacts', 'c_4', 'city').filter((h) => h.source === 'test')).toHaveLength(5);
    } finally {
      await crm.close();
    }
  });
});
