/**
 * Migrations live in code (no files read at run time, so a bundled server migrates too). Kysely's
 * migrator serialises concurrent runs on PostgreSQL (an advisory lock, each migration in a
 * transaction with its bookkeeping row), so every instance may call `migrate()` at start. On
 * SQLite Kysely runs migrations outside transactions; a migration that must be all or nothing
 * there (0005 rebuilds tables) runs its statements through `script`, one synchronous
 * `BEGIN IMMEDIATE` transaction on the connection.
 */
import type { Kysely, Migration, MigrationProvider } from 'kysely';
import { Migrator } from 'kysely';
import type { MigrationReport } from '../../../core/ports/storage.js';
import { GatehouseError } from '../../../core/errors.js';
import { migration0001, type MigrationDialect } from './0001-initial.js';
import { migration0002 } from './0002-outbox-and-sessions.js';
import { migration0003 } from './0003-votes-per-changeset.js';
import { migration0004 } from './0004-operation-modes.js';
import { migration0005 } from './0005-leaner-hot-tables.js';

const lostRace = (e: unknown) =>
  e instanceof Error && /UNIQUE constraint failed: gatehouse_migrations\.name/.test(e.message);

/** Runs `text` in one transaction unless `skipIf` (a query) returns a row; SQLite only. */
export type SqliteScript = (text: string, skipIf: string) => void;

/** Names sort in apply order; append only. */
function migrations(dialect: MigrationDialect, script?: SqliteScript): Record<string, Migration> {
  return {
    '0001-initial': migration0001(dialect),
    '0002-outbox-and-sessions': migration0002(),
    '0003-votes-per-changeset': migration0003(),
    '0004-operation-modes': migration0004(),
    '0005-leaner-hot-tables': migration0005(dialect, script),
  };
}

/** `classify` turns a driver error into the storage error it means (e.g. `storage_unavailable`). */
export async function runMigrations(
  db: Kysely<unknown>,
  dialect: MigrationDialect,
  classify: (e: unknown) => GatehouseError | undefined,
  script?: SqliteScript,
): Promise<MigrationReport> {
  const all = migrations(dialect, script);
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve(all) };
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'gatehouse_migrations',
    migrationLockTableName: 'gatehouse_migrations_lock',
  });
  let { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined && dialect === 'sqlite' && lostRace(error)) {
    // Kysely takes no lock on SQLite: two instances starting together both saw a migration
    // pending, and this one's bookkeeping row collided with the winner's (0005's script had
    // skipped itself). The winner's row is committed now; asking again finds nothing to do.
    ({ error, results = [] } = await migrator.migrateToLatest());
  }
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
