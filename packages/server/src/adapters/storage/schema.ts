/**
 * The tables as Kysely sees them. Both dialects store the same shapes: timestamps and JSON as
 * TEXT, booleans as 0/1 integers, so one migration and one query layer serve both. Columns are
 * snake_case; repos map rows to the port's camelCase values.
 */
import type { Generated } from 'kysely';

export interface Database {
  api_keys: ApiKeysTable;
  agent_state: AgentStateTable;
  agent_operation_modes: AgentOperationModesTable;
  actions: ActionsTable;
  action_transitions: ActionTransitionsTable;
  changesets: ChangesetsTable;
  change_records: ChangeRecordsTable;
  approvals: ApprovalsTable;
  approval_votes: ApprovalVotesTable;
  breakers: BreakersTable;
  breaker_events: BreakerEventsTable;
  kpi_samples: KpiSamplesTable;
  audit_entries: AuditEntriesTable;
  audit_checkpoints: AuditCheckpointsTable;
  audit_lock: AuditLockTable;
  rate_counters: RateCountersTable;
  leases: LeasesTable;
  deliveries: DeliveriesTable;
  credentials: CredentialsTable;
  sessions: SessionsTable;
}

export interface ApiKeysTable {
  id: string;
  kind: string;
  subject: string;
  hash: string;
  prefix: string;
  label: string | null;
  created_at: string;
  revoked_at: string | null;
}

export interface AgentStateTable {
  id: string;
  mode: string;
  config_version: string;
  updated_at: string;
  updated_by: string;
  reason: string | null;
}

export interface AgentOperationModesTable {
  agent_id: string;
  operation: string;
  mode: string;
  config_version: string;
  updated_at: string;
  updated_by: string;
  reason: string | null;
}

export interface ActionsTable {
  id: string;
  agent_id: string;
  connector: string;
  object: string;
  operation: string;
  status: string;
  idempotency_key: string | null;
  request: string;
  decision: string | null;
  result: string | null;
  error: string | null;
  changeset_id: string | null;
  approval_id: string | null;
  parent_action_id: string | null;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface ActionTransitionsTable {
  id: Generated<number>;
  action_id: string;
  from_status: string | null;
  to_status: string;
  at: string;
  detail: string;
}

export interface ChangesetsTable {
  id: string;
  action_id: string;
  hash: string;
  summary: string;
  record_count: number;
  created_at: string;
}

export interface ChangeRecordsTable {
  changeset_id: string;
  idx: number;
  object: string;
  record_id: string;
  before: string | null;
  after: string | null;
  fingerprint: string | null;
  reversibility: string;
  noop: number;
}

export interface ApprovalsTable {
  id: string;
  action_id: string;
  changeset_hash: string;
  policy_version: string;
  agent_version: string;
  required: number;
  role: string;
  checklist: string;
  status: string;
  expires_at: string;
  escalation_level: number;
  next_escalation_at: string | null;
  created_at: string;
  decided_at: string | null;
  outcome: string | null;
  version: number;
}

export interface ApprovalVotesTable {
  approval_id: string;
  person_id: string;
  decision: string;
  comment: string | null;
  checklist: string;
  edits: string | null;
  at: string;
  /** Insertion order, so votes list in the order they were cast even within one millisecond. */
  id: Generated<number>;
  changeset_hash: Generated<string>;
}

export interface BreakersTable {
  breaker_id: string;
  scope_key: string;
  state: string;
  version: number;
  since: string;
  reason: string;
  consecutive_fails: number;
  probe_budget: number;
  updated_at: string;
  updated_by: string;
}

export interface BreakerEventsTable {
  id: Generated<number>;
  breaker_id: string;
  scope_key: string;
  at: string;
  kind: string;
  from_state: string | null;
  to_state: string | null;
  actor: string;
  detail: string;
}

export interface KpiSamplesTable {
  metric: string;
  /** Canonical JSON of the dims (sorted keys): part of the sample's identity. */
  dims_key: string;
  at: string;
  value: number;
}

export interface AuditEntriesTable {
  seq: number;
  at: string;
  type: string;
  actor: string;
  subject: string | null;
  data: string;
  prev_hash: string;
  hash: string;
}

export interface AuditCheckpointsTable {
  seq: number;
  at: string;
  last_entry_seq: number;
  head_hash: string;
  prev_checkpoint_hash: string | null;
  key_id: string;
  signature: string;
  hash: string;
}

/** One row (id = 1): appenders lock it so the chain has one writer at a time. */
export interface AuditLockTable {
  id: number;
}

export interface RateCountersTable {
  key: string;
  window_start: string;
  count: number;
}

export interface LeasesTable {
  name: string;
  holder: string;
  until: string;
}

/** The notification outbox (migration 0002). */
export interface DeliveriesTable {
  id: string;
  channel: string;
  target: string;
  event: string;
  subject: string | null;
  payload: string;
  status: string;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  last_response: string | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

export interface CredentialsTable {
  person_id: string;
  password_hash: string;
  updated_at: string;
}

export interface SessionsTable {
  /** SHA-256 hex of the session token; the token itself is never stored. */
  id_hash: string;
  person_id: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
}
