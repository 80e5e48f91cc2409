/**
 * The composition root of the SDK: `createGatehouseClient(options)` validates the options once
 * and wires one transport into every sub-client. No state is shared between calls beyond the
 * frozen options, so one client may serve many concurrent agents' requests.
 */
import { createActionsClient, type ActionsClient } from './actions.js';
import {
  createAgentsClient,
  createApprovalsClient,
  createAuditClient,
  createBreakersClient,
  createKpisClient,
  type AgentsClient,
  type ApprovalsClient,
  type AuditClient,
  type BreakersClient,
  type KpisClient,
} from './admin.js';
import { createRecordsClient, type RecordsClient } from './records.js';
import { compileOptions, createTransport, type GatehouseClientOptions } from './transport.js';

export interface GatehouseClient {
  readonly actions: ActionsClient;
  readonly records: RecordsClient;
  readonly approvals: ApprovalsClient;
  readonly agents: AgentsClient;
  readonly breakers: BreakersClient;
  readonly kpis: KpisClient;
  readonly audit: AuditClient;
}

/** Throws GatehouseApiError `invalid_options` naming the field when an option is wrong. */
export function createGatehouseClient(options: GatehouseClientOptions): GatehouseClient {
  const compiled = compileOptions(options);
  const transport = createTransport(compiled);
  return Object.freeze({
    actions: createActionsClient({ transport, options: compiled }),
    records: createRecordsClient(transport),
    approvals: createApprovalsClient(transport),
    agents: createAgentsClient(transport),
    breakers: createBreakersClient(transport),
    kpis: createKpisClient(transport),
    audit: createAuditClient(transport),
  });
}
