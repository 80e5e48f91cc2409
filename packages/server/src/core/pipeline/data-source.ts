/**
 * Which connector serves an agent's data. Normally the one it names; an agent with `observe_on`
 * (config) reads and plans on that replica instead while it observes the replica's source, so a
 * read-only launch never touches live data. Grants, the action's `connector`, policies and shadow
 * scoring keep naming the live connector: proposals are still scored against what people do there.
 *
 * Every place that reads records for an agent (reads.ts, the pipeline's scope read and plan)
 * resolves the connector through `dataSourceFor`.
 */
import { GatehouseError } from '../errors.js';
import type { Connector } from '../ports/connector.js';
import type { AgentMode } from '../ports/storage.js';
import { loadModes, operationModeOf } from './gates.js';
import type { AgentDefinition, PipelineDeps } from './types.js';

export interface DataSource {
  /** The connector that serves reads and plans. */
  readonly connector: Connector;
  /** The replica's id when it serves in place of the requested (live) connector. */
  readonly replica?: string;
}

export function connectorFor(deps: Pick<PipelineDeps, 'connectors'>, id: string): Connector {
  const c = deps.connectors.get(id);
  if (!c) throw new GatehouseError('unknown_connector', `no connector '${id}' is configured`);
  return c;
}

/** What a replica connector adds to the port (adapters/connectors/replica): its source and its state. */
interface ReplicaShape {
  readonly from?: unknown;
  readonly info?: () => unknown;
}

/**
 * The connector serving `agent`'s data on `connectorId` under `mode` (the mode of the operation
 * being judged, or `readModeOf` for reads). The replica serves while the mode is `observe` (or
 * `paused`: a paused agent still reads, never live data it was not promoted to); a replica that
 * has not been created yet fails with `replica_not_created` — never a silent fallback to live data.
 */
export function dataSourceFor(
  deps: Pick<PipelineDeps, 'connectors'>,
  agent: AgentDefinition,
  connectorId: string,
  mode: AgentMode,
): DataSource {
  const live = connectorFor(deps, connectorId);
  if (!agent.observeOn || (mode !== 'observe' && mode !== 'paused')) return { connector: live };
  const replica = deps.connectors.get(agent.observeOn);
  if (!replica || replica.type !== 'replica') return { connector: live };
  const shape = replica as Connector & ReplicaShape;
  if (shape.from !== connectorId) return { connector: live };
  if (typeof shape.info === 'function' && shape.info() === undefined) {
    throw new GatehouseError(
      'replica_not_created',
      `${agent.id} observes on replica ${replica.id} (a copy of ${connectorId}), which has not been created yet; ` +
        `run: gatehouse replica create --from ${connectorId} --name ${replica.id}`,
      { details: { agent: agent.id, replica: replica.id, from: connectorId } },
    );
  }
  return { connector: replica, replica: replica.id };
}

/**
 * The mode that decides where an agent reads `connectorId.object`: `observe` while every write the
 * agent is granted on the object is still observed (nothing it proposes there can land live), so
 * the agent sees the data its proposals are planned on; once one of them is promoted, the object
 * is read live. With no write granted, the mode of `object.read` (the agent's mode) decides.
 * Costs one storage read, only for agents with `observe_on`.
 */
export async function readModeOf(
  deps: Pick<PipelineDeps, 'storage'>,
  agent: AgentDefinition,
  connectorId: string,
  object: string,
): Promise<AgentMode> {
  if (!agent.observeOn) return agent.mode;
  const stored = await loadModes(deps.storage, agent.id);
  const writes = [
    ...new Set(
      agent.grants
        .filter((g) => g.connector === connectorId && g.objects.includes(object))
        .flatMap((g) => g.operations.filter((op) => op !== 'read')),
    ),
  ];
  const modes = (writes.length > 0 ? writes : ['read']).map(
    (op) => operationModeOf(agent, stored, `${object}.${op}`).mode,
  );
  if (modes.includes('paused')) return 'paused';
  return modes.every((m) => m === 'observe') ? 'observe' : (modes.find((m) => m !== 'observe') ?? agent.mode);
}

/** `dataSourceFor` for an agent's read of `connectorId.object`. */
export async function readSourceFor(
  deps: Pick<PipelineDeps, 'connectors' | 'storage'>,
  agent: AgentDefinition,
  connectorId: string,
  object: string,
): Promise<DataSource> {
  if (!agent.observeOn) return { connector: connectorFor(deps, connectorId) };
  return dataSourceFor(deps, agent, connectorId, await readModeOf(deps, agent, connectorId, object));
}
