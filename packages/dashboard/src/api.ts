/**
 * The dashboard's only way to the server: JSON over `/v1` with the session cookie
 * (credentials 'same-origin') and, on state-changing requests, the `x-csrf-token` the session
 * returned. Errors come back as `ApiError` carrying the server's stable code.
 */

export type Role = 'admin' | 'approver' | 'auditor' | 'responder' | (string & {});

export interface Session {
  person: { id: string; name: string; email?: string; roles: Role[] };
  permissions?: string[];
  csrf_token: string;
  expires_at: string;
}

export type AgentStatus = 'running' | 'waiting' | 'paused' | 'breaker_open';

export interface OutcomeCounts {
  executed: number;
  denied: number;
  shadowed: number;
  pending_approval: number;
  failed: number;
  rejected: number;
  expired: number;
  total: number;
  [k: string]: number;
}

export interface OverviewAgent {
  id: string;
  owner: string;
  mode: string;
  configured_mode: string;
  status: AgentStatus;
  today: OutcomeCounts;
  pending_approvals: number;
  breakers: { id: string; state: string }[];
}

export interface KpiSeries {
  metric: string;
  breaker_id: string;
  points: { at: string; value: number | null; baseline?: number | null }[];
}

export interface Overview {
  generated_at: string;
  agents: OverviewAgent[];
  connectors: { id: string; type: string; ok: boolean; detail: string }[];
  kpis: KpiSeries[];
}

export interface Grant {
  connector: string;
  objects: string[];
  operations: string[];
  read_fields: string[] | null;
  write_fields: string[];
  where: string | null;
  pii: string | Record<string, unknown> | null;
}

export interface Agent {
  id: string;
  owner: string;
  description: string | null;
  configured_mode: string;
  mode: string;
  mode_set_by: string | null;
  mode_set_at: string | null;
  version?: string;
  grants: Grant[];
  limits: Record<string, unknown> | null;
}

export type Value = string | null;

export interface ChangeRecord {
  id: string;
  object?: string;
  before: Record<string, Value>;
  after: Record<string, Value>;
  reversibility: 'reversible' | 'compensatable' | 'irreversible';
  noop?: boolean;
}

export interface ChangeSet {
  id?: string;
  hash?: string;
  summary: {
    records: number;
    fields: number;
    irreversible: number;
    noop?: number;
    missing?: number;
    compensatable?: number;
  };
  records: ChangeRecord[];
  truncated?: boolean;
}

export interface PreflightResult {
  ok: boolean;
  severity?: 'fail' | 'warn';
  summary?: string;
  [k: string]: unknown;
}

export interface Decision {
  effect: 'allow' | 'require_approval' | 'deny';
  rules: string[];
  reasons: string[];
  code?: string;
  mode?: string;
  checks?: Record<string, PreflightResult>;
}

export interface ActionView {
  id: string;
  agent: string;
  connector: string;
  object: string;
  operation: string;
  target?: string;
  status: string;
  reason: string;
  decision: Decision;
  changeset: ChangeSet;
  approval?: { id: string; required?: number; expires_at?: string; status?: string };
  error?: { code: string; message: string };
  created_at: string;
  updated_at: string;
}

export interface Vote {
  person: string;
  decision: string;
  comment: string | null;
  at: string;
  edited: boolean;
}

export interface ApprovalSummary {
  id: string;
  action_id: string;
  status: string;
  required: number;
  approvals: number;
  role: string;
  checklist: { id: string; description: string }[];
  expires_at: string;
  escalation_level: number;
  created_at: string;
  decided_at: string | null;
  outcome: string | null;
  votes: Vote[];
  agent?: string | null;
  operation?: string | null;
  reason?: string | null;
}

export interface ApprovalDetail extends ApprovalSummary {
  action: ActionView;
  records_offset: number;
  records_total: number;
}

export interface DecisionAnswer {
  result: string;
  approval: ApprovalSummary;
  action: ActionView;
}

export interface PreviewAnswer {
  changeset: ChangeSet;
  decision: Decision;
  preflight?: Record<string, PreflightResult> | null;
}

export interface BreakerScope {
  scope: string;
  state: string;
  since: string | null;
  pending_trip: boolean;
  updated_by: string | null;
  last_evaluation: { at?: string; outcome?: string; reason?: string; value?: number; baseline?: number } | null;
}

export interface Breaker {
  id: string;
  state: string;
  since: string | null;
  metric: string;
  window_ms: number;
  baseline: string | null;
  trip_when: Record<string, unknown>;
  scope: unknown;
  on_trip: unknown;
  scopes: BreakerScope[];
}

export interface Rollback {
  restored?: number;
  conflicts?: number;
  irreversible?: number;
  details?: unknown[];
  [k: string]: unknown;
}

export interface Incident {
  id: string;
  scope?: string;
  at?: string;
  opened_at?: string;
  actor?: string;
  evidence: Record<string, unknown>;
  rollback: Rollback | null;
}

export interface BreakerDetail extends Breaker {
  series: { at: string; value: number | null; baseline: number | null }[];
  tripped_at: string | null;
  trip_point: { at: string; value: number; baseline: number } | null;
  incidents: Incident[];
}

export interface AgentDetail extends Agent {
  recent_actions: ActionView[];
  stats: {
    today: OutcomeCounts;
    last_7d: OutcomeCounts;
    override_rate: number | null;
    approvals_decided: number;
    approvals_overridden: number;
  };
}

export interface AuditEntry {
  id: string;
  seq: number;
  at: string;
  type: string;
  actor: string;
  subject: string | null;
  data: unknown;
  hash: string;
}

export interface AuditVerify {
  ok: boolean;
  entries: number;
  checkpoints: number;
  last_checkpoint?: { seq: number; at: string; key_id?: string } | null;
  problems: unknown[];
}

export interface Governance {
  people: { id: string; name: string; email?: string; roles: string[] }[];
  roles: Record<string, { description?: string | null; permissions: string[]; people?: string[]; built_in?: boolean }>;
  agents: (Agent & { operation_modes?: Record<string, string> })[];
  policies: {
    id: string;
    when: string;
    effect: string;
    approvers?: { role: string; count: number } | null;
    checklist?: string[] | null;
    reason?: string | null;
    mode?: string | null;
  }[];
  checklists: Record<string, string>;
  approvals: {
    expire_after: string | number;
    escalation: { after?: string | number; after_ms?: number; notify: unknown }[];
  };
  breakers: unknown[];
  notifications: { type: string; target: string }[];
}

/** A rate with its Wilson 95% interval; `value` is null when the denominator is 0. */
export interface Rate {
  value: number | null;
  ci95: [number, number];
  successes: number;
  trials: number;
}

export interface ShadowMetrics {
  proposals: number;
  agreement: number;
  disagreement: number;
  missed: number;
  unconfirmed: number;
  pending: number;
  superseded: number;
  actions: number;
  allowed: number;
  precision: Rate;
  recall: Rate;
  rule_adherence: Rate;
}

/** `GET /v1/agents/:id/shadow` (docs/shadow-mode.md). */
export interface ShadowReport {
  from: string;
  to: string;
  match_window_ms: number;
  bucket: 'day' | 'week';
  definitions: Record<string, string>;
  agents: {
    agent_id: string;
    first_proposal_at: string | null;
    metrics: ShadowMetrics;
    operations: { operation: string; metrics: ShadowMetrics }[];
  }[];
}

export interface CriterionCheck {
  criterion: string;
  required: number;
  actual: number | null;
  ci95?: [number, number];
  met: boolean;
}

/** `POST /v1/agents/:id/promote` (dry run or not): the evidence and the verdict. */
export interface PromotionEvidence {
  agent_id: string;
  operation: string | null;
  from: string;
  to: string;
  window: { from: string; to: string; match_window_ms: number };
  first_proposal_at: string | null;
  metrics: ShadowMetrics;
  criteria: { met: boolean; failed: string[]; checks: CriterionCheck[]; configured: boolean } | null;
  dry_run?: boolean;
  override_reason?: string | null;
  audit_event_id?: string;
}

/** `GET /v1/agents/:id/modes`. */
export interface AgentModes {
  agent_id: string;
  configured_mode: string;
  mode: string;
  mode_set_by: string | null;
  operations: {
    operation: string;
    mode: string;
    source: string;
    configured_mode: string | null;
    set_by: string | null;
    set_at: string | null;
    reason: string | null;
  }[];
}

/** What a failed call says to a person: the server's message and its stable code. */
export function errorText(e: unknown): string {
  return e instanceof ApiError ? `${e.message} (${e.code})` : String(e);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken = '';
/** Remembers the session's CSRF token; every POST/DELETE echoes it. */
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new ApiError(0, 'network_error', 'the Gatehouse server did not answer; check that it is running');
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(
      res.status,
      err?.code ?? `http_${res.status}`,
      err?.message ?? `${method} ${path}: HTTP ${res.status}`,
    );
  }
  return json as T;
}

const qs = (params: Record<string, string | number | undefined>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};
const enc = encodeURIComponent;

export const api = {
  session: () => request<Session>('GET', '/v1/session'),
  signIn: (person: string, password: string) => request<Session>('POST', '/v1/session', { person, password }),
  signOut: () => request<unknown>('DELETE', '/v1/session'),

  overview: () => request<Overview>('GET', '/v1/overview'),
  agents: () => request<{ results: Agent[] }>('GET', '/v1/agents'),
  agent: (id: string) => request<AgentDetail>('GET', `/v1/agents/${enc(id)}`),
  setMode: (id: string, mode: string, comment: string) =>
    request<{ id: string; mode: string }>('POST', `/v1/agents/${enc(id)}/mode`, { mode, comment }),

  shadow: (id: string) => request<ShadowReport>('GET', `/v1/agents/${enc(id)}/shadow?examples=0`),
  modes: (id: string) => request<AgentModes>('GET', `/v1/agents/${enc(id)}/modes`),
  promote: (
    id: string,
    body: { to: 'gated' | 'autonomous'; operation?: string; override_reason?: string; dry_run?: boolean },
  ) => request<PromotionEvidence>('POST', `/v1/agents/${enc(id)}/promote`, body),

  actions: (params: { agent?: string; status?: string; limit?: number }) =>
    request<{ results: ActionView[] }>('GET', `/v1/actions${qs(params)}`),

  approvals: (status = 'pending') =>
    request<{ results: ApprovalSummary[] }>('GET', `/v1/approvals${qs({ status, limit: 500 })}`),
  approval: (id: string, offset = 0, limit = 50) =>
    request<ApprovalDetail>('GET', `/v1/approvals/${enc(id)}${qs({ offset, limit })}`),
  decide: (
    id: string,
    body: {
      decision: 'approve' | 'reject' | 'revise';
      comment?: string;
      checklist?: Record<string, boolean>;
      edits?: Record<string, Record<string, Value>>;
    },
  ) => request<DecisionAnswer>('POST', `/v1/approvals/${enc(id)}/decision`, body),
  preview: (id: string, edits: Record<string, Record<string, Value>>) =>
    request<PreviewAnswer>('POST', `/v1/approvals/${enc(id)}/preview`, { edits }),

  breakers: () => request<{ results: Breaker[] }>('GET', '/v1/breakers'),
  breaker: (id: string) => request<BreakerDetail>('GET', `/v1/breakers/${enc(id)}`),
  incidents: (id: string) => request<{ results: Incident[] }>('GET', `/v1/breakers/${enc(id)}/incidents`),
  resetBreaker: (id: string, comment: string, scope?: string) =>
    request<unknown>('POST', `/v1/breakers/${enc(id)}/reset`, { comment, ...(scope ? { scope } : {}) }),

  audit: (params: Record<string, string | number | undefined>) =>
    request<{ results: AuditEntry[]; paging?: { next: { after?: string; before?: string } } }>(
      'GET',
      `/v1/audit${qs(params)}`,
    ),
  verify: () => request<AuditVerify>('GET', '/v1/audit/verify'),
  governance: () => request<Governance>('GET', '/v1/governance'),
};

/** What a person may do, from the session's permissions (or, from an older server, the built-in role table). */
const BUILT_IN: Record<string, readonly string[]> = {
  'approvals.decide': ['approver'],
  'breakers.reset': ['responder'],
  'agents.mode': ['admin'],
  'audit.read': ['auditor', 'admin'],
  read: ['admin', 'approver', 'auditor', 'responder'],
};

/** The rights a built-in role grants (custom roles list theirs in the config). */
export function builtInPermissions(role: string): string[] {
  return Object.keys(BUILT_IN).filter((p) => BUILT_IN[p]!.includes(role));
}

export function can(session: Session | null, permission: string): boolean {
  if (!session) return false;
  if (session.permissions) return session.permissions.includes(permission);
  return session.person.roles.some((r) => BUILT_IN[permission]?.includes(r) ?? false);
}
