/**
 * Migrations live in code (no files read at run time, so a bundled server migrates too). Kysely's
 * migrator serialises concurrent runs (PostgreSQL: an advisory lock; SQLite: the write lock), so
 * every instance may call `migrate()` at start.
 */
import type { Kysely, Migration, MigrationProvider } from 'kysely';
import { Migrator } from 'kysely';
import type { MigrationReport } from '../../../core/ports/storage.js';
import { GatehouseError } from '../../../core/errors.js';
import { migration0001, type MigrationDialect } from './0001-initial.js';
import { migration0002 } from './0002-outbox-and-sessions.js';
import { migration0003 } from './0003-votes-per-changeset.js';
import { migration0004 } from './0004-operation-modes.js';

/** Names sort in apply order; append only. */
function migrations(dialect: MigrationDialect): Record<string, Migration> {
  return {
    '0001-initial': migration0001(dialect),
    '0002-outbox-and-sessions': migration0002(),
    '0003-votes-per-changeset': migration0003(),
    '0004-operation-modes': migration0004(),
  };
}

/** `classify` turns a driver error into the storage error it means (e.g. `storage_unavailable`). */
export async function runMigrations(
  db: Kysely<unknown>,
  dialect: MigrationDialect,
  classify: (e: unknown) => GatehouseError | undefined,
): Promise<MigrationReport> {
  const all = migrations(dialect);
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve(all) };
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'gatehouse_migrations',
    migrationLockTableName: 'gatehouse_migrations_lock',
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const known = classify(error);
    if (known?.code === 'storage_unavailable') throw known;
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    throw new GatehouseError(
      'storage_migration_failed',
      `database migration ${failed ?? '(setup)'} failed: ${error instanceof Error ? error.message : 'unknown error'}`,
      { cause: error, details: { migration: failed ?? null } },
    );
  }
  const names = Object.keys(all).sort();
  return {
    applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName),
    latest: names[names.length - 1] ?? '',
  };
}
