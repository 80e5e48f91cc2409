/**
 * The values the action pipeline works with. The pipeline is transport-agnostic: HTTP routes, MCP
 * tools and CLI commands all call `submitAction` and map its result in their own way.
 */
import type { AgentBoundary } from '../boundary/index.js';
import type { Clock } from '../clock.js';
import type { Connector } from '../ports/connector.js';
import type { ActionRow, AgentMode, Storage } from '../ports/storage.js';
import type { Notifier } from '../notifications/types.js';
import type { PreflightCheck, PreflightSettings } from '../preflight/index.js';
import type { Decision, PolicyRule, Routing } from '../policy/index.js';
import type { ChangeSet } from './changeset.js';

export interface AgentDefinition extends AgentBoundary {
  readonly owner: string;
  /** The mode in the config; a person or a breaker may override it at run time. */
  readonly mode: AgentMode;
  /** SHA-256 of this agent's config section: approvals bind to it. */
  readonly version: string;
  /** `object.operation` → mode from the config (`operation_modes`); resolution in gates.ts `operationMode`. */
  readonly operationModes?: Readonly<Record<string, AgentMode>>;
  /** Config `observe_on`: the replica that serves this agent's data while it observes (`data-source.ts`). */
  readonly observeOn?: string;
}

/** Side channels the pipeline reports to (metrics, notifications); never on the decision path. */
export interface PipelineObserver {
  actionSettled?(action: ActionRow, micros: number): void;
  /** An approval ended (approved, rejected, revise, expired, void); `waitMs` since it was requested. */
  approvalEnded?(e: { agentId: string; outcome: string; waitMs: number }): void;
  /** A person changed what the agent proposed (approve-with-edits). */
  approvalEdited?(e: { agentId: string }): void;
}

export interface PipelineDeps {
  readonly clock: Clock;
  readonly storage: Storage;
  readonly connectors: ReadonlyMap<string, Connector>;
  readonly agents: ReadonlyMap<string, AgentDefinition>;
  readonly policies: readonly PolicyRule[];
  readonly policyVersion: string;
  readonly approvals: { readonly expireAfterMs: number; readonly firstEscalationMs?: number };
  /** Secret for `pii: hash` (keyed digests). */
  readonly piiSecret: string;
  readonly newId: (prefix: string) => string;
  readonly observer?: PipelineObserver;
  /** How many times an autonomous action is re-planned when its records changed under it. */
  readonly maxReplans?: number;
  /** People and their roles (approvals: who may decide, separation of duties). */
  readonly people?: ReadonlyMap<
    string,
    {
      readonly id: string;
      readonly roles: readonly string[];
      /** holds the approvals.decide permission */ readonly canDecide?: boolean;
    }
  >;
  /** Turns events into outbox rows, enqueued in the same transaction as the state change. */
  readonly notifier?: Notifier;
  /** Marketing pre-flight checks run on sends before policy; their results are policy inputs. */
  readonly preflight?: { readonly checks: readonly PreflightCheck[]; readonly settings: PreflightSettings };
  /** The approval ladder (escalations), each rung after its delay from the request. */
  readonly escalation?: readonly {
    readonly afterMs: number;
    readonly notify: { readonly role: string } | { readonly person: string };
  }[];
}

/** What the agent asked for (the wire request, in camelCase). */
export interface ActionRequest {
  readonly connector: string;
  readonly object: string;
  readonly operation: string;
  readonly records?: readonly { readonly id: string; readonly changes: Readonly<Record<string, string | null>> }[];
  readonly target?: string;
  readonly params?: Readonly<Record<string, unknown>>;
  readonly reason: string;
  readonly idempotencyKey?: string;
  readonly parentActionId?: string;
  readonly callbackUrl?: string;
}

/** The decision as persisted on the action and shown to the agent. */
export interface StoredDecision {
  readonly effect: Decision['effect'];
  readonly rules: readonly string[];
  readonly reasons: readonly string[];
  /** Stable code when the action was refused (boundary, rate, paused, breaker, policy). */
  readonly code?: string;
  readonly mode: AgentMode;
  readonly routing: Routing['type'];
  readonly defaulted?: boolean;
  readonly matched?: Decision['matched'];
  readonly errors?: Decision['errors'];
  readonly dryRun?: Decision['dryRun'];
  readonly approvers?: Decision['approvers'];
  readonly checklist?: readonly string[];
  readonly details?: Readonly<Record<string, unknown>>;
  /** Pre-flight check results, shown to the approver. */
  readonly checks?: Readonly<Record<string, unknown>>;
  readonly policyVersion: string;
  readonly agentVersion: string;
  /** Seq of the audit entry that recorded this decision. */
  readonly auditSeq: number;
}

/** The outcome of submitting an action: the persisted action and its change set. */
export interface ActionResult {
  readonly action: ActionRow;
  readonly changeset?: ChangeSet;
  /** True when an idempotency key matched an earlier action: nothing new happened. */
  readonly replayed: boolean;
}

/** Statuses from which an action never moves again. */
export const FINAL_STATUSES = [
  'executed',
  'denied',
  'shadowed',
  'rejected',
  'revision_requested',
  'expired',
  'failed',
  'rolled_back',
  'breaker_open',
] as const;

export function isFinal(status: string): boolean {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}
