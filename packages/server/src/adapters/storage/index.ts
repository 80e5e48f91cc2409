/**
 * Opens the storage a URL names:
 * - `sqlite:PATH` (relative to the working directory; `sqlite:///abs/path` also works),
 * - `sqlite::memory:` (a private in-memory database, gone on close),
 * - `postgres://…` / `postgresql://…`.
 *
 * Opening does not migrate: the composition root calls `storage.migrate()` at start.
 * The PostgreSQL driver is loaded only when a PostgreSQL URL is opened.
 */
import { GatehouseError } from '../../core/errors.js';
import type { Storage } from '../../core/ports/storage.js';
import { createKyselyStorage } from './kysely-storage.js';

export interface StorageLogger {
  warn(obj: object, msg?: string): void;
}

export interface OpenStorageOptions {
  readonly logger?: StorageLogger;
  /** PostgreSQL pool size (default 10). */
  readonly poolSize?: number;
}

export type StorageTarget =
  { readonly dialect: 'sqlite'; readonly path: string } | { readonly dialect: 'postgres'; readonly url: string };

/** Hides a password so the URL can appear in messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
}

export function parseStorageUrl(url: string): StorageTarget {
  const bad = (why: string) =>
    new GatehouseError('storage_url_invalid', `storage URL "${redactUrl(url)}" is invalid: ${why}`, {
      details: { url: redactUrl(url) },
    });
  if (typeof url !== 'string' || url.trim() === '') throw bad('it is empty');
  if (url.startsWith('sqlite:')) {
    let path = url.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2);
    if (path === '') throw bad('no file path after "sqlite:" (use sqlite:./data/gatehouse.db or sqlite::memory:)');
    return { dialect: 'sqlite', path };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw bad('not a parsable URL');
    }
    if (parsed.hostname === '' && !parsed.searchParams.has('host')) throw bad('no host');
    return { dialect: 'postgres', url };
  }
  throw bad('expected sqlite:PATH, sqlite::memory: or postgres://user@host:port/database');
}

export async function openStorage(url: string, opts: OpenStorageOptions = {}): Promise<Storage> {
  const target = parseStorageUrl(url);
  if (target.dialect === 'sqlite') {
    const [{ openSqliteDatabase, createSqliteKysely, sqliteOps, sqliteScript }, { sqliteDirect }] = await Promise.all([
      import('./sqlite.js'),
      import('./sqlite-direct.js'),
    ]);
    const database = openSqliteDatabase(target.path);
    return createKyselyStorage(createSqliteKysely(database), sqliteOps, {
      direct: sqliteDirect(database),
      script: sqliteScript(database),
    });
  }
  const { createPostgresKysely, postgresOps } = await import('./postgres.js');
  return createKyselyStorage(createPostgresKysely(target.url, opts), postgresOps);
}
