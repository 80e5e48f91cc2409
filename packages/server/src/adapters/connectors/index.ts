/** Opens the configured connectors. Unknown or not-yet-supported types fail start-up with a clear code. */
import type { CompiledConfig, ConnectorConfig } from '../../config/index.js';
import type { Clock } from '../../core/clock.js';
import { GatehouseError } from '../../core/errors.js';
import type { Connector } from '../../core/ports/connector.js';
import { createReplicaConnector } from './replica/index.js';
import { createSandboxConnector } from './sandbox/index.js';

/** Where a replica keeps its copy: its `path`, else ./data/replica-<id>.db. */
export const replicaPath = (c: { readonly id: string; readonly path?: string }) =>
  c.path ?? `./data/replica-${c.id}.db`;

/**
 * Opens one configured connector. A replica needs its source's schema until it is created, so
 * `opened` (connectors opened so far, by id) is consulted for it; a replica that has not been
 * created yet opens anyway and reports that in `health()` and on every call.
 */
export async function openConnector(
  c: ConnectorConfig,
  clock: Clock,
  opened: ReadonlyMap<string, Connector> = new Map(),
): Promise<Connector> {
  switch (c.type) {
    case 'sandbox':
      return createSandboxConnector({ id: c.id, seed: c.seed, size: c.size, path: c.path, clock });
    case 'replica': {
      const source = opened.get(c.from);
      return createReplicaConnector({
        id: c.id,
        from: c.from,
        path: replicaPath(c),
        ...(source ? { sourceSchema: source.schema() } : {}),
      });
    }
    case 'hubspot':
      throw new GatehouseError(
        'connector_unsupported',
        `connector '${c.id}' has type '${c.type}', which this version of Gatehouse does not implement yet; use type: sandbox`,
      );
  }
}

export async function openConnectors(
  config: CompiledConfig,
  clock: Clock,
  opened: Connector[] = [],
): Promise<Map<string, Connector>> {
  const map = new Map<string, Connector>();
  // Sources before replicas, so a replica not created yet can describe its source's schema.
  const all = Object.values(config.connectors);
  for (const c of [...all.filter((x) => x.type !== 'replica'), ...all.filter((x) => x.type === 'replica')]) {
    const connector = await openConnector(c, clock, map);
    opened.push(connector);
    map.set(c.id, connector);
  }
  // Keep the config's order for callers that list connectors.
  return new Map(all.map((c) => [c.id, map.get(c.id)!]));
}
