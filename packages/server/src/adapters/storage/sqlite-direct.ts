/**
 * The hot path's fixed statements (repos/hot.ts) on SQLite, run on the better-sqlite3 handle
 * itself instead of through Kysely's executor.
 *
 * better-sqlite3 is synchronous and Kysely's SQLite driver has one connection, so Kysely adds no
 * concurrency, only cost: every statement went through an async connection provider (a promise
 * mutex), the driver and several awaits, which took more CPU than SQLite took to run the
 * statement. Running it directly is the same statement on the same connection, so it is only
 * done when that is exactly what Kysely would have done:
 *
 * - the caller holds the connection: its repos belong to the transaction that is open on it
 *   (`holdsConnection`), so the statement joins that transaction, as through Kysely; or
 * - nobody holds it in a transaction (`!inTransaction`): the statement autocommits, as through
 *   Kysely. A synchronous call cannot interleave with anything else on this thread.
 *
 * Otherwise (another caller's transaction is open and this caller is outside it) the answer is
 * `undefined` and the caller goes through Kysely, which waits for the connection; running it
 * here would put the statement inside someone else's transaction.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { QueryResult } from 'kysely';

export type DirectQuery = <R>(
  text: string,
  params: readonly unknown[],
  holdsConnection: boolean,
) => QueryResult<R> | undefined;

export function sqliteDirect(database: BetterSqlite3.Database): DirectQuery {
  return <R>(text: string, params: readonly unknown[], holdsConnection: boolean): QueryResult<R> | undefined => {
    if (!holdsConnection && database.inTransaction) return undefined;
    // `prepare` is the statement cache of sqlite.ts (by text); the same shapes as Kysely's driver answers.
    const stmt = database.prepare(text);
    // One array argument, as Kysely's driver binds it (a spread of a large multi-row insert's
    // parameters could exceed the engine's argument limit).
    const bind = params as unknown[];
    if (stmt.reader) return { rows: stmt.all(bind) as R[] };
    const { changes, lastInsertRowid } = stmt.run(bind);
    return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
  };
}
