/**
 * What happens after a breaker trips. The halt itself is already in force: the `open` row was
 * committed before this runs, so every instance refuses the scope's writes whatever happens here.
 * Then, in this order (each step its own transaction, each audited):
 * 0. demote the scope's agents: anything autonomous (agent-wide or per operation) becomes gated, so
 *    a reset never brings an agent back autonomous (`demoteToGated`, actor `breaker:<id>`);
 * 1. pause the scope's agents (`on_trip.pause`), actor `breaker:<id>` — a pause only a person lifts;
 * 2. open the incident: one breaker event of kind `incident` holding the evidence (value,
 *    baseline, test, reason, the periods, the scope's recent action ids) and, in the same
 *    transaction, the `breaker.tripped` notification (outbox) and a `breaker.incident` audit entry;
 * 3. roll back (`on_trip.rollback: reversible_in_window`): plan and run over the window, then
 *    record the counts as an `incident_rollback` event. A rollback error is recorded in the
 *    incident and returned, never swallowed silently; re-running resumes (see rollback.ts).
 */
import type { BreakerConfig } from '../../config/types.js';
import { GatehouseError } from '../errors.js';
import { demoteToGated, setAgentMode } from '../governance.js';
import { enqueueEvent } from '../notifications/events.js';
import { appendAudit } from '../pipeline/record.js';
import type { PipelineDeps } from '../pipeline/types.js';
import type { BreakerRow } from '../ports/storage.js';
import type { TripEvaluation } from './evaluate.js';
import { planRollback, runRollback, type RollbackResult } from './rollback.js';
import { agentsOfScopeKey } from './scope.js';
import { actionsOf, type Signal } from './signals.js';

/** Recent action ids listed in an incident (counts are complete). */
const RECENT_LIMIT = 100;

export interface RollbackSummary {
  readonly run_id?: string;
  readonly restored: number;
  readonly already_restored: number;
  readonly conflicts: number;
  readonly missing: number;
  readonly irreversible: number;
  readonly compensatable: number;
  readonly unavailable: number;
  readonly rolled_back: readonly string[];
  readonly conflict_list?: readonly Record<string, unknown>[];
  readonly irreversible_actions?: readonly string[];
  readonly error?: { readonly code: string; readonly message: string };
}

export interface TripOutcomeReport {
  readonly incidentId: string;
  readonly paused: readonly string[];
  /** Agents whose autonomous mode (agent-wide or per operation) became gated. */
  readonly demoted: readonly string[];
  readonly rollback?: RollbackSummary;
}

export const breakerActor = (breakerId: string) => `breaker:${breakerId}`;

export function summarizeRollback(r: RollbackResult): RollbackSummary {
  return {
    run_id: r.runId,
    restored: r.restored.length,
    already_restored: r.alreadyRestored.length,
    conflicts: r.conflicts.length,
    missing: r.missing.length,
    irreversible: r.irreversible.length,
    compensatable: r.compensatable.length,
    unavailable: r.unavailable.length,
    rolled_back: r.rolledBack,
    conflict_list: r.conflicts.slice(0, RECENT_LIMIT).map((c) => ({
      action_id: c.actionId,
      object: c.object,
      id: c.id,
      property: c.property,
      current: c.current,
      changed_by: `${c.changedBy.kind}:${c.changedBy.id}`,
      changed_at: c.changedAt,
    })),
    irreversible_actions: [...new Set(r.irreversible.map((c) => c.actionId))].slice(0, RECENT_LIMIT),
  };
}

export async function runTripActions(
  deps: PipelineDeps,
  breaker: BreakerConfig,
  row: BreakerRow,
  evaluation: TripEvaluation,
  signal: Signal | undefined,
): Promise<TripOutcomeReport> {
  const actor = breakerActor(breaker.id);
  const now = deps.clock.now();
  const at = now.toISOString();
  const incidentId = deps.newId('inc');
  const agents = agentsOfScopeKey(row.scopeKey, deps.agents.keys());

  // Demote before pausing: a reset must never bring an agent back autonomous (docs/breakers.md).
  const demoted: string[] = [];
  for (const agentId of agents.filter((id) => deps.agents.has(id))) {
    const d = await demoteToGated(deps, {
      agentId,
      actor,
      comment: `breaker ${breaker.id} tripped for ${row.scopeKey} (incident ${incidentId}): autonomous → gated`,
    });
    if (d.demoted.length > 0) demoted.push(agentId);
  }

  const paused: string[] = [];
  if (breaker.on_trip.pause) {
    for (const agentId of agents.filter((id) => deps.agents.has(id))) {
      await setAgentMode(deps, {
        agentId,
        mode: 'paused',
        actor,
        comment: `breaker ${breaker.id} tripped for ${row.scopeKey} (incident ${incidentId})`,
      });
      paused.push(agentId);
    }
  }

  const windowFrom = signal?.window.from ?? new Date(now.getTime() - breaker.window_ms).toISOString();
  const recent: string[] = [];
  let recentCount = 0;
  for (const agentId of agents) {
    const rows = await actionsOf(deps.storage, agentId, windowFrom, at);
    recentCount += rows.length;
    for (const a of rows.reverse()) if (recent.length < RECENT_LIMIT) recent.push(a.id);
  }
  const evidence = {
    incident_id: incidentId,
    breaker_id: breaker.id,
    scope_key: row.scopeKey,
    metric: breaker.metric,
    outcome: evaluation.outcome,
    value: evaluation.value ?? null,
    baseline_value: evaluation.baselineValue ?? null,
    effect: evaluation.effect ?? null,
    test: evaluation.test ?? null,
    reason: evaluation.reason,
    counts: signal ? { window: signal.input.window, baseline: signal.input.baseline ?? null } : null,
    window: signal?.window ?? { from: windowFrom, to: at },
    baseline: signal?.baseline ?? null,
    attributed: signal?.attributed ?? null,
    paused,
    demoted,
    recent_actions: recent,
    recent_action_count: recentCount,
    rollback: breaker.on_trip.rollback,
  };
  await deps.storage.transaction(async (tx) => {
    await tx.breakers.appendEvent({
      breakerId: breaker.id,
      scopeKey: row.scopeKey,
      at,
      kind: 'incident',
      from: null,
      to: row.state,
      actor,
      detail: evidence,
    });
    await enqueueEvent(tx, deps.notifier, deps.newId, {
      type: 'breaker.tripped',
      at,
      breaker: { id: breaker.id, scope: row.scopeKey, reason: { incident_id: incidentId, reason: evaluation.reason } },
    });
    await appendAudit(tx, [{ at, type: 'breaker.incident', actor, subject: incidentId, data: evidence }]);
  });

  if (breaker.on_trip.rollback !== 'reversible_in_window') return { incidentId, paused, demoted };
  const rollback = await rollBack(deps, { incidentId, actor, agents, since: windowFrom, until: at });
  const done = deps.clock.now().toISOString();
  await deps.storage.transaction(async (tx) => {
    await tx.breakers.appendEvent({
      breakerId: breaker.id,
      scopeKey: row.scopeKey,
      at: done,
      kind: 'incident_rollback',
      from: null,
      to: null,
      actor,
      detail: { incident_id: incidentId, ...rollback },
    });
  });
  return { incidentId, paused, demoted, rollback };
}

async function rollBack(
  deps: PipelineDeps,
  r: { incidentId: string; actor: string; agents: readonly string[]; since: string; until: string },
): Promise<RollbackSummary> {
  try {
    const plan = await planRollback(deps, { agentIds: r.agents, since: r.since, until: r.until });
    return summarizeRollback(await runRollback(deps, plan, { incidentId: r.incidentId, actor: r.actor }));
  } catch (e) {
    // runRollback audited `rollback.interrupted`; the incident says so too, and a re-run resumes.
    const error = {
      code: e instanceof GatehouseError ? e.code : 'rollback_failed',
      message: e instanceof Error ? e.message : String(e),
    };
    const zero = { restored: 0, already_restored: 0, conflicts: 0, missing: 0, irreversible: 0 };
    return { ...zero, compensatable: 0, unavailable: 0, rolled_back: [], error };
  }
}
