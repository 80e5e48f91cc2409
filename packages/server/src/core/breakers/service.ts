/**
 * The breaker runner: evaluation of every configured breaker per scope, the trip actions, and the
 * people's controls (reset, force open, disable, enable). Shared by HTTP, the CLI and the timers.
 *
 * Contracts:
 * - Every evaluation goes through the state machine (state.ts) and is persisted with
 *   compare-and-set on the row's version; a lost race re-reads and re-applies the same verdict.
 *   Evaluation runs in every state, so a breach while open, forced open or disabled is seen.
 * - Recording: the row always holds the latest evaluation (`reason.last_evaluation`: at, outcome,
 *   reason). A breaker event and an audit entry are written, in the row's transaction, when the
 *   state changes or the outcome differs from the previous evaluation's — an unchanged verdict
 *   every minute would otherwise flood the hash-chained log without telling anyone anything.
 * - A trip commits the `open` row first (the halt), then runs the trip actions (trip.ts).
 * - Storage errors while gathering a signal become an `error` evaluation, never a pass.
 */
import type { BreakerConfig } from '../../config/types.js';
import { can, type RoleHolder, type RoleSource } from '../auth/permissions.js';
import { GatehouseError } from '../errors.js';
import { appendAudit } from '../pipeline/record.js';
import type { PipelineDeps } from '../pipeline/types.js';
import type { BreakerRow } from '../ports/storage.js';
import { debounce, evaluateTrip, type TripEvaluation } from './evaluate.js';
import { kpiComponents } from './metrics.js';
import { scopeKeys } from './scope.js';
import { gatherSignal, type Signal } from './signals.js';
import {
  RESPONDER_ROLE,
  transition,
  tripPending,
  type BreakerEvent,
  type TransitionRefusal,
  type TransitionResult,
} from './state.js';
import { breakerActor, runTripActions, type TripOutcomeReport } from './trip.js';

export type BreakerDeps = PipelineDeps & { readonly breakers: readonly BreakerConfig[] };

export interface LastEvaluation {
  readonly at: string;
  readonly outcome: TripEvaluation['outcome'];
  readonly reason: string;
  readonly value?: number;
  readonly baseline_value?: number;
  readonly effect?: number;
}

export interface ScopeEvaluation {
  readonly breakerId: string;
  readonly scopeKey: string;
  readonly outcome: TripEvaluation['outcome'];
  readonly reason: string;
  readonly from: BreakerRow['state'];
  readonly to: BreakerRow['state'];
  readonly tripped: boolean;
  readonly trip?: TripOutcomeReport;
}

const CAS_ATTEMPTS = 5;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function lastEvaluation(row: BreakerRow | undefined): LastEvaluation | undefined {
  const last = isRecord(row?.reason) ? row.reason.last_evaluation : undefined;
  return isRecord(last) ? (last as unknown as LastEvaluation) : undefined;
}

/** True when the breaker watches one of `metrics` (a KPI metric it is derived from, or itself). */
export function watches(breaker: Pick<BreakerConfig, 'metric'>, metrics: readonly string[]): boolean {
  return metrics.includes(breaker.metric) || kpiComponents(breaker.metric).some((m) => metrics.includes(m));
}

/**
 * Evaluates every breaker (or those watching `opts.metrics`) for each of its scope keys, persists
 * the verdicts, and runs the trip actions of the scopes that tripped. Answers one entry per scope.
 */
export async function evaluateBreakers(
  deps: BreakerDeps,
  opts: { readonly metrics?: readonly string[] } = {},
): Promise<ScopeEvaluation[]> {
  const out: ScopeEvaluation[] = [];
  const agentIds = [...deps.agents.keys()];
  for (const breaker of deps.breakers) {
    if (opts.metrics && !watches(breaker, opts.metrics)) continue;
    for (const scopeKey of scopeKeys(breaker, agentIds)) {
      out.push(await evaluateScope(deps, breaker, scopeKey, agentIds));
    }
  }
  return out;
}

async function evaluateScope(
  deps: BreakerDeps,
  breaker: BreakerConfig,
  scopeKey: string,
  agentIds: readonly string[],
): Promise<ScopeEvaluation> {
  const now = deps.clock.now();
  let signal: Signal | undefined;
  let evaluation: TripEvaluation;
  try {
    signal = await gatherSignal(deps.storage, breaker, scopeKey, agentIds, now);
    evaluation = evaluateTrip(breaker, signal.input);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    evaluation = {
      outcome: 'error',
      checks: [],
      reason: `${breaker.metric}: the signal could not be read (${message}): ERROR`,
    };
  }
  const applied = await applyEvaluation(deps, breaker, scopeKey, evaluation, now);
  const base = {
    breakerId: breaker.id,
    scopeKey,
    outcome: evaluation.outcome,
    reason: evaluation.reason,
    from: applied.from,
    to: applied.row.state,
    tripped: applied.tripped,
  };
  if (!applied.tripped) return base;
  return { ...base, trip: await runTripActions(deps, breaker, applied.row, evaluation, signal) };
}

function evidence(e: TripEvaluation): Record<string, unknown> {
  return {
    reason: e.reason,
    ...(e.value !== undefined && Number.isFinite(e.value) ? { value: e.value } : {}),
    ...(e.baselineValue !== undefined && Number.isFinite(e.baselineValue) ? { baseline_value: e.baselineValue } : {}),
    ...(e.effect !== undefined ? { effect: e.effect } : {}),
  };
}

async function applyEvaluation(
  deps: BreakerDeps,
  breaker: BreakerConfig,
  scopeKey: string,
  evaluation: TripEvaluation,
  now: Date,
): Promise<{ row: BreakerRow; from: BreakerRow['state']; tripped: boolean }> {
  const at = now.toISOString();
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const done = await deps.storage.transaction(async (tx) => {
      const row = await tx.breakers.get(breaker.id, scopeKey);
      const d = debounce(
        { consecutiveFails: row?.consecutiveFails ?? 0 },
        evaluation.outcome,
        breaker.trip_when.consecutive,
      );
      const t = transition(
        row,
        { type: 'evaluated', outcome: evaluation.outcome, trip: d.trip, detail: evidence(evaluation) },
        { now, actor: 'system', roles: [], key: { breakerId: breaker.id, scopeKey } },
      );
      if (!t.ok) throw new GatehouseError('internal', `breaker ${breaker.id} refused an evaluation: ${t.message}`);
      // The measured value and baseline ride along, for the dashboard and the /metrics gauges.
      const last = { ...evidence(evaluation), at, outcome: evaluation.outcome } as LastEvaluation;
      const next: BreakerRow = {
        ...t.next,
        reason: { ...(isRecord(t.next.reason) ? t.next.reason : {}), last_evaluation: last },
      };
      if (!(await tx.breakers.upsert(next, row ? row.version : null))) return undefined;
      if (t.changed || lastEvaluation(row)?.outcome !== evaluation.outcome) {
        await tx.breakers.appendEvent(t.event);
        await appendAudit(tx, [
          { at, type: t.audit.type, actor: 'system', subject: `${breaker.id}/${scopeKey}`, data: t.audit.data },
        ]);
      }
      return { row: next, from: row?.state ?? 'closed', tripped: t.changed && next.state === 'open' };
    });
    if (done) return done;
  }
  throw new GatehouseError('conflict', `breaker ${breaker.id} ${scopeKey} kept changing under evaluation; retry`);
}

// --- people's controls ---

export type ManualEventType = 'reset' | 'force_open' | 'disable' | 'enable';

export interface ManualChange {
  readonly breakerId: string;
  /** Omitted: every scope of the breaker the event applies to. */
  readonly scopeKey?: string;
  readonly event: ManualEventType;
  readonly comment?: string;
  /** `person:<id>` */
  readonly actor: string;
  readonly roles: readonly string[];
}

export interface ManualResult {
  readonly scopeKey: string;
  readonly from: BreakerRow['state'];
  readonly to: BreakerRow['state'];
  readonly version: number;
  readonly auditSeq: number;
}

/** The state machine's refusals as the stable error codes transports map (http/errors.ts). */
const REFUSAL_CODE: Readonly<Record<TransitionRefusal, string>> = {
  breaker_unknown: 'breaker_not_found',
  forbidden: 'forbidden',
  comment_required: 'comment_required',
  invalid_transition: 'invalid_transition',
  probe_budget_exhausted: 'probe_budget_exhausted',
  invalid_event: 'invalid_request',
};

/** The roles the state machine checks: a person holding `breakers.reset` counts as a responder. */
export function breakerRoles(person: RoleHolder, config: RoleSource): string[] {
  const roles = [...person.roles];
  if (can(person, 'breakers.reset', config) && !roles.includes(RESPONDER_ROLE)) roles.push(RESPONDER_ROLE);
  return roles;
}

export function breakerConfig(deps: Pick<BreakerDeps, 'breakers'>, id: string): BreakerConfig {
  const b = deps.breakers.find((x) => x.id === id);
  if (!b) throw new GatehouseError('breaker_not_found', `no breaker '${id}' in the config`);
  return b;
}

const APPLIES: Readonly<Record<ManualEventType, (row: BreakerRow | undefined) => boolean>> = {
  reset: (r) => r?.state === 'open' || r?.state === 'half_open',
  force_open: (r) => r?.state !== 'forced_open',
  disable: (r) => r?.state !== 'disabled',
  enable: (r) => r?.state === 'forced_open' || r?.state === 'disabled',
};

function manualEvent(breaker: BreakerConfig, c: ManualChange): BreakerEvent {
  const comment = c.comment ?? '';
  switch (c.event) {
    case 'reset':
      return { type: 'reset', comment, probeActions: breaker.half_open?.probe_actions ?? 0 };
    case 'force_open':
      return { type: 'force_open', comment };
    case 'disable':
      return { type: 'disable', comment };
    case 'enable':
      return { type: 'enable', ...(c.comment ? { comment: c.comment } : {}) };
  }
}

/**
 * Applies a person's event to one scope, or to every scope it applies to. Refusals are thrown as
 * GatehouseError with the codes of {@link REFUSAL_CODE}; the agents a trip paused stay paused
 * (unpausing is an admin's separate decision, `agents mode`).
 */
export async function changeBreaker(deps: BreakerDeps, change: ManualChange): Promise<ManualResult[]> {
  const breaker = breakerConfig(deps, change.breakerId);
  const keys = scopeKeys(breaker, deps.agents.keys());
  let targets: string[];
  if (change.scopeKey !== undefined) {
    if (!keys.includes(change.scopeKey)) {
      throw new GatehouseError(
        'invalid_request',
        `breaker ${breaker.id} has no scope ${change.scopeKey} (scopes: ${keys.join(', ')})`,
      );
    }
    targets = [change.scopeKey];
  } else {
    const rows = new Map((await deps.storage.breakers.list({ breakerId: breaker.id })).map((r) => [r.scopeKey, r]));
    targets = keys.filter((k) => APPLIES[change.event](rows.get(k)));
    // Nothing applies: let the state machine refuse the first scope, with its reason.
    if (targets.length === 0) targets = keys.slice(0, 1);
  }
  const out: ManualResult[] = [];
  for (const scopeKey of targets) out.push(await applyManual(deps, breaker, scopeKey, change));
  return out;
}

async function applyManual(
  deps: BreakerDeps,
  breaker: BreakerConfig,
  scopeKey: string,
  change: ManualChange,
): Promise<ManualResult> {
  const now = deps.clock.now();
  const at = now.toISOString();
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const done = await deps.storage.transaction(async (tx) => {
      const row = await tx.breakers.get(breaker.id, scopeKey);
      const t: TransitionResult = transition(row, manualEvent(breaker, change), {
        now,
        actor: change.actor,
        roles: change.roles,
        key: { breakerId: breaker.id, scopeKey },
      });
      if (!t.ok) throw new GatehouseError(REFUSAL_CODE[t.code], `${breaker.id} ${scopeKey}: ${t.message}`);
      const last = lastEvaluation(row);
      const next: BreakerRow = last
        ? { ...t.next, reason: { ...(isRecord(t.next.reason) ? t.next.reason : {}), last_evaluation: last } }
        : t.next;
      if (!(await tx.breakers.upsert(next, row ? row.version : null))) return undefined;
      await tx.breakers.appendEvent(t.event);
      const auditSeq = await appendAudit(tx, [
        { at, type: t.audit.type, actor: change.actor, subject: `${breaker.id}/${scopeKey}`, data: t.audit.data },
      ]);
      return { scopeKey, from: row?.state ?? 'closed', to: next.state, version: next.version, auditSeq };
    });
    if (done) return done;
  }
  throw new GatehouseError('conflict', `breaker ${breaker.id} ${scopeKey} kept changing; retry`);
}

// --- reads ---

export interface BreakerScopeView {
  readonly scope: string;
  readonly state: BreakerRow['state'];
  readonly since: string | null;
  readonly consecutive_fails: number;
  readonly probe_budget: number;
  readonly pending_trip: boolean;
  readonly updated_by: string | null;
  readonly last_evaluation: LastEvaluation | null;
}

/** Most severe first: a breaker halting any scope reads as halting. */
const SEVERITY: readonly BreakerRow['state'][] = ['forced_open', 'open', 'half_open', 'disabled', 'closed'];

export async function listBreakers(deps: BreakerDeps) {
  const rows = await deps.storage.breakers.list();
  const agentIds = [...deps.agents.keys()];
  return deps.breakers.map((b) => {
    const scopes = scopeKeys(b, agentIds).map((key): BreakerScopeView => {
      const row = rows.find((r) => r.breakerId === b.id && r.scopeKey === key);
      return {
        scope: key,
        state: row?.state ?? 'closed',
        since: row?.since ?? null,
        consecutive_fails: row?.consecutiveFails ?? 0,
        probe_budget: row?.probeBudget ?? 0,
        pending_trip: tripPending(row),
        updated_by: row?.updatedBy ?? null,
        last_evaluation: lastEvaluation(row) ?? null,
      };
    });
    const worst = scopes.reduce<BreakerScopeView | undefined>(
      (w, x) => (w && SEVERITY.indexOf(w.state) <= SEVERITY.indexOf(x.state) ? w : x),
      undefined,
    );
    return {
      id: b.id,
      /** The most severe state over its scopes (what an SDK's one-line view shows). */
      state: worst?.state ?? 'closed',
      since: worst?.since ?? null,
      metric: b.metric,
      window_ms: b.window_ms,
      baseline: b.baseline?.source ?? null,
      trip_when: b.trip_when,
      scope: b.scope,
      on_trip: b.on_trip,
      scopes,
    };
  });
}

/** Events read to assemble incidents (the port lists oldest first, without a kind filter). */
const INCIDENT_SCAN = 10_000;

function withoutIncidentId(detail: Record<string, unknown>): Record<string, unknown> {
  const { incident_id: _id, ...rest } = detail;
  return rest;
}

/** The breaker's incidents, newest first, each with its rollback result when there is one. */
export async function listIncidents(deps: BreakerDeps, breakerId: string) {
  breakerConfig(deps, breakerId);
  const events = await deps.storage.breakers.listEvents({ breakerId, limit: INCIDENT_SCAN });
  const rollbacks = new Map<string, Record<string, unknown>>();
  for (const e of events) {
    if (e.kind === 'incident_rollback' && isRecord(e.detail)) rollbacks.set(String(e.detail.incident_id), e.detail);
  }
  return events
    .filter((e) => e.kind === 'incident' && isRecord(e.detail))
    .map((e) => {
      const d = e.detail as Record<string, unknown>;
      const rb = rollbacks.get(String(d.incident_id));
      return {
        id: String(d.incident_id),
        breaker_id: e.breakerId,
        scope: e.scopeKey,
        at: e.at,
        actor: e.actor,
        evidence: d,
        rollback: rb ? withoutIncidentId(rb) : null,
      };
    })
    .reverse();
}

export { breakerActor };
