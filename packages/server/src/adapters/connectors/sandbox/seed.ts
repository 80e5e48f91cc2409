import { randomUUID } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { GatehouseError } from '../../../core/errors.js';
import { generateSandbox, type SandboxSize } from './generator.js';
import type { SeedRecord } from './generator-kit.js';
import { COMPILED_SCHEMA } from './schema.js';
import { INDEX_SQL, SCHEMA_SQL, SEED_ACTOR, SEED_SOURCE, openSandboxStore, type SandboxStore } from './store.js';

/**
 * Seeding on first open. A file is built under a temporary name with journaling off (a million
 * history rows in WAL mode would be written twice), indexed, then linked into place: `link` fails
 * if the path appeared meanwhile, so a crash or a concurrent opener never sees a half-seeded file.
 * Reopening a seeded file checks it holds the same seed and size, and refuses anything else
 * rather than silently mixing two datasets.
 */

const FORMAT = '1';

/** Multi-row INSERTs: one statement per `perStatement` rows cuts per-call overhead several-fold. */
function batchInserter(db: Database.Database, table: string, columns: readonly string[], perStatement: number) {
  const one = `(${columns.map(() => '?').join(', ')})`;
  const sql = (n: number) =>
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array<string>(n).fill(one).join(', ')}`;
  const full = db.prepare<unknown[]>(sql(perStatement));
  const single = db.prepare<unknown[]>(sql(1));
  let buffer: unknown[] = [];
  return {
    /** Values of one row, in column order. */
    push(...row: unknown[]) {
      for (const v of row) buffer.push(v);
      if (buffer.length === perStatement * columns.length) {
        full.run(buffer);
        buffer = [];
      }
    },
    flush() {
      for (let i = 0; i < buffer.length; i += columns.length) single.run(buffer.slice(i, i + columns.length));
      buffer = [];
    },
  };
}

/** Records, their history (initial values as `import` by the seed integration) and meta, in one transaction. */
function load(db: Database.Database, records: readonly SeedRecord[], meta: Readonly<Record<string, string>>) {
  db.transaction(() => {
    const metaSet = db.prepare<[string, string]>('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    for (const [key, value] of Object.entries(meta)) metaSet.run(key, value);
    const recordRows = batchInserter(db, 'records', ['object', 'id', 'properties', 'created_at', 'updated_at'], 50);
    const historyRows = batchInserter(
      db,
      'history',
      ['object', 'record_id', 'property', 'value', 'ts', 'source', 'actor_kind', 'actor_id'],
      100,
    );
    const [source, kind, actorId] = [SEED_SOURCE, SEED_ACTOR.kind, SEED_ACTOR.id];
    for (const r of records) {
      recordRows.push(r.object, r.id, JSON.stringify(r.properties), r.createdAt, r.updatedAt);
      for (const name of COMPILED_SCHEMA.get(r.object)?.names ?? []) {
        const timeline = r.timeline?.[name];
        if (timeline) {
          for (const step of timeline)
            historyRows.push(r.object, r.id, name, step.value, step.at, source, kind, actorId);
          continue;
        }
        const value = r.properties[name] ?? null;
        if (value !== null) {
          historyRows.push(
            r.object,
            r.id,
            name,
            value,
            name === 'lastmodifieddate' ? r.updatedAt : r.createdAt,
            source,
            kind,
            actorId,
          );
        }
      }
    }
    recordRows.flush();
    historyRows.flush();
  })();
}

function checkMeta(store: SandboxStore, path: string, seed: number, size: SandboxSize) {
  const found = { format: store.meta('format'), seed: store.meta('seed'), size: store.meta('size') };
  if (found.seed === String(seed) && found.size === JSON.stringify(size) && found.format === FORMAT) return;
  throw new GatehouseError(
    'sandbox_seed_mismatch',
    `${path} already holds sandbox data for seed ${found.seed ?? '(none)'} and size ${found.size ?? '(none)'}; ` +
      `asked for seed ${seed} and size ${JSON.stringify(size)}. Use the same seed and size, or another file.`,
    { details: { path, found, requested: { seed, size } } },
  );
}

function buildFile(target: string, records: readonly SeedRecord[], meta: Readonly<Record<string, string>>) {
  const db = new Database(target);
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('temp_store = MEMORY');
    db.pragma('cache_size = -262144'); // 256 MiB while building: index sorts stay in memory
    db.exec(SCHEMA_SQL);
    load(db, records, meta);
    db.exec(INDEX_SQL);
  } finally {
    db.close();
  }
}

/** Opens the sandbox at `path`, seeding it if it holds no data yet. */
export function openSeededStore(path: string, seed: number, size: SandboxSize): SandboxStore {
  const meta = { format: FORMAT, seed: String(seed), size: JSON.stringify(size) };
  if (path === ':memory:') {
    const store = openSandboxStore(path);
    load(store.db, generateSandbox(seed, size), meta);
    store.ensureIndexes();
    return store;
  }
  mkdirSync(dirname(path), { recursive: true });
  if (existsSync(path)) {
    const store = openSandboxStore(path);
    try {
      if (!store.isEmpty()) {
        checkMeta(store, path, seed, size);
        store.ensureIndexes();
        return store;
      }
    } catch (e) {
      store.close();
      throw e;
    }
    // An empty database (created but never seeded): replace it.
    store.close();
    for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
  }
  const temp = `${path}.seeding-${randomUUID()}`;
  try {
    buildFile(temp, generateSandbox(seed, size), meta);
    try {
      linkSync(temp, path);
    } catch (e) {
      // Someone else seeded the same path meanwhile: use theirs (checked below like any existing file).
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  } finally {
    rmSync(temp, { force: true });
  }
  const store = openSandboxStore(path);
  try {
    checkMeta(store, path, seed, size);
    return store;
  } catch (e) {
    store.close();
    throw e;
  }
}
