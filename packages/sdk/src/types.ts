/**
 * Wire shapes of the Gatehouse HTTP API v1, as TypeScript interfaces.
 *
 * They mirror API.md and `@gatehouse/contract` field for field, snake_case included: the SDK
 * never renames a field, so what you read here is what the server sent. The server may add keys
 * (API.md: "Keys may be added; these may not change meaning"), so treat these as the stable
 * core, not an exhaustive list. Shapes that API.md does not pin down (approvals, agents,
 * breakers, audit entries) declare only the fields every server answers with; the rest are
 * optional.
 */

/** A property value as the CRM stores it: strings or null (HubSpot semantics). */
export type PropertyValue = string | null;

// ---------------------------------------------------------------------------------------------
// Actions

export interface RecordChange {
  readonly id: string;
  readonly changes: Readonly<Record<string, PropertyValue>>;
}

interface ActionRequestBase {
  readonly connector: string;
  readonly object: string;
  readonly operation: string;
  /** Why the agent wants this; shown to approvers and recorded in the audit log. */
  readonly reason: string;
  /** Same key → same action, never executed twice. `actions.submit` generates one when absent. */
  readonly idempotency_key?: string;
  readonly parent_action_id?: string;
  readonly callback_url?: string;
}

/** A record edit (`update`, `create`, …): carries `records`, never `target`. */
export interface RecordEditRequest extends ActionRequestBase {
  readonly records: readonly RecordChange[];
  readonly target?: never;
  readonly params?: never;
}

/** An operation on one object that is not a record edit (`launch`, `pause`, `enroll`, …). */
export interface TargetActionRequest extends ActionRequestBase {
  readonly target: string;
  readonly params?: Readonly<Record<string, unknown>>;
  readonly records?: never;
}

/** `POST /v1/actions` body: either `records` or `target`, not both (the server enforces it too). */
export type ActionRequest = RecordEditRequest | TargetActionRequest;

export type ActionStatus =
  | 'proposed'
  | 'denied'
  | 'shadowed'
  | 'pending_approval'
  | 'approved'
  | 'rejected'
  | 'revision_requested'
  | 'expired'
  | 'executing'
  | 'executed'
  | 'failed'
  | 'breaker_open'
  | 'rolled_back'
  | 'stale';

export interface DecisionView {
  readonly effect: 'allow' | 'require_approval' | 'deny';
  /** Names of the rules that matched. */
  readonly rules: readonly string[];
  readonly reasons: readonly string[];
  readonly code?: string;
  readonly mode?: string;
}

export interface ChangeRecordView {
  readonly id: string;
  readonly before: Readonly<Record<string, PropertyValue>>;
  readonly after: Readonly<Record<string, PropertyValue>>;
  readonly reversibility: 'reversible' | 'compensatable' | 'irreversible';
  readonly noop?: boolean;
}

export interface ChangeSetView {
  readonly id?: string;
  readonly hash?: string;
  readonly summary: {
    readonly records: number;
    readonly fields: number;
    readonly irreversible: number;
    readonly noop?: number;
    readonly missing?: number;
  };
  readonly records: readonly ChangeRecordView[];
  readonly truncated?: boolean;
}

export interface ActionApprovalRef {
  readonly id: string;
  readonly required: number;
  readonly expires_at: string;
  readonly status: string;
}

/**
 * The action, whatever its outcome. `denied`, `pending_approval`, `shadowed` and `breaker_open`
 * are results, not errors: `error` then says why (e.g. `field_not_writable`).
 */
export interface ActionView {
  readonly id: string;
  readonly agent: string;
  readonly connector: string;
  readonly object: string;
  readonly operation: string;
  readonly status: ActionStatus;
  readonly reason: string;
  readonly decision: DecisionView;
  readonly changeset: ChangeSetView;
  readonly approval?: ActionApprovalRef;
  readonly error?: { readonly code: string; readonly message: string };
  readonly audit_event_id: string;
  readonly idempotency_key?: string;
  readonly created_at: string;
  readonly updated_at: string;
}

// ---------------------------------------------------------------------------------------------
// Records (HubSpot-shaped)

export interface RecordView {
  readonly id: string;
  readonly properties: Readonly<Record<string, PropertyValue>>;
}

export interface Paging {
  readonly next: { readonly after: string };
}

/** One page of a list. `paging` is absent on the last page. */
export interface Page<T> {
  readonly results: readonly T[];
  readonly paging?: Paging;
}

export type RecordPage = Page<RecordView>;

/**
 * One search condition. The operators the server understands are listed in its OpenAPI
 * document (`/v1/openapi.json`); the SDK passes filters through unchanged.
 */
export interface RecordSearchFilter {
  readonly property: string;
  readonly operator: string;
  readonly value?: unknown;
  /** The candidates of `IN` and `NOT_IN`. */
  readonly values?: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Approvals

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'revision_requested';

export type ApprovalDecisionKind = 'approve' | 'reject' | 'revise';

export interface ApprovalVoteView {
  readonly person: string;
  readonly decision: ApprovalDecisionKind;
  readonly comment?: string | null;
  readonly at: string;
  /** The vote carried edits (approve-with-edits). */
  readonly edited?: boolean;
}

export interface ApprovalView {
  readonly id: string;
  readonly action_id: string;
  readonly status: ApprovalStatus;
  /** Approvals needed (quorum). */
  readonly required: number;
  /** Approving votes that count toward `required`. */
  readonly approvals?: number;
  readonly role?: string;
  readonly expires_at: string;
  /** Items every approver must tick. */
  readonly checklist?: readonly { readonly id: string; readonly description: string }[];
  readonly votes?: readonly ApprovalVoteView[];
  readonly created_at?: string;
  readonly decided_at?: string | null;
  readonly outcome?: string | null;
  /** In lists: the agent, `object.operation` and the agent's reason. */
  readonly agent?: string | null;
  readonly operation?: string | null;
  readonly reason?: string | null;
  /** In `approvals.get`: the action with its change set. */
  readonly action?: ActionView;
}

/**
 * What `POST /v1/approvals/{id}/decision` answers: `vote_recorded` while the quorum is not
 * reached, otherwise the decision that settled the approval, with the action as it is now
 * (e.g. `executed` after the deciding approval).
 */
export interface ApprovalDecisionResult {
  readonly result: 'vote_recorded' | 'approved' | 'rejected' | 'revision_requested';
  readonly approval: ApprovalView;
  readonly action: ActionView;
}

/** `POST /v1/approvals/{id}/decision` body. */
export interface ApprovalDecision {
  readonly decision: ApprovalDecisionKind;
  readonly comment: string;
  /** Approve-with-edits: re-planned and re-judged by the server before they count. */
  readonly edits?: Readonly<Record<string, unknown>>;
  /** Checklist item name → ticked. */
  readonly checklist?: Readonly<Record<string, boolean>>;
}

// ---------------------------------------------------------------------------------------------
// Agents, breakers, KPIs, audit

export type AgentMode = 'observe' | 'gated' | 'autonomous' | 'paused';

export interface AgentView {
  readonly id: string;
  /** The mode in force (a person or a breaker may have changed the configured one). */
  readonly mode: AgentMode;
  readonly configured_mode?: AgentMode;
  readonly mode_set_by?: string | null;
  readonly mode_set_at?: string | null;
  /** In the `agents.setMode` answer. */
  readonly previous_mode?: AgentMode;
  readonly audit_event_id?: string;
  readonly owner?: string;
  readonly description?: string | null;
}

export interface BreakerScopeView {
  readonly scope?: string;
  readonly state: string;
  readonly last_evaluation?: { readonly outcome: string; readonly reason: string } | null;
}

export interface BreakerView {
  readonly id: string;
  /** In control answers (`breakers.reset`): the state of the first changed scope. */
  readonly state?: string | null;
  /** In `breakers.list`: one entry per scope the breaker watches. */
  readonly scopes?: readonly BreakerScopeView[];
  readonly metric?: string;
}

export interface KpiSample {
  /** Dotted metric name, e.g. `email.clicks`. Ratios such as `email.ctr` are derived, never sent. */
  readonly metric: string;
  /** A count for the period ending at `at`. */
  readonly value: number;
  /** ISO 8601 timestamp with offset. */
  readonly at: string;
  readonly dims?: Readonly<Record<string, string>>;
}

/** What `POST /v1/kpis` answers; samples are idempotent by (metric, dims, at). */
export interface KpiPushResult {
  readonly accepted?: number;
  readonly duplicates?: number;
}

export interface AuditEntryView {
  readonly seq: number;
  readonly id?: string;
  readonly at?: string;
  readonly type?: string;
  readonly actor?: string;
  readonly hash?: string;
  readonly prev_hash?: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface AuditVerifyResult {
  readonly ok: boolean;
  readonly entries: number;
  readonly checkpoints: number;
  readonly problems?: readonly Readonly<Record<string, unknown>>[];
}

// ---------------------------------------------------------------------------------------------
// Errors

/** The one error shape on the wire. */
export interface WireErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly details?: Readonly<Record<string, unknown>>;
    readonly request_id: string;
  };
}
