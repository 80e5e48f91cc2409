/**
 * Fewer b-trees written per action. Every action inserts into `actions`, `change_records`,
 * `action_transitions` (twice) and `audit_entries` (twice); on SQLite each b-tree an insert
 * touches is one more 4 KiB page appended to the WAL at commit (two `pwrite`s, ~12 µs here), and
 * the decision and result transactions of one action wrote ~30 pages. This migration drops ~7:
 *
 * - `actions_parent` becomes a partial index (`… IS NOT NULL`; most actions have no parent), and
 *   on SQLite so does `actions_agent_idempotency` (most actions have no key). The idempotent
 *   insert names that predicate in its `ON CONFLICT` target (actions repo), which PostgreSQL also
 *   matches to its full index. PostgreSQL keeps the full index on purpose: several instances
 *   upgrade one at a time there, and an instance still running the previous release sends
 *   `ON CONFLICT` without the predicate, which a partial index would refuse. Both dialects use a
 *   partial index for `col = ?` lookups.
 * - SQLite only, by rebuilding the table (copy, drop, rename; all in one transaction):
 *   - `audit_entries.seq` becomes `INTEGER PRIMARY KEY`, the table's own b-tree key, instead of
 *     a `bigint` key SQLite kept in a second, automatic index. Values are copied unchanged, so the
 *     hash chain is byte-for-byte what it was.
 *   - `action_transitions.id` drops `AUTOINCREMENT`, which rewrote `sqlite_sequence` on every
 *     insert (dropping the old table drops its `sqlite_sequence` row). Ids still only grow: a
 *     new id is the largest plus one, and actions (and with them their transitions) are never
 *     deleted.
 *   - `change_records` becomes `WITHOUT ROWID`, stored in its (changeset_id, idx) key: one b-tree,
 *     not a table plus an automatic index.
 *
 * PostgreSQL keeps its tables (a heap plus its primary-key index is what it always builds).
 * Never edit once released.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { MigrationDialect } from './0001-initial.js';
import type { SqliteScript } from './index.js';

const FK = 'ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED';

/** Each rebuilt table: its new definition, the columns copied (in order) and the indexes it keeps. */
const SQLITE_REBUILDS = [
  {
    table: 'audit_entries',
    create: `("seq" integer PRIMARY KEY, "at" text NOT NULL, "type" text NOT NULL, "actor" text NOT NULL,
      "subject" text, "data" text NOT NULL, "prev_hash" text NOT NULL, "hash" text NOT NULL)`,
    columns: ['seq', 'at', 'type', 'actor', 'subject', 'data', 'prev_hash', 'hash'],
    indexes: ['CREATE INDEX "audit_entries_at" ON "audit_entries" ("at")'],
  },
  {
    table: 'action_transitions',
    create: `("id" integer PRIMARY KEY, "action_id" text NOT NULL, "from_status" text, "to_status" text NOT NULL,
      "at" text NOT NULL, "detail" text NOT NULL,
      CONSTRAINT "action_transitions_action_fk" FOREIGN KEY ("action_id") REFERENCES "actions" ("id") ${FK})`,
    columns: ['id', 'action_id', 'from_status', 'to_status', 'at', 'detail'],
    indexes: ['CREATE INDEX "action_transitions_action" ON "action_transitions" ("action_id", "id")'],
  },
  {
    table: 'change_records',
    create: `("changeset_id" text NOT NULL, "idx" integer NOT NULL, "object" text NOT NULL, "record_id" text NOT NULL,
      "before" text, "after" text, "fingerprint" text, "reversibility" text NOT NULL, "noop" integer NOT NULL,
      CONSTRAINT "change_records_pk" PRIMARY KEY ("changeset_id", "idx"),
      CONSTRAINT "change_records_changeset_fk" FOREIGN KEY ("changeset_id") REFERENCES "changesets" ("id") ${FK}
    ) WITHOUT ROWID`,
    columns: ['changeset_id', 'idx', 'object', 'record_id', 'before', 'after', 'fingerprint', 'reversibility', 'noop'],
    indexes: [],
  },
] as const;

const PARTIAL_PARENT = [
  'DROP INDEX actions_parent',
  'CREATE INDEX actions_parent ON actions (parent_action_id) WHERE parent_action_id IS NOT NULL',
];
const PARTIAL_IDEMPOTENCY = [
  'DROP INDEX actions_agent_idempotency',
  `CREATE UNIQUE INDEX actions_agent_idempotency ON actions (agent_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL`,
];

function sqliteScript(): string {
  const steps = [...PARTIAL_PARENT, ...PARTIAL_IDEMPOTENCY];
  for (const { table, create, columns, indexes } of SQLITE_REBUILDS) {
    const fresh = `${table}_rebuilt`;
    const list = columns.map((c) => `"${c}"`).join(', ');
    steps.push(
      `CREATE TABLE "${fresh}" ${create}`,
      `INSERT INTO "${fresh}" (${list}) SELECT ${list} FROM "${table}" ORDER BY 1, 2`,
      // Child tables only: dropping one deletes no parent row and fires no cascade.
      `DROP TABLE "${table}"`,
      `ALTER TABLE "${fresh}" RENAME TO "${table}"`,
      ...indexes,
    );
  }
  return steps.map((s) => `${s};`).join('\n');
}

/**
 * `script` (SQLite) runs a script in one `BEGIN IMMEDIATE` transaction, synchronously on the
 * connection: Kysely's SQLite migrations run outside transactions, and a rebuild cut off between
 * its DROP and RENAME would lose the table. The script skips itself if the tables are already
 * rebuilt (a second instance that raced this one to the same migration).
 */
export function migration0005(dialect: MigrationDialect, script?: SqliteScript): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (dialect === 'sqlite') {
        if (!script) throw new Error('migration 0005 on SQLite needs the connection to run its script atomically');
        script(
          sqliteScript(),
          `SELECT 1 FROM sqlite_master WHERE name = 'change_records' AND sql LIKE '%WITHOUT ROWID%'`,
        );
        return;
      }
      // PostgreSQL: the migrator runs this in a transaction under its advisory lock.
      for (const statement of PARTIAL_PARENT) await sql.raw(statement).execute(db);
    },
  };
}
