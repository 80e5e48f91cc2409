/**
 * Marketing pre-flight checks: facts about an outgoing send (consent, suppression, frequency,
 * freezes, unsubscribe link, segment) computed after planning and before policy, shown to the
 * approver and bound into the policy input as `checks.<id>`.
 *
 * Checks only read through the connector (get, getMany, search, list, changes); they never plan
 * or apply. Every result is plain JSON (strings, numbers, booleans, arrays, objects) so CEL rules
 * can read it: `!checks.unsubscribe_link.ok`, `checks.recipients_consent.details.count > 10`.
 */
import type { Connector, PlannedRecordChange, PropertyValue } from '../ports/connector.js';
import type { CheckResult } from '../policy/types.js';

/** `fail`: a failure triggers the configured `on_fail`. `warn`: shown to the approver, decides nothing. */
export type Severity = 'fail' | 'warn';

/** At most this many ids in a result's `details.sample`. */
export const SAMPLE_SIZE = 10;

export interface PreflightDetails {
  /** How many things the check found wrong (recipients, emails, freezes). */
  readonly count: number;
  /** The first offending ids, at most `SAMPLE_SIZE`. */
  readonly sample: readonly string[];
  readonly [key: string]: unknown;
}

/** A `CheckResult` (assignable to `PolicyInput.checks`) with what the approver is shown. */
export type PreflightResult = CheckResult & {
  readonly ok: boolean;
  readonly severity: Severity;
  /** One sentence an approver understands, stating what is true (never what we hope happens). */
  readonly summary: string;
  readonly details: PreflightDetails;
};

/** The action as the agent asked for it (structurally the pipeline's `ActionRequest`). */
export interface PreflightRequest {
  readonly connector: string;
  readonly object: string;
  readonly operation: string;
  readonly target?: string;
  readonly records?: readonly { readonly id: string; readonly changes: Readonly<Record<string, PropertyValue>> }[];
  readonly params?: Readonly<Record<string, unknown>>;
}

export interface SendFreeze {
  /** ISO 8601 instants; the window is [from, to). */
  readonly from: string;
  readonly to: string;
  readonly reason?: string;
}

/** The `preflight:` section of the config, in the core's terms (durations in ms). */
export interface PreflightSettings {
  /** No contact may get more than `max` marketing emails in any `perMs` window. */
  readonly frequencyCap?: { readonly max: number; readonly perMs: number };
  readonly freezes: readonly SendFreeze[];
  /** What a failed `fail`-severity check does to the action. */
  readonly onFail: 'deny' | 'require_approval';
}

/** Bounds on how much a check reads; beyond them a check says it stopped and does not pass. */
export interface PreflightLimits {
  /** Recipients enumerated per action (default 50,000). */
  readonly maxRecipients: number;
  /** Send-history entries scanned for the frequency cap (default 100,000). */
  readonly maxHistoryEntries: number;
}

export const DEFAULT_LIMITS: PreflightLimits = Object.freeze({ maxRecipients: 50_000, maxHistoryEntries: 100_000 });

export interface PreflightContext {
  readonly request: PreflightRequest;
  /** The planned change set's records (`ChangeSet.records`): what executing would write. */
  readonly planned: readonly PlannedRecordChange[];
  /** The action's connector; read-only use. */
  readonly connector: Connector;
  readonly config: PreflightSettings;
  readonly now: Date;
  readonly limits?: Partial<PreflightLimits>;
}

export interface PreflightCheck {
  /** Stable snake_case id: the key in `checks.<id>` and in the decision. */
  readonly id: string;
  /** Whether the check concerns this action at all; checks that do not apply are omitted. */
  applies(ctx: PreflightContext): boolean;
  run(ctx: PreflightContext): Promise<PreflightResult>;
}

export type PreflightVerdict = 'pass' | 'deny' | 'require_approval';

export interface PreflightOutcome {
  /** Check id → result, for the applicable checks in the order they were given. */
  readonly results: Readonly<Record<string, PreflightResult>>;
  /** Ids of failed `fail`-severity checks (these set the verdict). */
  readonly failed: readonly string[];
  /** Ids of failed `warn`-severity checks (shown, decide nothing). */
  readonly warnings: readonly string[];
  /** `pass` when nothing in `failed`; otherwise the configured `onFail`. */
  readonly verdict: PreflightVerdict;
}
