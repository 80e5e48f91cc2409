/**
 * The breaker state machine, per breaker and scope key (see `scope.ts`). Pure: it takes the stored
 * row and an event and answers the next row plus the audit entry that records the change, or a
 * refusal with a stable code. The caller persists `next` with compare-and-set on `version`
 * (`breakers.upsert(next, row?.version ?? null)`), appends `event` and the audit entry in the same
 * transaction, and retries from a fresh read when the guard fails.
 *
 * States follow the code-level breakers (Resilience4j, opossum): `closed` lets writes through,
 * `open` (tripped) and `forced_open` halt the scope's writes, `half_open` lets a limited budget
 * of probe actions through, `disabled` lets everything through and ignores trips. Evaluation keeps
 * running in every state (flagger #1801: breaches ignored while waiting at a manual gate).
 *
 * Transition table (✗ = refused with `invalid_transition`; R = responder, A = admin):
 *
 * | from \ event | evaluated            | probe_used             | reset (R, comment) | force_open (R/A, comment) | disable (R/A, comment) | enable (R/A)       |
 * |--------------|----------------------|------------------------|--------------------|---------------------------|------------------------|--------------------|
 * | closed       | trip → open          | ✗                      | ✗                  | forced_open               | disabled               | ✗                  |
 * |              | else closed          |                        |                    |                           |                        |                    |
 * | open         | open (recorded)      | ✗                      | half_open (budget) | forced_open, trip pending | disabled, trip pending | ✗                  |
 * |              |                      |                        | closed (no budget) |                           | (R only)               |                    |
 * | half_open    | fail or trip → open  | budget − 1; at 0 with  | closed             | forced_open               | disabled               | ✗                  |
 * |              | pass at budget 0 →   | a failed probe → open, |                    |                           |                        |                    |
 * |              | closed; else stays   | else half_open; no     |                    |                           |                        |                    |
 * |              |                      | budget left: refused   |                    |                           |                        |                    |
 * | forced_open  | stays; a trip is     | ✗                      | ✗                  | ✗                         | disabled (R only when  | open if a trip is  |
 * |              | kept as pending      |                        |                    |                           | a trip is pending)     | pending, else      |
 * |              |                      |                        |                    |                           |                        | closed             |
 * | disabled     | stays; trips ignored | ✗                      | ✗                  | forced_open               | ✗                      | open if a trip is  |
 * |              |                      |                        |                    |                           |                        | pending, else      |
 * |              |                      |                        |                    |                           |                        | closed             |
 *
 * Invariants a change here must keep (checked by `state.property.test.ts`):
 * - Only a responder moves a breaker out of a trip into a state that lets writes through. A trip
 *   stays "pending" through `forced_open` and `disabled` (stored as `reason.pending_trip`), so an
 *   admin cannot launder a trip by forcing open or disabling and then enabling: enable lands on
 *   `open` again, and only a responder's `reset` clears it.
 * - `reset`, `force_open` and `disable` need a non-empty comment; every accepted event adds 1 to
 *   `version` and yields one audit entry.
 * - In `half_open` a failing evaluation re-trips at once, whatever the `consecutive` rule said:
 *   the scope is on probation. `no_data`, `error` and `inconclusive` never count as a pass
 *   (argo-rollouts #4479), so they never close a breaker.
 * - `consecutiveFails` counts consecutive failing evaluations (a pass resets it; other outcomes
 *   leave it); in `half_open` it counts failed probe actions instead.
 */
import type { BreakerEventRow, BreakerRow, BreakerState } from '../ports/storage.js';

export const BREAKER_STATES: readonly BreakerState[] = ['closed', 'open', 'half_open', 'forced_open', 'disabled'];

/** States in which the pipeline refuses the scope's writes with `breaker_open`. */
export const HALTING_STATES: readonly BreakerState[] = ['open', 'forced_open'];

export const RESPONDER_ROLE = 'responder';
export const ADMIN_ROLE = 'admin';

export const EVALUATION_OUTCOMES = ['fail', 'pass', 'inconclusive', 'no_data', 'error'] as const;
export type EvaluationOutcome = (typeof EVALUATION_OUTCOMES)[number];

export type BreakerEvent =
  /** `trip`: the evaluator's verdict (its `consecutive` and statistical guards already applied). */
  | {
      readonly type: 'evaluated';
      readonly outcome: EvaluationOutcome;
      readonly trip: boolean;
      readonly detail?: Readonly<Record<string, unknown>>;
    }
  /** A probe action was let through in `half_open`; `failed`: it did not execute cleanly. */
  | { readonly type: 'probe_used'; readonly failed?: boolean; readonly actionId?: string }
  /** `probeActions`: the breaker's `half_open.probe_actions`; absent or 0 closes at once. */
  | { readonly type: 'reset'; readonly comment: string; readonly probeActions?: number }
  | { readonly type: 'force_open'; readonly comment: string }
  | { readonly type: 'disable'; readonly comment: string }
  | { readonly type: 'enable'; readonly comment?: string };

export type BreakerEventType = BreakerEvent['type'];

export interface TransitionContext {
  readonly now: Date;
  /** Who caused the event: `person:sam`, `system`, `breaker:ctr-drop`. */
  readonly actor: string;
  /** The actor's roles; empty for the system. */
  readonly roles: readonly string[];
  /** Needed when there is no row yet (a breaker never evaluated counts as `closed`). */
  readonly key?: { readonly breakerId: string; readonly scopeKey: string };
}

export const TRANSITION_REFUSALS = [
  'breaker_unknown',
  'forbidden',
  'comment_required',
  'invalid_transition',
  'probe_budget_exhausted',
  'invalid_event',
] as const;
export type TransitionRefusal = (typeof TRANSITION_REFUSALS)[number];

export interface TransitionAudit {
  /** `breaker.evaluated|tripped|closed|probe_used|reset|forced_open|disabled|enabled` */
  readonly type: string;
  readonly data: Record<string, unknown>;
}

export type TransitionResult =
  | {
      readonly ok: true;
      readonly next: BreakerRow;
      /** The state changed (a routine evaluation or probe does not change it). */
      readonly changed: boolean;
      readonly audit: TransitionAudit;
      /** The row for `breakers.appendEvent`. */
      readonly event: BreakerEventRow;
    }
  | { readonly ok: false; readonly code: TransitionRefusal; readonly message: string };

/** What `BreakerRow.reason` holds after a transition made here. */
export interface BreakerReason {
  readonly event: BreakerEventType;
  readonly by: string;
  readonly at: string;
  readonly comment: string | null;
  /** A trip no responder has resolved yet; implied by `open`. */
  readonly pending_trip: boolean;
  readonly outcome?: EvaluationOutcome;
  readonly detail?: Readonly<Record<string, unknown>>;
  /** A trip that happened while forced open (the hold's own reason is kept). */
  readonly tripped?: { readonly at: string; readonly outcome: EvaluationOutcome; readonly detail?: unknown };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** True while a trip awaits a responder: the breaker is `open`, or a manual state holds the trip. */
export function tripPending(row: BreakerRow | undefined): boolean {
  if (!row) return false;
  if (row.state === 'open') return true;
  return (
    (row.state === 'forced_open' || row.state === 'disabled') &&
    isRecord(row.reason) &&
    row.reason.pending_trip === true
  );
}

export const isHalting = (row: BreakerRow | undefined): boolean => !!row && HALTING_STATES.includes(row.state);

/** `half_open` with budget left: the pipeline may let one more probe through (via `probe_used`). */
export const acceptsProbe = (row: BreakerRow | undefined): boolean =>
  !!row && row.state === 'half_open' && row.probeBudget > 0;

/** The implicit row of a breaker never evaluated: closed, version 0 (so the first write is 1). */
export function initialBreakerRow(key: { breakerId: string; scopeKey: string }, now: Date): BreakerRow {
  const at = now.toISOString();
  return {
    breakerId: key.breakerId,
    scopeKey: key.scopeKey,
    state: 'closed',
    version: 0,
    since: at,
    reason: null,
    consecutiveFails: 0,
    probeBudget: 0,
    updatedAt: at,
    updatedBy: 'system',
  };
}

interface Step {
  readonly to: BreakerState;
  readonly kind: string;
  readonly fails: number;
  readonly budget: number;
  /** The new reason; `undefined` keeps the stored one. */
  readonly reason?: BreakerReason;
  readonly extra?: Record<string, unknown>;
}

type Refusal = Extract<TransitionResult, { ok: false }>;
const refuse = (code: TransitionRefusal, message: string): Refusal => ({ ok: false, code, message });

const hasRole = (ctx: TransitionContext, ...roles: string[]) => roles.some((r) => ctx.roles.includes(r));

function reasonFor(
  event: BreakerEvent,
  ctx: TransitionContext,
  pending: boolean,
  extra: Partial<BreakerReason> = {},
): BreakerReason {
  return {
    event: event.type,
    by: ctx.actor,
    at: ctx.now.toISOString(),
    comment: 'comment' in event && typeof event.comment === 'string' ? event.comment.trim() : null,
    pending_trip: pending,
    ...extra,
  };
}

function onEvaluated(
  row: BreakerRow,
  event: Extract<BreakerEvent, { type: 'evaluated' }>,
  ctx: TransitionContext,
): Step | Refusal {
  if (!EVALUATION_OUTCOMES.includes(event.outcome)) return refuse('invalid_event', `unknown outcome ${event.outcome}`);
  if (event.trip && event.outcome === 'pass') return refuse('invalid_event', 'a passing evaluation cannot trip');
  const fails =
    event.outcome === 'fail' ? row.consecutiveFails + 1 : event.outcome === 'pass' ? 0 : row.consecutiveFails;
  const evidence = { outcome: event.outcome, ...(event.detail ? { detail: event.detail } : {}) };
  const stay: Step = { to: row.state, kind: 'breaker.evaluated', fails, budget: row.probeBudget };
  switch (row.state) {
    case 'closed':
      return event.trip
        ? { to: 'open', kind: 'breaker.tripped', fails, budget: 0, reason: reasonFor(event, ctx, true, evidence) }
        : stay;
    case 'open':
      return stay;
    case 'half_open':
      // Probation: any failing evaluation re-trips; only a pass after every probe closes.
      if (event.trip || event.outcome === 'fail') {
        return {
          to: 'open',
          kind: 'breaker.tripped',
          fails: row.consecutiveFails,
          budget: 0,
          reason: reasonFor(event, ctx, true, evidence),
          extra: { retrip: true },
        };
      }
      if (event.outcome === 'pass' && row.probeBudget === 0 && row.consecutiveFails === 0) {
        return {
          to: 'closed',
          kind: 'breaker.closed',
          fails: 0,
          budget: 0,
          reason: reasonFor(event, ctx, false, evidence),
        };
      }
      return { ...stay, fails: row.consecutiveFails };
    case 'forced_open':
      if (!event.trip || tripPending(row)) return stay;
      // Still halted; remember the trip so that lifting the manual hold lands on `open`.
      return {
        ...stay,
        reason: {
          ...reasonFor(event, ctx, true),
          ...(isRecord(row.reason) ? row.reason : {}),
          pending_trip: true,
          tripped: { at: ctx.now.toISOString(), ...evidence },
        },
      };
    case 'disabled':
      return event.trip ? { ...stay, extra: { ignored_trip: true } } : stay;
  }
}

function onProbeUsed(
  row: BreakerRow,
  event: Extract<BreakerEvent, { type: 'probe_used' }>,
  ctx: TransitionContext,
): Step | Refusal {
  if (row.state !== 'half_open') return refuse('invalid_transition', `no probes while ${row.state}`);
  if (row.probeBudget <= 0) return refuse('probe_budget_exhausted', 'every probe of this half-open period is used');
  const budget = row.probeBudget - 1;
  const fails = row.consecutiveFails + (event.failed ? 1 : 0);
  const extra = { probe_failed: event.failed === true, ...(event.actionId ? { action_id: event.actionId } : {}) };
  if (budget === 0 && fails > 0) {
    return {
      to: 'open',
      kind: 'breaker.tripped',
      fails,
      budget: 0,
      reason: reasonFor(event, ctx, true, { detail: { failed_probes: fails } }),
      extra: { ...extra, retrip: true },
    };
  }
  return { to: 'half_open', kind: 'breaker.probe_used', fails, budget, extra };
}

function onManual(
  row: BreakerRow,
  event: Extract<BreakerEvent, { type: 'reset' | 'force_open' | 'disable' | 'enable' }>,
  ctx: TransitionContext,
): Step | Refusal {
  const pending = tripPending(row);
  if (event.type === 'reset' ? !hasRole(ctx, RESPONDER_ROLE) : !hasRole(ctx, RESPONDER_ROLE, ADMIN_ROLE)) {
    const who = event.type === 'reset' ? 'a responder' : 'a responder or an admin';
    return refuse('forbidden', `only ${who} may ${event.type.replace('_', ' ')} a breaker`);
  }
  if (event.type !== 'enable' && (typeof event.comment !== 'string' || event.comment.trim() === '')) {
    return refuse('comment_required', `${event.type.replace('_', ' ')} needs a comment saying why`);
  }
  const invalid = () =>
    refuse('invalid_transition', `cannot ${event.type.replace('_', ' ')} a breaker that is ${row.state}`);
  switch (event.type) {
    case 'reset': {
      if (row.state !== 'open' && row.state !== 'half_open') return invalid();
      const probes = event.probeActions ?? 0;
      if (!Number.isInteger(probes) || probes < 0)
        return refuse('invalid_event', 'probeActions must be an integer ≥ 0');
      const to = row.state === 'open' && probes > 0 ? 'half_open' : 'closed';
      return {
        to,
        kind: 'breaker.reset',
        fails: 0,
        budget: to === 'half_open' ? probes : 0,
        reason: reasonFor(event, ctx, false),
      };
    }
    case 'force_open':
      if (row.state === 'forced_open') return invalid();
      return {
        to: 'forced_open',
        kind: 'breaker.forced_open',
        fails: row.consecutiveFails,
        budget: 0,
        reason: reasonFor(event, ctx, pending),
      };
    case 'disable':
      if (row.state === 'disabled') return invalid();
      // Disabling a pending trip lets the scope's writes through again: that is a responder's call.
      if (pending && !hasRole(ctx, RESPONDER_ROLE)) {
        return refuse('forbidden', 'only a responder may disable a breaker whose trip is unresolved');
      }
      return {
        to: 'disabled',
        kind: 'breaker.disabled',
        fails: row.consecutiveFails,
        budget: 0,
        reason: reasonFor(event, ctx, pending),
      };
    case 'enable':
      if (row.state !== 'forced_open' && row.state !== 'disabled') return invalid();
      return {
        to: pending ? 'open' : 'closed',
        kind: 'breaker.enabled',
        fails: row.consecutiveFails,
        budget: 0,
        reason: reasonFor(event, ctx, pending),
      };
  }
}

export function transition(row: BreakerRow | undefined, event: BreakerEvent, ctx: TransitionContext): TransitionResult {
  if (!row && !ctx.key) return refuse('breaker_unknown', 'no breaker row and no key to create one');
  const from = row ?? initialBreakerRow(ctx.key!, ctx.now);
  let step: Step | Refusal;
  switch (event.type) {
    case 'evaluated':
      step = onEvaluated(from, event, ctx);
      break;
    case 'probe_used':
      step = onProbeUsed(from, event, ctx);
      break;
    case 'reset':
    case 'force_open':
    case 'disable':
    case 'enable':
      step = onManual(from, event, ctx);
      break;
    default:
      return refuse('invalid_event', `unknown event ${(event as { type: unknown }).type as string}`);
  }
  if ('ok' in step) return step;

  const at = ctx.now.toISOString();
  const next: BreakerRow = {
    ...from,
    state: step.to,
    version: from.version + 1,
    since: step.to === from.state ? from.since : at,
    reason: step.reason ?? from.reason,
    consecutiveFails: step.fails,
    probeBudget: step.to === 'half_open' ? step.budget : 0,
    updatedAt: at,
    updatedBy: ctx.actor,
  };
  const comment = 'comment' in event && typeof event.comment === 'string' ? event.comment.trim() || null : null;
  const data: Record<string, unknown> = {
    breaker_id: next.breakerId,
    scope_key: next.scopeKey,
    event: event.type,
    from: from.state,
    to: next.state,
    version: next.version,
    consecutive_fails: next.consecutiveFails,
    probe_budget: next.probeBudget,
    pending_trip: tripPending(next),
    ...(event.type === 'evaluated'
      ? { outcome: event.outcome, trip: event.trip, ...(event.detail ? { detail: { ...event.detail } } : {}) }
      : {}),
    ...(event.type !== 'evaluated' && event.type !== 'probe_used' ? { comment } : {}),
    ...step.extra,
  };
  return {
    ok: true,
    next,
    changed: next.state !== from.state,
    audit: { type: step.kind, data },
    event: {
      breakerId: next.breakerId,
      scopeKey: next.scopeKey,
      at,
      kind: step.kind.slice('breaker.'.length),
      from: from.state,
      to: next.state,
      actor: ctx.actor,
      detail: data,
    },
  };
}
