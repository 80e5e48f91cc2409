/**
 * The compiled configuration: validated once at start, defaults filled, durations in
 * milliseconds (every such field ends in `_ms`), CEL compiled, deeply frozen.
 *
 * Field names keep the file's snake_case so that gatehouse.yaml, its diagnostics and the code
 * say the same thing (`grants[0].write_fields` everywhere).
 */
import type { CompiledCel } from '../core/cel.js';

export type AgentMode = 'observe' | 'gated' | 'autonomous' | 'paused';
export type PiiHandling = 'mask' | 'hash' | 'allow';
export type PolicyEffect = 'allow' | 'require_approval' | 'deny';
export type BuiltInRole = 'admin' | 'approver' | 'auditor' | 'responder';

/** A CEL expression as written in the file, and its compiled form. */
export interface CelExpression {
  readonly source: string;
  readonly expr: CompiledCel;
}

/** Relative sqlite paths resolve against the process's working directory. */
export type StorageConfig =
  | { readonly url: string; readonly kind: 'sqlite'; readonly path: string }
  | { readonly url: string; readonly kind: 'postgres' };

export interface ServerConfig {
  readonly listen: string;
  readonly host: string;
  readonly port: number;
  /** Base of links sent to approvers (defaults to http://<listen>, no trailing slash). */
  readonly public_url: string;
  /** Largest request body accepted, in bytes. */
  readonly body_limit: number;
}

export interface AuditConfig {
  readonly signing_key_file: string;
  readonly checkpoint_every_ms: number;
}

export type ConnectorConfig =
  | {
      readonly id: string;
      readonly type: 'sandbox';
      readonly seed: number;
      readonly size: { readonly contacts: number; readonly companies: number; readonly deals: number };
      /** SQLite file (default ./data/sandbox-<id>.db) or ':memory:'. */
      readonly path: string;
    }
  | { readonly id: string; readonly type: 'hubspot'; readonly access_token: string; readonly base_url?: string }
  | { readonly id: string; readonly type: 'replica'; readonly from: string; readonly path?: string };

export interface RoleConfig {
  readonly id: string;
  readonly built_in: boolean;
  readonly description?: string;
  readonly permissions: readonly string[];
}

export interface PersonConfig {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly roles: readonly string[];
  readonly slack_user_id?: string;
}

export interface GrantConfig {
  readonly connector: string;
  readonly objects: readonly string[];
  readonly operations: readonly string[];
  /** As written; undefined when the file does not list them. */
  readonly read_fields?: readonly string[];
  readonly write_fields?: readonly string[];
  /** Record filter (CEL over `record`): records outside are invisible and unwritable. */
  readonly where?: CelExpression;
  readonly pii: PiiHandling;
}

export interface AgentConfig {
  readonly id: string;
  readonly owner: string;
  readonly mode: AgentMode;
  readonly description?: string;
  readonly grants: readonly GrantConfig[];
  readonly limits: { readonly max_batch: number; readonly actions_per_minute: number };
  /** Shadow-evidence criteria for `agents promote` (docs/shadow-mode.md); durations in ms. */
  readonly promote_when?: PromoteWhenConfig;
  /**
   * A `type: replica` connector of one of the agent's granted connectors: while the agent is in
   * observe, its reads and write plans on that connector are served by the replica (docs/replicas.md).
   */
  readonly observe_on?: string;
  /** "object.operation" → mode, overriding `mode` for that operation. */
  readonly operation_modes: Readonly<Record<string, AgentMode>>;
}

export interface PromoteCriteriaConfig {
  readonly min_proposals?: number;
  readonly precision?: number;
  readonly recall?: number;
  readonly rule_adherence?: number;
  readonly min_days?: number;
  /** How far back the evidence reaches (default 14d). */
  readonly window_ms?: number;
  /** How long after a proposal a person's change answers it (default 7d). */
  readonly match_window_ms?: number;
}

export interface PromoteWhenConfig extends PromoteCriteriaConfig {
  readonly window_ms: number;
  readonly match_window_ms: number;
  /** `object.operation` → criteria for promoting that operation alone (unset keys inherit). */
  readonly operations: Readonly<Record<string, PromoteCriteriaConfig>>;
}

export interface PolicyConfig {
  readonly id: string;
  readonly when: CelExpression;
  readonly effect: PolicyEffect;
  /** Always set for require_approval (default: one person with role approver); else undefined. */
  readonly approvers?: { readonly role: string; readonly count: number };
  /** Checklist item ids; each has a description in `CompiledConfig.checklists`. */
  readonly checklist: readonly string[];
  readonly reason?: string;
  /** dry_run: the decision is recorded but not applied. */
  readonly mode: 'enforce' | 'dry_run';
}

export type NotifyTarget = { readonly role: string } | { readonly person: string };

export interface ApprovalsConfig {
  /** An expired approval is a rejection. */
  readonly expire_after_ms: number;
  readonly escalation: readonly { readonly after_ms: number; readonly notify: NotifyTarget }[];
}

export interface PreflightConfig {
  readonly frequency_cap?: { readonly max: number; readonly per_ms: number };
  readonly freezes: readonly { readonly from: string; readonly to: string; readonly reason?: string }[];
  readonly on_fail: 'deny' | 'require_approval';
}

export type BaselineConfig =
  | { readonly source: string; readonly kind: 'trailing'; readonly window_ms: number }
  | { readonly source: string; readonly kind: 'same_hours_last_week' };

export interface BreakerConfig {
  readonly id: string;
  readonly metric: string;
  /** Needed by drop_pct / spike_pct; thresholds (above / below) work without one. */
  readonly baseline?: BaselineConfig;
  readonly window_ms: number;
  readonly trip_when: {
    readonly drop_pct?: number;
    readonly spike_pct?: number;
    readonly above?: number;
    readonly below?: number;
    readonly min_events?: number;
    readonly confidence?: number;
    readonly consecutive: number;
  };
  readonly scope: { readonly agents: 'all' | readonly string[] };
  readonly on_trip: {
    readonly pause: boolean;
    readonly rollback: 'none' | 'reversible_in_window';
    readonly notify: readonly NotifyTarget[];
  };
  readonly half_open?: { readonly probe_actions: number };
}

export type NotificationConfig =
  | { readonly type: 'webhook'; readonly url: string; readonly secret: string; readonly events?: readonly string[] }
  | {
      readonly type: 'slack';
      readonly bot_token: string;
      readonly signing_secret: string;
      readonly channel: string;
      /** Slack's Web API base (default https://slack.com/api); tests point it at a fake. */
      readonly api_base_url: string;
    };

export interface ConfigVersions {
  /** SHA-256 (hex) of the whole file's data, after interpolation. */
  readonly config: string;
  /** SHA-256 of the policies and checklists: what an approval's "policy version" binds to. */
  readonly policies: string;
  /** Agent id → SHA-256 of that agent's entry: what an approval's "agent version" binds to. */
  readonly agents: Readonly<Record<string, string>>;
}

export interface CompiledConfig {
  readonly version: 1;
  /** The file it was loaded from, as given to the loader. */
  readonly sourcePath: string;
  readonly versions: ConfigVersions;
  readonly storage: StorageConfig;
  readonly server: ServerConfig;
  readonly audit: AuditConfig;
  /** Keyed by connector id. */
  readonly connectors: Readonly<Record<string, ConnectorConfig>>;
  /** Built-in roles plus the file's custom roles, keyed by id. */
  readonly roles: Readonly<Record<string, RoleConfig>>;
  readonly people: readonly PersonConfig[];
  readonly agents: readonly AgentConfig[];
  readonly policies: readonly PolicyConfig[];
  /** Checklist item id → description: the file's, plus a default for items only named in policies. */
  readonly checklists: Readonly<Record<string, string>>;
  readonly approvals: ApprovalsConfig;
  readonly preflight?: PreflightConfig;
  readonly breakers: readonly BreakerConfig[];
  readonly notifications: readonly NotificationConfig[];
}
