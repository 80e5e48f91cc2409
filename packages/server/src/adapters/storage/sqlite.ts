/**
 * SQLite through better-sqlite3 12 (13 crashes on Node 20). One server process per database
 * file; other processes (the CLI) may share it.
 *
 * - WAL + synchronous=NORMAL: readers never block the writer; a commit survives a process crash
 *   (an OS crash may lose the last transactions, never corrupt the file).
 * - busy_timeout: another process holding the write lock makes us wait, not fail.
 * - WAL checkpoints run in a worker thread, not inside our commits (`../sqlite-checkpointer.ts`):
 *   `close()` stops it before the connection closes (Kysely's `destroy()` ends in that `close`).
 * - Every transaction begins IMMEDIATE, taking the write lock up front. A deferred transaction
 *   that reads and then writes fails with SQLITE_BUSY if another connection wrote in between, and
 *   the audit append (read head, then insert) relies on holding the lock from its first read.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  SqliteAdapter,
  SqliteDriver,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
  type DatabaseConnection,
  type Dialect,
} from 'kysely';
import { GatehouseError } from '../../core/errors.js';
import { startSqliteCheckpointer } from '../sqlite-checkpointer.js';
import type { SqliteScript } from './migrations/index.js';
import type { DialectOps } from './repos/context.js';
import type { Database } from './schema.js';

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * Kysely's SQLite driver prepares every query afresh; preparing costs about as much as running
 * a small statement. The query shapes are few, so keep prepared statements by SQL text (bounded).
 * A statement that is being iterated (`busy`) is never handed out twice: a fresh one is prepared.
 */
function withStatementCache(db: BetterSqlite3.Database, max = 500): BetterSqlite3.Database {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, BetterSqlite3.Statement>();
  db.prepare = ((source: string) => {
    const hit = cache.get(source);
    if (hit && !hit.busy) return hit;
    const stmt = prepare(source);
    if (!hit) {
      if (cache.size >= max) cache.delete(cache.keys().next().value as string);
      cache.set(source, stmt);
    }
    return stmt;
  }) as typeof db.prepare;
  return db;
}

export function openSqliteDatabase(path: string): BetterSqlite3.Database {
  const memory = path === ':memory:';
  const file = memory ? path : resolve(path);
  try {
    if (!memory) mkdirSync(dirname(file), { recursive: true });
    const db = new BetterSqlite3(file);
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // Group commit runs each transaction body in a SAVEPOINT of one transaction; SQLite keeps the
    // pages a savepoint may have to restore in a sub-journal, which by default spills to a temp
    // file past 64 KiB — a file opened per group commit and ~2 pwrites per page. In memory it is a
    // few MB at most for a group. The cost: a sort that cannot use an index (a GROUP BY over a
    // long period) keeps its whole spill in memory too; migrations switch it off (sqliteScript).
    db.pragma('temp_store = MEMORY');
    const checkpointer = startSqliteCheckpointer(db);
    const close = db.close.bind(db);
    db.close = () => {
      checkpointer.stop();
      return close();
    };
    return withStatementCache(db);
  } catch (cause) {
    throw new GatehouseError(
      'storage_unavailable',
      `cannot open SQLite database ${file}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
}

/** Migrations' all-or-nothing scripts (migrations/index.ts): synchronous, so nothing interleaves. */
export function sqliteScript(database: BetterSqlite3.Database): SqliteScript {
  return (text, skipIf) => {
    // A rebuild sorts whole tables for its indexes: let those sorts spill to temp files, as
    // SQLite does by default (the connection keeps MEMORY for group commit's savepoint journals).
    const temp = database.pragma('temp_store', { simple: true }) as number;
    database.pragma('temp_store = DEFAULT');
    try {
      database
        .transaction(() => {
          if (database.prepare(skipIf).get() === undefined) database.exec(text);
        })
        .immediate();
    } finally {
      database.pragma(`temp_store = ${temp}`);
    }
  };
}

export function createSqliteKysely(database: BetterSqlite3.Database): Kysely<Database> {
  const dialect: Dialect = {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new ImmediateSqliteDriver({ database }),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
  return new Kysely<Database>({ dialect });
}

const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|CORRUPT|NOTADB|PROTOCOL|NOLFS|PERM|AUTH)/;

export function classifySqliteError(e: unknown): GatehouseError | undefined {
  if (e instanceof BetterSqlite3.SqliteError) {
    const { code, message } = e;
    const opts = { cause: e, details: { driverCode: code } };
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      return new GatehouseError('conflict', `duplicate: ${message}`, opts);
    }
    if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
      return new GatehouseError('conflict', 'a referenced row does not exist', opts);
    }
    if (code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG') {
      return new GatehouseError('storage_invalid_input', message, opts);
    }
    if (UNAVAILABLE.test(code)) return new GatehouseError('storage_unavailable', `SQLite: ${message}`, opts);
    if (/^no such table/.test(message)) {
      return new GatehouseError('storage_unavailable', `SQLite schema missing (run migrate): ${message}`, opts);
    }
    return new GatehouseError('storage_failed', `SQLite: ${message}`, opts);
  }
  if (e instanceof TypeError && /^(SQLite3 can only bind|Too (few|many) parameter)/.test(e.message)) {
    return new GatehouseError('storage_invalid_input', e.message, { cause: e });
  }
  if (e instanceof TypeError && /database connection is not open/.test(e.message)) {
    return new GatehouseError('storage_unavailable', 'storage is closed', { cause: e });
  }
  return undefined;
}

export const sqliteOps: DialectOps = {
  name: 'sqlite',
  lockAudit: () => Promise.resolve(),
  // json_each compares raw keys, so any key (quotes, dots) matches without path escaping.
  dimsContain: (dims) =>
    sql<boolean>`(${sql.join(
      Object.entries(dims).map(
        ([k, v]) => sql`exists (select 1 from json_each(kpi_samples.dims_key) d where d.key = ${k} and d.value = ${v})`,
      ),
      sql` and `,
    )})`,
  skipLocked: false,
  groupCommit: true,
  classify: classifySqliteError,
};
