import type { Selectable } from 'kysely';
import type { AgentStateRow, AgentsRepo } from '../../../core/ports/storage.js';
import type { AgentStateTable } from '../schema.js';
import { ts } from '../values.js';
import type { RepoContext } from './context.js';

const toAgent = (r: Selectable<AgentStateTable>): AgentStateRow => ({
  id: r.id,
  mode: r.mode as AgentStateRow['mode'],
  configVersion: r.config_version,
  updatedAt: r.updated_at,
  updatedBy: r.updated_by,
  reason: r.reason,
});

export function agentsRepo({ db }: RepoContext): AgentsRepo {
  return {
    async get(id) {
      const r = await db.selectFrom('agent_state').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toAgent(r);
    },
    async list() {
      const rows = await db.selectFrom('agent_state').selectAll().orderBy('id').execute();
      return rows.map(toAgent);
    },
    async upsert(row) {
      const values = {
        id: row.id,
        mode: row.mode,
        config_version: row.configVersion,
        updated_at: ts(row.updatedAt, 'updatedAt'),
        updated_by: row.updatedBy,
        reason: row.reason ?? null,
      };
      const { id: _id, ...rest } = values;
      await db
        .insertInto('agent_state')
        .values(values)
        .onConflict((oc) => oc.column('id').doUpdateSet(rest))
        .execute();
      return toAgent(values);
    },
  };
}
