/**
 * The structural inputs and outputs of policy evaluation. The config loader compiles
 * `policies:` into `PolicyRule`s; the evaluator never reads configuration itself.
 */
import type { CompiledCel } from '../cel.js';

export const EFFECTS = ['allow', 'require_approval', 'deny'] as const;
export type Effect = (typeof EFFECTS)[number];

/** `dry_run` rules are evaluated and reported but never change a decision (Gatekeeper `dryrun`). */
export type RuleMode = 'enforce' | 'dry_run';

export const AGENT_MODES = ['observe', 'gated', 'autonomous', 'paused'] as const;
export type AgentMode = (typeof AGENT_MODES)[number];

export interface Approvers {
  readonly role: string;
  readonly count: number;
}

export interface PolicyRule {
  readonly id: string;
  /** Compiled in the `policy` context. */
  readonly when: CompiledCel;
  readonly effect: Effect;
  readonly approvers?: Approvers;
  readonly checklist?: readonly string[];
  /** Shown to the agent and the approver next to the rule id. */
  readonly reason?: string;
  /** Default `enforce`. */
  readonly mode?: RuleMode;
}

/** The result of one pre-flight check (consent, suppression, frequency cap, ...). */
export interface CheckResult {
  readonly ok: boolean;
  readonly [key: string]: unknown;
}

export interface PolicyInput {
  readonly agent: { readonly id: string; readonly mode: string; readonly owner: string };
  readonly action: {
    readonly connector: string;
    readonly object: string;
    readonly operation: string;
    readonly reason: string;
  };
  /** Counts from the change set summary. */
  readonly changes: { readonly records: number; readonly fields: number; readonly irreversible: number };
  readonly now: Date;
  readonly checks?: Readonly<Record<string, CheckResult>>;
}

export interface MatchedRule {
  readonly id: string;
  readonly effect: Effect;
  readonly reason?: string;
}

export interface RuleError {
  readonly id: string;
  readonly message: string;
}

export interface DryRunResult {
  readonly id: string;
  readonly effect: Effect;
  readonly matched: boolean;
  /** Set when the rule failed to evaluate; a dry-run rule's error denies nothing. */
  readonly error?: string;
}

export interface Decision {
  readonly effect: Effect;
  /** No enforce rule matched or failed: the effect is the default `allow`, and the agent's mode decides. */
  readonly defaulted: boolean;
  /** The enforce rules that decided the effect: matched with the winning effect, or failed (→ deny). */
  readonly rules: readonly string[];
  /** Every enforce rule that matched, whatever its effect. */
  readonly matched: readonly MatchedRule[];
  /** One human-readable line per deciding rule (or one for the default). */
  readonly reasons: readonly string[];
  readonly errors: readonly RuleError[];
  /** Present when the effect is `require_approval`: per role, the largest count any deciding rule asks for. */
  readonly approvers?: readonly Approvers[];
  /** Union of the deciding rules' checklists (require_approval only). */
  readonly checklist: readonly string[];
  readonly dryRun: readonly DryRunResult[];
  /** Wall time of the whole evaluation, in microseconds. */
  readonly evalMicros: number;
}

/** Where an action goes once the agent's mode is applied to the decision. */
export type Routing =
  | { readonly type: 'refuse_paused' }
  | { readonly type: 'shadow'; readonly wouldBe: Effect }
  | { readonly type: 'deny' }
  | { readonly type: 'require_approval' }
  | { readonly type: 'execute' };
