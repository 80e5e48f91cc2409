import type { Selectable } from 'kysely';
import type { AgentStateRow, AgentsRepo, OperationModeRow } from '../../../core/ports/storage.js';
import type { AgentOperationModesTable, AgentStateTable } from '../schema.js';
import { ts } from '../values.js';
import type { RepoContext } from './context.js';
import { execRaw } from './hot.js';

// Read on every judged write (the agent's mode and its per-operation modes): fixed SQL (hot.ts).
const GET_SQL = 'select * from "agent_state" where "id" = ?';
const OPERATION_MODES_SQL =
  'select * from "agent_operation_modes" where "agent_id" = ? order by "agent_id", "operation"';

const toAgent = (r: Selectable<AgentStateTable>): AgentStateRow => ({
  id: r.id,
  mode: r.mode as AgentStateRow['mode'],
  configVersion: r.config_version,
  updatedAt: r.updated_at,
  updatedBy: r.updated_by,
  reason: r.reason,
});

const toOperationMode = (r: Selectable<AgentOperationModesTable>): OperationModeRow => ({
  agentId: r.agent_id,
  operation: r.operation,
  mode: r.mode as OperationModeRow['mode'],
  configVersion: r.config_version,
  updatedAt: r.updated_at,
  updatedBy: r.updated_by,
  reason: r.reason,
});

export function agentsRepo(ctx: RepoContext): AgentsRepo {
  const { db } = ctx;
  return {
    async get(id) {
      const r = (await execRaw<Selectable<AgentStateTable>>(ctx, GET_SQL, [id])).rows[0];
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
    async listOperationModes(agentId) {
      if (agentId !== undefined) {
        const { rows } = await execRaw<Selectable<AgentOperationModesTable>>(ctx, OPERATION_MODES_SQL, [agentId]);
        return rows.map(toOperationMode);
      }
      let q = db.selectFrom('agent_operation_modes').selectAll();
      if (agentId !== undefined) q = q.where('agent_id', '=', agentId);
      const rows = await q.orderBy('agent_id').orderBy('operation').execute();
      return rows.map(toOperationMode);
    },
    async upsertOperationMode(row) {
      const values = {
        agent_id: row.agentId,
        operation: row.operation,
        mode: row.mode,
        config_version: row.configVersion,
        updated_at: ts(row.updatedAt, 'updatedAt'),
        updated_by: row.updatedBy,
        reason: row.reason ?? null,
      };
      const { agent_id: _a, operation: _o, ...rest } = values;
      await db
        .insertInto('agent_operation_modes')
        .values(values)
        .onConflict((oc) => oc.columns(['agent_id', 'operation']).doUpdateSet(rest))
        .execute();
      return toOperationMode(values);
    },
  };
}
