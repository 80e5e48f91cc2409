/**
 * The notification outbox and dashboard sign-in. Same conventions as 0001: TEXT timestamps and
 * JSON, `integer` counters, no dialect switch needed (no auto-increment ids here). No foreign
 * keys: people come from the config file, not a table. Never edit once released: add 0003.
 */
import type { Kysely, Migration } from 'kysely';

export function migration0002(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('deliveries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('subject', 'text')
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'text', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('last_response', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('delivered_at', 'text')
        .execute();
      // claimDue: pending rows by due time; stale `sending` rows by (status, updated_at).
      await db.schema
        .createIndex('deliveries_status_next_attempt')
        .on('deliveries')
        .columns(['status', 'next_attempt_at'])
        .execute();
      await db.schema
        .createIndex('deliveries_status_updated')
        .on('deliveries')
        .columns(['status', 'updated_at'])
        .execute();
      await db.schema.createIndex('deliveries_subject').on('deliveries').column('subject').execute();
      await db.schema.createIndex('deliveries_created').on('deliveries').columns(['created_at', 'id']).execute();

      await db.schema
        .createTable('credentials')
        .addColumn('person_id', 'text', (c) => c.primaryKey())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('person_id', 'text', (c) => c.notNull())
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema.createIndex('sessions_person').on('sessions').column('person_id').execute();
      await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();
    },
  };
}
