/** Opens the configured connectors. Unknown or not-yet-supported types fail start-up with a clear code. */
import type { CompiledConfig } from '../../config/index.js';
import type { Clock } from '../../core/clock.js';
import { GatehouseError } from '../../core/errors.js';
import type { Connector } from '../../core/ports/connector.js';
import { createSandboxConnector } from './sandbox/index.js';

export async function openConnectors(
  config: CompiledConfig,
  clock: Clock,
  opened: Connector[] = [],
): Promise<Map<string, Connector>> {
  const map = new Map<string, Connector>();
  for (const c of Object.values(config.connectors)) {
    switch (c.type) {
      case 'sandbox': {
        const connector = await createSandboxConnector({ id: c.id, seed: c.seed, size: c.size, path: c.path, clock });
        opened.push(connector);
        map.set(c.id, connector);
        break;
      }
      case 'hubspot':
      case 'replica':
        throw new GatehouseError(
          'connector_unsupported',
          `connector '${c.id}' has type '${c.type}', which this version of Gatehouse does not implement yet; use type: sandbox`,
        );
    }
  }
  return map;
}
