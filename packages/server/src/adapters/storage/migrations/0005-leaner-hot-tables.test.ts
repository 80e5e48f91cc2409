/**
 * Migration 0005 on SQLite: a database at 0004 with real rows is rebuilt without changing a byte
 * of them, ends in the new shapes, migrates once (also when two instances race to it) and the
 * script it runs in is all or nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { Migrator, type Kysely, type MigrationProvider } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckpoint } from '../../../core/audit/checkpoint.js';
import { sealEntries } from '../../../core/audit/chain.js';
import { newKey } from '../../../core/audit/make-log.case.js';
import { verifyAudit } from '../../../core/audit/verify.js';
import type { ActionRow, ChangeRecordRow, Storage } from '../../../core/ports/storage.js';
import { at, newAction, seedAction, T0, uid } from '../cases/fixtures.case.js';
import pg from 'pg';
import { openStorage } from '../index.js';
import { createKyselyStorage } from '../kysely-storage.js';
import type { Database } from '../schema.js';
import { sqliteDirect } from '../sqlite-direct.js';
import { createSqliteKysely, openSqliteDatabase, sqliteOps, sqliteScript } from '../sqlite.js';
import { createTestPostgresDatabase, isPostgresReachable, POSTGRES_REQUIRED } from '../testing.js';
import { migration0001 } from './0001-initial.js';
import { migration0002 } from './0002-outbox-and-sessions.js';
import { migration0003 } from './0003-votes-per-changeset.js';
import { migration0004 } from './0004-operation-modes.js';
import { migration0005 } from './0005-leaner-hot-tables.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-0005-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const key = newKey();

interface Opened {
  readonly database: BetterSqlite3.Database;
  readonly db: Kysely<Database>;
  readonly storage: Storage;
}

/** The storage openStorage builds, with its connection and Kysely at hand. */
function open(path: string): Opened {
  const database = openSqliteDatabase(path);
  const db = createSqliteKysely(database);
  const storage = createKyselyStorage(db, sqliteOps, {
    direct: sqliteDirect(database),
    script: sqliteScript(database),
  });
  return { database, db, storage };
}

/** Migrates to 0004 exactly as migrations/index.ts would have before 0005 existed. */
async function migrateTo0004(db: Kysely<Database>): Promise<void> {
  const provider: MigrationProvider = {
    getMigrations: () =>
      Promise.resolve({
        '0001-initial': migration0001('sqlite'),
        '0002-outbox-and-sessions': migration0002(),
        '0003-votes-per-changeset': migration0003(),
        '0004-operation-modes': migration0004(),
      }),
  };
  const migrator = new Migrator({
    db: db as Kysely<unknown>,
    provider,
    migrationTableName: 'gatehouse_migrations',
    migrationLockTableName: 'gatehouse_migrations_lock',
  });
  const { error, results } = await migrator.migrateTo('0004-operation-modes');
  expect(error).toBeUndefined();
  expect(results?.map((r) => r.migrationName)).toEqual([
    '0001-initial',
    '0002-outbox-and-sessions',
    '0003-votes-per-changeset',
    '0004-operation-modes',
  ]);
}

const record = (changesetId: string, idx: number): ChangeRecordRow => ({
  changesetId,
  idx,
  object: idx % 3 === 0 ? 'companies' : 'contacts',
  recordId: `c_${idx}`,
  before: idx % 4 === 0 ? null : { owner_id: `u_${idx}`, name: 'Zoë ✓', n: idx * 1.5 },
  after: idx % 5 === 0 ? null : { owner_id: `u_${idx + 1}`, tags: ['a', null, true] },
  fingerprint: idx % 4 === 0 ? null : `fp_${idx}`,
  reversibility: idx % 5 === 0 ? 'irreversible' : idx % 2 ? 'compensatable' : 'reversible',
  noop: idx % 3 === 0,
});

interface Seeded {
  readonly keyed: ActionRow;
  readonly child: ActionRow;
  readonly changesetIds: readonly string[];
}

/** Rows in every rebuilt table, written through the repos; the audit chain sealed by core/audit. */
async function seed(s: Storage): Promise<Seeded> {
  const keyed = await seedAction(s, { idempotencyKey: uid('key') });
  const child = await seedAction(s, { agentId: keyed.agentId, parentActionId: keyed.id, createdAt: at(T0, 1) });
  const plain = await seedAction(s, { createdAt: at(T0, 2) });
  const changesetIds: string[] = [];
  for (const [i, action] of [keyed, child, plain].entries()) {
    await s.transitions.append([
      { actionId: action.id, from: null, to: 'proposed', at: at(T0, i), detail: {} },
      { actionId: action.id, from: 'proposed', to: 'pending_approval', at: at(T0, i + 1), detail: { note: 'ünï' } },
    ]);
    const id = uid('cs');
    changesetIds.push(id);
    // Inserted out of idx order: the copy must keep (changeset_id, idx), not insertion order.
    const records = Array.from({ length: 7 + i }, (_, j) => record(id, 6 + i - j));
    await s.changesets.insert({ id, actionId: action.id, hash: `sha256:${i}`, summary: { i }, createdAt: T0 }, records);
  }
  await s.transitions.append({
    actionId: keyed.id,
    from: 'pending_approval',
    to: 'approved',
    at: at(T0, 9),
    detail: {},
  });

  const drafts = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      at: at(T0, from + i),
      type: i % 2 ? 'action.executed' : 'approval.granted',
      actor: i % 3 ? 'agent:outreach-bot' : 'person:ana',
      subject: i % 4 ? `act:${from + i}` : null,
      data: { i: from + i, nested: { list: [1, 'two', null, true] }, text: 'naïve ✓ 日本' },
    }));
  await s.audit.append((head) => sealEntries(head, drafts(0, 4)));
  await s.audit.append((head) => sealEntries(head, drafts(4, 1)));
  const head = await s.audit.head();
  await s.audit.insertCheckpoint(
    createCheckpoint({ prev: null, head, at: at(T0, 100), privateKey: key.privateKey, keyId: key.keyId }),
  );
  await s.audit.append((h) => sealEntries(h, drafts(5, 3)));
  return { keyed, child, changesetIds };
}

const TABLES = {
  audit_entries: 'seq',
  action_transitions: 'id',
  change_records: 'changeset_id, idx',
} as const;
type Table = keyof typeof TABLES;

/** Every row as its columns' storage class and bytes (`typeof`, `hex`), plus the plain values. */
function snapshot(database: BetterSqlite3.Database, table: Table) {
  const columns = (database.prepare(`select name from pragma_table_info('${table}')`).all() as { name: string }[]).map(
    (c) => c.name,
  );
  const bytes = columns.map((c) => `typeof("${c}") || ':' || coalesce(hex("${c}"), 'NULL') as "${c}"`).join(', ');
  return {
    columns,
    values: database.prepare(`select * from ${table} order by ${TABLES[table]}`).all(),
    bytes: database.prepare(`select ${bytes} from ${table} order by ${TABLES[table]}`).all(),
  };
}

const snapshotAll = (database: BetterSqlite3.Database) => ({
  audit_entries: snapshot(database, 'audit_entries'),
  action_transitions: snapshot(database, 'action_transitions'),
  change_records: snapshot(database, 'change_records'),
});

/** Columns (name, declared type, not null, default, key position) and foreign keys of each rebuilt table. */
function tableShapes(database: BetterSqlite3.Database) {
  return Object.fromEntries(
    Object.keys(TABLES).map((t) => [
      t,
      {
        columns: database.prepare(`select name, type, "notnull", dflt_value, pk from pragma_table_info('${t}')`).all(),
        foreignKeys: database
          .prepare(`select "table", "from", "to", on_update, on_delete from pragma_foreign_key_list('${t}')`)
          .all(),
      },
    ]),
  );
}

function schemaSql(database: BetterSqlite3.Database, name: string): string {
  const row = database.prepare(`select sql from sqlite_master where name = ?`).get(name) as { sql: string } | undefined;
  return row?.sql ?? '';
}

/** What migration 0005 asks its script to skip on: the row its skip query answers now. */
function skipQueryRow({ database, db }: Opened): unknown {
  let skipIf = '';
  void migration0005('sqlite', (_text, skip) => {
    skipIf = skip;
  }).up(db as Kysely<unknown>);
  expect(skipIf).not.toBe('');
  return database.prepare(skipIf).get();
}

async function verify(s: Storage) {
  return verifyAudit({
    entries: s.audit.iterate({ batchSize: 3 }),
    checkpoints: await s.audit.listCheckpoints(),
    publicKey: key.publicKey,
  });
}

describe('migration 0005 on SQLite: upgrading a database at 0004 with data', () => {
  let opened: Opened;
  let seeded: Seeded;
  let before: ReturnType<typeof snapshotAll>;
  let oldMaxTransitionId: number;
  let oldShapes: ReturnType<typeof tableShapes>;

  beforeAll(async () => {
    opened = open(join(dir, 'upgrade.db'));
    await migrateTo0004(opened.db);
    seeded = await seed(opened.storage);
    before = snapshotAll(opened.database);
    oldShapes = tableShapes(opened.database);
    oldMaxTransitionId = (opened.database.prepare('select max(id) as m from action_transitions').get() as { m: number })
      .m;
    // Sanity: the 0004 shapes this migration replaces, and enough rows to mean something.
    expect(schemaSql(opened.database, 'change_records')).not.toMatch(/WITHOUT ROWID/i);
    expect(schemaSql(opened.database, 'action_transitions')).toMatch(/autoincrement/i);
    expect(schemaSql(opened.database, 'sqlite_autoindex_audit_entries_1')).toBe('');
    expect(
      opened.database.prepare(`select 1 from sqlite_master where name = 'sqlite_autoindex_audit_entries_1'`).get(),
    ).toBeDefined();
    expect(before.audit_entries.values).toHaveLength(8);
    expect(before.action_transitions.values).toHaveLength(7);
    expect(before.change_records.values).toHaveLength(7 + 8 + 9);
    expect((await verify(opened.storage)).ok).toBe(true);
    expect(skipQueryRow(opened)).toBeUndefined();
  });

  afterAll(async () => {
    await opened.storage.close();
  });

  it('applies only 0005, keeps every row byte for byte and the audit chain verifies', async () => {
    const report = await opened.storage.migrate();
    expect(report).toEqual({ applied: ['0005-leaner-hot-tables'], latest: '0005-leaner-hot-tables' });
    const after = snapshotAll(opened.database);
    expect(after.audit_entries).toEqual(before.audit_entries);
    expect(after.action_transitions).toEqual(before.action_transitions);
    expect(after.change_records).toEqual(before.change_records);
    const verified = await verify(opened.storage);
    expect(verified.problems).toEqual([]);
    expect(verified).toMatchObject({ ok: true, entries: 8, checkpoints: 1, uncoveredEntries: 3 });
    // The repos read what they wrote.
    expect(await opened.storage.changesets.listRecords(seeded.changesetIds[2]!, { offset: 0, limit: 100 })).toEqual(
      Array.from({ length: 9 }, (_, idx) => record(seeded.changesetIds[2]!, idx)),
    );
    expect(opened.database.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    expect(opened.database.pragma('foreign_key_check')).toEqual([]);
  });

  it('leaves the new shapes in sqlite_master', () => {
    const { database } = opened;
    // Same columns, affinities, constraints and foreign keys; only audit_entries.seq is declared anew.
    const expected = structuredClone(oldShapes);
    const seq = (expected.audit_entries!.columns as { name: string; type: string }[]).find((c) => c.name === 'seq')!;
    expect(seq.type).toBe('bigint');
    seq.type = 'INTEGER';
    expect(tableShapes(database)).toEqual(expected);
    // Children may still be written before their parent inside a transaction (pragma_foreign_key_list omits this).
    expect(schemaSql(database, 'action_transitions')).toMatch(
      /REFERENCES "actions" \("id"\) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED\)$/,
    );
    expect(schemaSql(database, 'change_records')).toMatch(
      /REFERENCES "changesets" \("id"\) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED\s*\) WITHOUT ROWID$/,
    );
    expect(schemaSql(database, 'change_records')).toMatch(/\)\s*WITHOUT ROWID$/i);
    expect(schemaSql(database, 'audit_entries')).toMatch(/"seq" integer PRIMARY KEY,/i);
    expect(schemaSql(database, 'action_transitions')).toMatch(/"id" integer PRIMARY KEY,/i);
    expect(schemaSql(database, 'action_transitions')).not.toMatch(/autoincrement/i);
    const autoindexes = database
      .prepare(`select name from sqlite_master where type = 'index' and name like 'sqlite_autoindex_%'`)
      .all() as { name: string }[];
    expect(autoindexes.map((r) => r.name).filter((n) => /audit_entries|change_records/.test(n))).toEqual([]);
    expect(database.prepare(`select * from sqlite_sequence where name = 'action_transitions'`).all()).toEqual([]);
    // No leftover of the copy; the kept indexes are back.
    expect(database.prepare(`select name from sqlite_master where name like '%_rebuilt%'`).all()).toEqual([]);
    expect(schemaSql(database, 'audit_entries_at')).toMatch(/ON "audit_entries" \("at"\)/);
    expect(schemaSql(database, 'action_transitions_action')).toMatch(/ON "action_transitions" \("action_id", "id"\)/);
    expect(schemaSql(database, 'actions_parent')).toMatch(/WHERE parent_action_id IS NOT NULL$/);
    expect(schemaSql(database, 'actions_agent_idempotency')).toMatch(
      /^CREATE UNIQUE INDEX .*WHERE idempotency_key IS NOT NULL$/s,
    );
  });

  it('a new transition gets an id above every old one', async () => {
    const { storage, database } = opened;
    await storage.transitions.append({
      actionId: seeded.child.id,
      from: 'pending_approval',
      to: 'approved',
      at: at(T0, 50),
      detail: { after: 'upgrade' },
    });
    const ids = (database.prepare('select id from action_transitions order by id').all() as { id: number }[]).map(
      (r) => r.id,
    );
    expect(ids).toHaveLength(8);
    expect(ids.at(-1)).toBeGreaterThan(oldMaxTransitionId);
    expect(ids.slice(0, -1).every((id) => id <= oldMaxTransitionId)).toBe(true);
    expect((await storage.transitions.list(seeded.child.id)).map((t) => t.to)).toEqual([
      'proposed',
      'pending_approval',
      'approved',
    ]);
  });

  it('the idempotency key still refuses a duplicate, through the partial index', async () => {
    const { storage, database } = opened;
    const again = await storage.actions.insert(
      newAction({ agentId: seeded.keyed.agentId, idempotencyKey: seeded.keyed.idempotencyKey!, request: { x: 1 } }),
    );
    expect(again).toEqual({ inserted: false, existing: await storage.actions.get(seeded.keyed.id) });
    expect(again.inserted ? undefined : again.existing.id).toBe(seeded.keyed.id);
    // A fresh key and no key still insert.
    expect((await storage.actions.insert(newAction({ idempotencyKey: uid('key') }))).inserted).toBe(true);
    expect((await storage.actions.insert(newAction({ agentId: seeded.keyed.agentId }))).inserted).toBe(true);

    const plan = (text: string, ...params: unknown[]) =>
      (database.prepare(`explain query plan ${text}`).all(...params) as { detail: string }[])
        .map((r) => r.detail)
        .join('\n');
    // The lookup findByIdempotencyKey (repos/actions.ts) compiles to.
    expect(plan('select * from "actions" where "agent_id" = ? and "idempotency_key" = ?', 'a', 'k')).toMatch(
      /USING INDEX actions_agent_idempotency \(agent_id=\? AND idempotency_key=\?\)/,
    );
    expect(plan('select * from "actions" where "parent_action_id" = ?', seeded.keyed.id)).toMatch(
      /USING INDEX actions_parent \(parent_action_id=\?\)/,
    );
    expect((await storage.actions.findByIdempotencyKey(seeded.keyed.agentId, seeded.keyed.idempotencyKey!))?.id).toBe(
      seeded.keyed.id,
    );
  });

  it('migrating again applies nothing and changes nothing', async () => {
    // The script's own guard (for an instance that raced to 0005) sees the rebuilt tables.
    expect(skipQueryRow(opened)).toBeDefined();
    const snap = snapshotAll(opened.database);
    const master = opened.database.prepare('select * from sqlite_master order by name').all();
    expect(await opened.storage.migrate()).toEqual({ applied: [], latest: '0005-leaner-hot-tables' });
    expect(snapshotAll(opened.database)).toEqual(snap);
    expect(opened.database.prepare('select * from sqlite_master order by name').all()).toEqual(master);
  });
});

describe('migration 0005 on SQLite: two instances migrating one file at once', () => {
  it('one applies it, the other finds it applied; the data and a later migrate are fine', async () => {
    const path = join(dir, 'race.db');
    const first = open(path);
    await migrateTo0004(first.db);
    await seed(first.storage);
    const before = snapshotAll(first.database);
    const second = open(path);
    try {
      // Kysely takes no migration lock on SQLite: both see 0005 pending. The first to reach the
      // script rebuilds; the other's script skips itself, its bookkeeping row collides with the
      // winner's, and runMigrations asks again and finds nothing left to do.
      const reports = await Promise.all([first.storage.migrate(), second.storage.migrate()]);
      expect(reports.map((r) => r.applied).sort()).toEqual([[], ['0005-leaner-hot-tables']]);

      // Nothing corrupt: the rows are those of before, the rebuild ran once, and both agree now.
      expect(snapshotAll(first.database)).toEqual(before);
      expect(snapshotAll(second.database)).toEqual(before);
      expect(first.database.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
      expect(
        first.database.prepare(`select name from gatehouse_migrations where name like '0005%'`).all(),
      ).toHaveLength(1);
      expect(schemaSql(first.database, 'change_records')).toMatch(/WITHOUT ROWID$/);
      expect(first.database.prepare(`select name from sqlite_master where name like '%_rebuilt%'`).all()).toEqual([]);
      expect(await first.storage.migrate()).toEqual({ applied: [], latest: '0005-leaner-hot-tables' });
      expect(await second.storage.migrate()).toEqual({ applied: [], latest: '0005-leaner-hot-tables' });
      expect((await verify(second.storage)).ok).toBe(true);
    } finally {
      await second.storage.close();
      await first.storage.close();
    }
  });
});

describe('sqliteScript', () => {
  it('is all or nothing: a failing last statement undoes the earlier ones', () => {
    const database = openSqliteDatabase(join(dir, 'script.db'));
    try {
      const run = sqliteScript(database);
      database.exec('create table kept (x integer)');
      expect(() =>
        run(
          'create table probe (x integer); insert into probe values (1); insert into kept values (1); this is not sql;',
          'select 1 where 0',
        ),
      ).toThrow(/syntax error/);
      expect(database.prepare(`select name from sqlite_master where name = 'probe'`).get()).toBeUndefined();
      expect(database.prepare('select count(*) as n from kept').get()).toEqual({ n: 0 });
      expect(database.inTransaction).toBe(false);

      // The same script without the error commits; a skip query with a row runs nothing.
      run('create table probe (x integer); insert into probe values (1);', 'select 1 where 0');
      expect(database.prepare('select count(*) as n from probe').get()).toEqual({ n: 1 });
      run('insert into probe values (2);', 'select 1 from probe');
      expect(database.prepare('select count(*) as n from probe').get()).toEqual({ n: 1 });
    } finally {
      database.close();
    }
  });
});

describe.skipIf(!(await isPostgresReachable()) && !POSTGRES_REQUIRED)('migration 0005 on PostgreSQL', () => {
  it("keeps the full idempotency index: the previous release's ON CONFLICT (no predicate) still works", async () => {
    const db = await createTestPostgresDatabase();
    if (!db) throw new Error('PostgreSQL is not reachable');
    const storage = await openStorage(db.url);
    const client = new pg.Client({ connectionString: db.url });
    try {
      await storage.migrate();
      await client.connect();
      // An instance still on the previous release during a rolling upgrade sends this text.
      const previous = `insert into "actions" ("id", "agent_id", "connector", "object", "operation", "status",
        "idempotency_key", "request", "created_at", "updated_at", "version")
        values ($1, 'a1', 'crm', 'contacts', 'update', 'proposed', 'key-1', '{}', $2, $2, 1)
        on conflict ("agent_id", "idempotency_key") do nothing returning "id"`;
      expect((await client.query(previous, [uid('act'), T0])).rows).toHaveLength(1);
      expect((await client.query(previous, [uid('act'), T0])).rows).toEqual([]);
      // The current release's text (with the predicate) matches the same index.
      const dup = await storage.actions.insert(newAction({ agentId: 'a1', idempotencyKey: 'key-1' }));
      expect(dup.inserted).toBe(false);
      const parent = await client.query(
        `select indexdef from pg_indexes where indexname in ('actions_agent_idempotency', 'actions_parent') order by indexname`,
      );
      expect(parent.rows.map((r: { indexdef: string }) => / WHERE /.test(r.indexdef))).toEqual([false, true]);
    } finally {
      await client.end().catch(() => undefined);
      await storage.close();
      await db.drop();
    }
  });
});
