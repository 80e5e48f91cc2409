/**
 * Every table and index. The same statements run on SQLite and PostgreSQL: TEXT for timestamps
 * (ISO-8601, sortable) and JSON, `integer` for small counters, `bigint` for audit seqs (pg int8,
 * read back as a JS number by the pool's type parser). The one dialect difference is how an
 * auto-increment id is spelled.
 *
 * Foreign keys are DEFERRABLE INITIALLY DEFERRED: inside a transaction a child may be written
 * before its parent; the check runs at commit. Never edit this migration once released: add 0002.
 */
import type { CreateTableBuilder, ForeignKeyConstraintBuilder, Kysely, Migration } from 'kysely';
import { sql } from 'kysely';

export type MigrationDialect = 'sqlite' | 'postgres';

const deferred = (cb: ForeignKeyConstraintBuilder) => cb.onDelete('cascade').deferrable().initiallyDeferred();

export function migration0001(dialect: MigrationDialect): Migration {
  const autoId = <T extends string>(t: CreateTableBuilder<T, never>) =>
    dialect === 'postgres'
      ? t.addColumn('id', 'bigserial', (c) => c.primaryKey())
      : t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());

  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('label', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema.createIndex('api_keys_kind_subject').on('api_keys').columns(['kind', 'subject']).execute();

      await db.schema
        .createTable('agent_state')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('config_version', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .execute();

      await db.schema
        .createTable('actions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('agent_id', 'text', (c) => c.notNull())
        .addColumn('connector', 'text', (c) => c.notNull())
        .addColumn('object', 'text', (c) => c.notNull())
        .addColumn('operation', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('idempotency_key', 'text')
        .addColumn('request', 'text', (c) => c.notNull())
        .addColumn('decision', 'text')
        .addColumn('result', 'text')
        .addColumn('error', 'text')
        .addColumn('changeset_id', 'text')
        .addColumn('approval_id', 'text')
        .addColumn('parent_action_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .execute();
      // NULL keys never collide (both dialects treat NULLs as distinct in unique indexes).
      await db.schema
        .createIndex('actions_agent_idempotency')
        .on('actions')
        .columns(['agent_id', 'idempotency_key'])
        .unique()
        .execute();
      await db.schema.createIndex('actions_agent_created').on('actions').columns(['agent_id', 'created_at']).execute();
      await db.schema.createIndex('actions_created').on('actions').columns(['created_at', 'id']).execute();
      await db.schema.createIndex('actions_status_updated').on('actions').columns(['status', 'updated_at']).execute();
      await db.schema.createIndex('actions_parent').on('actions').column('parent_action_id').execute();

      await autoId(db.schema.createTable('action_transitions'))
        .addColumn('action_id', 'text', (c) => c.notNull())
        .addColumn('from_status', 'text')
        .addColumn('to_status', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addForeignKeyConstraint('action_transitions_action_fk', ['action_id'], 'actions', ['id'], deferred)
        .execute();
      await db.schema
        .createIndex('action_transitions_action')
        .on('action_transitions')
        .columns(['action_id', 'id'])
        .execute();

      await db.schema
        .createTable('changesets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('action_id', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('summary', 'text', (c) => c.notNull())
        .addColumn('record_count', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('changesets_action').on('changesets').columns(['action_id', 'created_at']).execute();

      await db.schema
        .createTable('change_records')
        .addColumn('changeset_id', 'text', (c) => c.notNull())
        .addColumn('idx', 'integer', (c) => c.notNull())
        .addColumn('object', 'text', (c) => c.notNull())
        .addColumn('record_id', 'text', (c) => c.notNull())
        .addColumn('before', 'text')
        .addColumn('after', 'text')
        .addColumn('fingerprint', 'text')
        .addColumn('reversibility', 'text', (c) => c.notNull())
        .addColumn('noop', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('change_records_pk', ['changeset_id', 'idx'])
        .addForeignKeyConstraint('change_records_changeset_fk', ['changeset_id'], 'changesets', ['id'], deferred)
        .execute();

      await db.schema
        .createTable('approvals')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('action_id', 'text', (c) => c.notNull())
        .addColumn('changeset_hash', 'text', (c) => c.notNull())
        .addColumn('policy_version', 'text', (c) => c.notNull())
        .addColumn('agent_version', 'text', (c) => c.notNull())
        .addColumn('required', 'integer', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('checklist', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('escalation_level', 'integer', (c) => c.notNull())
        .addColumn('next_escalation_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('decided_at', 'text')
        .addColumn('outcome', 'text')
        .addColumn('version', 'integer', (c) => c.notNull())
        .addForeignKeyConstraint('approvals_action_fk', ['action_id'], 'actions', ['id'], deferred)
        .execute();
      await db.schema
        .createIndex('approvals_status_created')
        .on('approvals')
        .columns(['status', 'created_at'])
        .execute();
      await db.schema
        .createIndex('approvals_status_expires')
        .on('approvals')
        .columns(['status', 'expires_at'])
        .execute();
      await db.schema
        .createIndex('approvals_status_escalation')
        .on('approvals')
        .columns(['status', 'next_escalation_at'])
        .execute();
      await db.schema.createIndex('approvals_action').on('approvals').column('action_id').execute();

      await autoId(db.schema.createTable('approval_votes'))
        .addColumn('approval_id', 'text', (c) => c.notNull())
        .addColumn('person_id', 'text', (c) => c.notNull())
        .addColumn('decision', 'text', (c) => c.notNull())
        .addColumn('comment', 'text')
        .addColumn('checklist', 'text', (c) => c.notNull())
        .addColumn('edits', 'text')
        .addColumn('at', 'text', (c) => c.notNull())
        .addForeignKeyConstraint('approval_votes_approval_fk', ['approval_id'], 'approvals', ['id'], deferred)
        .execute();
      await db.schema
        .createIndex('approval_votes_person')
        .on('approval_votes')
        .columns(['approval_id', 'person_id'])
        .unique()
        .execute();

      await db.schema
        .createTable('breakers')
        .addColumn('breaker_id', 'text', (c) => c.notNull())
        .addColumn('scope_key', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('since', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('consecutive_fails', 'integer', (c) => c.notNull())
        .addColumn('probe_budget', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('breakers_pk', ['breaker_id', 'scope_key'])
        .execute();

      await autoId(db.schema.createTable('breaker_events'))
        .addColumn('breaker_id', 'text', (c) => c.notNull())
        .addColumn('scope_key', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('from_state', 'text')
        .addColumn('to_state', 'text')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('breaker_events_scope')
        .on('breaker_events')
        .columns(['breaker_id', 'scope_key', 'id'])
        .execute();

      await db.schema
        .createTable('kpi_samples')
        .addColumn('metric', 'text', (c) => c.notNull())
        .addColumn('dims_key', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .addPrimaryKeyConstraint('kpi_samples_pk', ['metric', 'dims_key', 'at'])
        .execute();
      await db.schema.createIndex('kpi_samples_metric_at').on('kpi_samples').columns(['metric', 'at']).execute();

      await db.schema
        .createTable('audit_entries')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('subject', 'text')
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_entries_at').on('audit_entries').column('at').execute();

      await db.schema
        .createTable('audit_checkpoints')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('last_entry_seq', 'bigint', (c) => c.notNull())
        .addColumn('head_hash', 'text', (c) => c.notNull())
        .addColumn('prev_checkpoint_hash', 'text')
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('audit_lock')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .execute();
      await sql`insert into audit_lock (id) values (1)`.execute(db);

      await db.schema
        .createTable('rate_counters')
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('window_start', 'text', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('rate_counters_pk', ['key', 'window_start'])
        .execute();
      await db.schema.createIndex('rate_counters_window').on('rate_counters').column('window_start').execute();

      await db.schema
        .createTable('leases')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('until', 'text', (c) => c.notNull())
        .execute();
    },
  };
}
