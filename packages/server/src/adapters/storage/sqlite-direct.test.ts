/**
 * The direct path (sqlite-direct.ts) must be indistinguishable from Kysely's: a statement from
 * outside an open transaction never runs inside it, one from inside always does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Storage } from '../../core/ports/storage.js';
import { openStorage } from './index.js';

const WINDOW = '2026-01-05T09:00:00.000Z';
let storage: Storage | undefined;

afterEach(async () => {
  await storage?.close();
  storage = undefined;
});

async function open(): Promise<Storage> {
  storage = await openStorage('sqlite::memory:');
  await storage.migrate();
  return storage;
}

describe('SQLite statements run straight on the connection', () => {
  it('a statement from outside an open transaction waits for it and is not rolled back with it', async () => {
    const s = await open();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let inside!: () => void;
    const started = new Promise<void>((r) => (inside = r));
    const tx = s.transaction(async (repos) => {
      await repos.rates.take('in-tx', WINDOW, 10);
      inside();
      await gate;
      throw new Error('roll back');
    });
    await started;
    // The transaction is open on the connection now: this take must not join it.
    const outside = s.rates.take('outside', WINDOW, 10);
    release();
    await expect(tx).rejects.toThrow('roll back');
    await expect(outside).resolves.toEqual({ allowed: true, count: 1 });
    expect(await s.rates.current('outside', WINDOW)).toBe(1);
    expect(await s.rates.current('in-tx', WINDOW)).toBe(0);
  });

  it('statements inside a transaction see its writes and roll back with it', async () => {
    const s = await open();
    await expect(
      s.transaction(async (repos) => {
        await repos.rates.take('k', WINDOW, 10);
        expect(await repos.rates.current('k', WINDOW)).toBe(1);
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(await s.rates.current('k', WINDOW)).toBe(0);
  });

  it('a driver error on the direct path is the storage error it means', async () => {
    const s = await open();
    await s.close();
    await expect(s.rates.current('k', WINDOW)).rejects.toMatchObject({ code: 'storage_unavailable' });
    storage = undefined;
  });
});
