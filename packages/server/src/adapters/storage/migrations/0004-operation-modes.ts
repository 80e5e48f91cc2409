/**
 * Per-operation modes: an agent may be autonomous for `contacts.update` and gated for everything
 * else. One row per (agent, `object.operation`), written by promotions and breaker demotions; the
 * resolution rules live in core/pipeline/gates.ts (`operationMode`). Same conventions as 0001:
 * TEXT timestamps, no foreign keys (agents come from the config file). Never edit once released.
 */
import type { Kysely, Migration } from 'kysely';

export function migration0004(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('agent_operation_modes')
        .addColumn('agent_id', 'text', (c) => c.notNull())
        .addColumn('operation', 'text', (c) => c.notNull())
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('config_version', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addPrimaryKeyConstraint('agent_operation_modes_pk', ['agent_id', 'operation'])
        .execute();
    },
  };
}
