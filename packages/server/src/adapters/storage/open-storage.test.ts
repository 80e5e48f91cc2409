import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { GatehouseError } from '../../core/errors.js';
import { chainEntries } from './cases/fixtures.case.js';
import { openStorage, parseStorageUrl, redactUrl } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(GatehouseError);
    return (e as GatehouseError).code;
  }
}

describe('storage URLs', () => {
  it('parses the supported forms', () => {
    expect(parseStorageUrl('sqlite:./data/gatehouse.db')).toEqual({ dialect: 'sqlite', path: './data/gatehouse.db' });
    expect(parseStorageUrl('sqlite:///var/lib/gh.db')).toEqual({ dialect: 'sqlite', path: '/var/lib/gh.db' });
    expect(parseStorageUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', path: ':memory:' });
    expect(parseStorageUrl('postgresql://u@db:5432/gh')).toEqual({
      dialect: 'postgres',
      url: 'postgresql://u@db:5432/gh',
    });
  });

  it.each(['', 'sqlite:', 'mysql://root@localhost/gh', 'postgres://', './gatehouse.db'])(
    'rejects %j with storage_url_invalid naming the URL',
    async (url) => {
      const err = await openStorage(url).then(
        () => undefined,
        (e: unknown) => e as GatehouseError,
      );
      expect(err?.code).toBe('storage_url_invalid');
      if (url !== '') expect(err?.message).toContain(url);
    },
  );

  it('never puts a password in a message', () => {
    expect(redactUrl('postgres://gh:s3cret@db:5432/gh')).toBe('postgres://gh:***@db:5432/gh');
    try {
      parseStorageUrl('postgres://gh:s3cret@');
    } catch (e) {
      expect((e as Error).message).not.toContain('s3cret');
    }
  });
});

describe('SQLite specifics', () => {
  it('creates the parent directory and turns on WAL, NORMAL sync, busy timeout and foreign keys', async () => {
    const file = join(dir, 'a', 'b', 'gatehouse.db');
    const s = await openStorage(`sqlite:${file}`);
    await s.migrate();
    expect(existsSync(file)).toBe(true);
    await s.close();
    const raw = new BetterSqlite3(file);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('supports a private in-memory database', async () => {
    const a = await openStorage('sqlite::memory:');
    const b = await openStorage('sqlite::memory:');
    await a.migrate();
    await b.migrate();
    await a.audit.append((head) => chainEntries(head, ['only-in-a']));
    expect(await a.audit.count()).toBe(1);
    expect(await b.audit.count()).toBe(0);
    await Promise.all([a.close(), b.close()]);
  });

  it('an unmigrated database answers storage_unavailable, not a driver error', async () => {
    const s = await openStorage('sqlite::memory:');
    expect(await codeOf(s.actions.get('x'))).toBe('storage_unavailable');
    await s.close();
  });

  it('a transaction holds the write lock from its first statement, so other processes wait', async () => {
    const file = join(dir, 'lock.db');
    const s = await openStorage(`sqlite:${file}`);
    await s.migrate();
    // Stands in for another process (the CLI): refuses at once instead of waiting.
    const cli = new BetterSqlite3(file, { timeout: 0 });
    try {
      await s.transaction(async (tx) => {
        await tx.audit.head(); // a read only
        expect(() => cli.prepare("insert into leases (name, holder, until) values ('x', 'cli', 'z')").run()).toThrow(
          /locked|busy/i,
        );
        await tx.audit.append((head) => chainEntries(head, ['still-ours']));
      });
      expect(await s.audit.count()).toBe(1);
    } finally {
      cli.close();
      await s.close();
    }
  });
});

describe('PostgreSQL specifics', () => {
  it('an unreachable server answers storage_unavailable', async () => {
    const s = await openStorage('postgres://postgres@127.0.0.1:1/gatehouse');
    expect(await codeOf(s.ping())).toBe('storage_unavailable');
    expect(await codeOf(s.migrate())).toBe('storage_unavailable');
    expect(await codeOf(s.actions.get('x'))).toBe('storage_unavailable');
    await s.close();
  });

  it("leaves pg's global int8 parser alone", async () => {
    const s = await openStorage('postgres://postgres@127.0.0.1:1/gatehouse');
    expect(pg.types.getTypeParser(20, 'text')('9007199254740993')).toBe('9007199254740993');
    await s.close();
  });
});
