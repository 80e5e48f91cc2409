/**
 * What every repo is built from: a Kysely handle (the pool, or one open transaction) and the
 * few places where SQLite and PostgreSQL differ.
 */
import type { Expression, Kysely, SqlBool } from 'kysely';
import { GatehouseError } from '../../../core/errors.js';
import type { DirectQuery } from '../sqlite-direct.js';
import type { Database } from '../schema.js';

export interface DialectOps {
  readonly name: 'sqlite' | 'postgres';
  /**
   * Called first inside an audit-append transaction; returns once this transaction is the only
   * audit writer. PostgreSQL locks the `audit_lock` row; SQLite already holds the database write
   * lock because every transaction begins IMMEDIATE.
   */
  lockAudit(db: Kysely<Database>): Promise<void>;
  /** Predicate on `kpi_samples.dims_key`: holds every given key with that value. */
  dimsContain(dims: Readonly<Record<string, string>>): Expression<SqlBool>;
  /**
   * Whether concurrent `storage.transaction` calls share one commit (group-commit.ts). SQLite:
   * one writer, so they queue anyway; PostgreSQL runs them in parallel on its pool.
   */
  readonly groupCommit?: boolean;
  /** Whether claim queries may use `FOR UPDATE SKIP LOCKED`. */
  readonly skipLocked: boolean;
  /** A driver error as the storage error it means; `undefined` for errors that are not the driver's. */
  classify(e: unknown): GatehouseError | undefined;
}

export interface RepoContext {
  readonly db: Kysely<Database>;
  /** True when `db` is a transaction: multi-statement writes join it instead of opening one. */
  readonly inTransaction: boolean;
  readonly ops: DialectOps;
  /** SQLite: runs a fixed statement on the connection itself when that is what Kysely would do (sqlite-direct.ts). */
  readonly direct?: DirectQuery;
}

/** Runs `fn` all-or-nothing: in the caller's transaction if there is one, else in a new one. */
export function atomically<T>(ctx: RepoContext, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  return ctx.inTransaction ? fn(ctx.db) : ctx.db.transaction().execute(fn);
}

/**
 * The (created_at, id) of the row a keyset-paging cursor names. An unknown id is the caller's
 * mistake (a typo, or a cursor from another database): `invalid_cursor`, naming the wire field.
 */
export async function pagingCursor(
  db: Kysely<Database>,
  table: 'actions' | 'approvals',
  id: string,
): Promise<{ readonly created_at: string; readonly id: string }> {
  const row = await db.selectFrom(table).select(['created_at', 'id']).where('id', '=', id).executeTakeFirst();
  if (!row) {
    const noun = table === 'actions' ? 'action' : 'approval';
    throw new GatehouseError(
      'invalid_cursor',
      `after: no ${noun} '${id}' (pass paging.next.after from a previous page)`,
      {
        details: { field: 'after' },
      },
    );
  }
  return row;
}
