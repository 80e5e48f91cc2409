/**
 * Rollback: undoing a scope's changes after a trip. Rollback is not halting: the halt is the
 * breaker's state and takes effect at once; undoing is this separate, audited step, run where the
 * breaker is configured with `rollback: reversible_in_window`.
 *
 * Contracts:
 * - Only `reversible` writes of `executed` actions applied in `[since, until)` are undone, newest
 *   first (by apply time), one action at a time. Compensatable changes (creates, pauses,
 *   enrollments) and irreversible ones (sends) are listed, never pretended away: undoing them is
 *   a person's decision.
 * - The connector checks every item against the record's history. A record someone else changed
 *   since is left as it is and reported as a conflict, naming who and when.
 * - Safe to re-run after a crash: the connector answers `already_restored` for an undo it did
 *   before (it reads its own rollback entries in the history), and each call carries an
 *   idempotency key per incident, action and chunk. Nothing is undone twice.
 * - An action whose every change was undone moves `executed → rolled_back` (compare-and-set,
 *   transition, audit) in the same transaction as its `rollback.item` audit entry. An action with
 *   a conflict, a missing record or a non-reversible change stays `executed`.
 * - A connector error is not swallowed (Temporal's saga sample does, do not): the run records
 *   `rollback.interrupted` and rethrows; re-running resumes.
 */
import type { Clock } from '../clock.js';
import { GatehouseError } from '../errors.js';
import type { Actor, Connector, PropertyValue, RevertItem, RevertOutcome } from '../ports/connector.js';
import type { ActionRow, Repos, Storage } from '../ports/storage.js';
import { loadChangeSet } from '../pipeline/load.js';
import { appendAudit } from '../pipeline/record.js';

export interface RollbackWindow {
  readonly agentIds: readonly string[];
  /** Inclusive: writes applied at or after this instant. */
  readonly since: string;
  /** Exclusive. */
  readonly until: string;
  /**
   * Oldest creation time of an action to consider (default: none). An action created before
   * `since` can be applied inside the window once approved, so the default reads every executed
   * action of the scope created before `until`; callers may bound it by the approval lifetime.
   */
  readonly createdSince?: string;
}

/** The executed action a planned or listed change belongs to. */
export interface ActionRef {
  readonly actionId: string;
  readonly agentId: string;
  readonly connector: string;
}

/** One property write to undo, and where it came from. */
export interface PlannedRevert extends RevertItem, ActionRef {}

/** A change rollback will not undo (irreversible or compensatable), listed for people. */
export interface ListedChange extends ActionRef {
  readonly operation: string;
  readonly object: string;
  /** The record's id in the CRM (for a create, the id it was given on apply). */
  readonly recordId: string;
  readonly fields: readonly string[];
  readonly appliedAt: string;
}

export interface UnavailableAction extends ActionRef {
  readonly reason: 'connector_not_configured' | 'no_applied_at';
}

export interface RollbackPlan {
  readonly window: { readonly agentIds: readonly string[]; readonly since: string; readonly until: string };
  /** Newest first; items of one action are contiguous. */
  readonly items: readonly PlannedRevert[];
  readonly irreversible: readonly ListedChange[];
  readonly compensatable: readonly ListedChange[];
  /** Executed actions in the window nothing can be done about (their connector is gone). */
  readonly unavailable: readonly UnavailableAction[];
}

export interface ItemKey {
  readonly actionId: string;
  readonly object: string;
  readonly id: string;
  readonly property: string;
}

/** `value`: what the record holds again. */
export type RevertedItem = ItemKey & { readonly value: PropertyValue };

export type RollbackConflict = ItemKey & {
  readonly current: PropertyValue;
  readonly changedBy: Actor;
  readonly changedAt: string;
};

export interface RollbackResult {
  readonly incidentId: string;
  /** This run (an incident may be rolled back more than once, e.g. resumed after a crash). */
  readonly runId: string;
  readonly restored: readonly RevertedItem[];
  readonly alreadyRestored: readonly RevertedItem[];
  readonly conflicts: readonly RollbackConflict[];
  readonly missing: readonly ItemKey[];
  readonly irreversible: readonly ListedChange[];
  readonly compensatable: readonly ListedChange[];
  readonly unavailable: readonly UnavailableAction[];
  /** Actions moved to `rolled_back` by this run. */
  readonly rolledBack: readonly string[];
}

export interface RollbackDeps {
  readonly storage: Storage;
  readonly connectors: ReadonlyMap<string, Connector>;
  readonly clock: Clock;
  readonly newId: (prefix: string) => string;
}

const PAGE = 500;
/** Items per connector call: bounds one write transaction in the CRM. */
export const REVERT_CHUNK = 500;
/** Audit entries list at most this many conflicts or ids; counts are always complete. */
const AUDIT_LIST_LIMIT = 100;

interface ExecutedResult {
  readonly applied_at?: unknown;
  readonly records?: unknown;
}

/** Planned record id → id written on apply; `undefined` when the result does not say. */
function writtenIds(result: ExecutedResult): Map<string, string> | undefined {
  if (!Array.isArray(result.records)) return undefined;
  const ids = new Map<string, string>();
  for (const r of result.records as { id?: unknown; ref?: unknown }[]) {
    if (typeof r?.id !== 'string') continue;
    ids.set(typeof r.ref === 'string' ? r.ref : r.id, r.id);
  }
  return ids;
}

async function executedActions(repos: Pick<Repos, 'actions'>, agentId: string, w: RollbackWindow) {
  const out: ActionRow[] = [];
  let afterId: string | undefined;
  for (;;) {
    const page = await repos.actions.list({
      agentId,
      statuses: ['executed'],
      before: w.until,
      ...(w.createdSince !== undefined ? { since: w.createdSince } : {}),
      order: 'desc',
      limit: PAGE,
      ...(afterId !== undefined ? { afterId } : {}),
    });
    out.push(...page);
    if (page.length < PAGE) return out;
    afterId = page[page.length - 1]!.id;
  }
}

/** What rollback would do for the scope's window; reads only. */
export async function planRollback(
  deps: {
    readonly storage: Pick<Repos, 'actions' | 'changesets'>;
    readonly connectors: ReadonlyMap<string, Connector>;
  },
  window: RollbackWindow,
): Promise<RollbackPlan> {
  const unavailable: UnavailableAction[] = [];
  const found: { action: ActionRow; appliedAt: string; result: ExecutedResult }[] = [];
  for (const agentId of new Set(window.agentIds)) {
    for (const action of await executedActions(deps.storage, agentId, window)) {
      const result = (action.result ?? {}) as ExecutedResult;
      const appliedAt = typeof result.applied_at === 'string' ? result.applied_at : undefined;
      const ref = { actionId: action.id, agentId, connector: action.connector };
      if (appliedAt === undefined) {
        if (action.updatedAt >= window.since && action.updatedAt < window.until)
          unavailable.push({ ...ref, reason: 'no_applied_at' });
        continue;
      }
      if (appliedAt < window.since || appliedAt >= window.until) continue;
      if (!deps.connectors.has(action.connector)) {
        unavailable.push({ ...ref, reason: 'connector_not_configured' });
        continue;
      }
      found.push({ action, appliedAt, result });
    }
  }
  // Newest write first, so successive writes to one property unwind in order.
  found.sort(
    (a, b) =>
      b.appliedAt.localeCompare(a.appliedAt) ||
      b.action.createdAt.localeCompare(a.action.createdAt) ||
      b.action.id.localeCompare(a.action.id),
  );

  const items: PlannedRevert[] = [];
  const irreversible: ListedChange[] = [];
  const compensatable: ListedChange[] = [];
  for (const { action, appliedAt, result } of found) {
    if (!action.changesetId) continue;
    const cs = await loadChangeSet(deps.storage, action.changesetId);
    if (!cs) continue;
    const written = writtenIds(result);
    const ref = { actionId: action.id, agentId: action.agentId, connector: action.connector };
    for (const record of [...cs.records].reverse()) {
      if (record.noop) continue;
      const recordId = written ? written.get(record.id) : record.id;
      if (recordId === undefined) continue; // planned but not written (unchanged at apply time)
      const fields = Object.keys(record.after).filter((k) => record.after[k] !== (record.before[k] ?? null));
      if (fields.length === 0) continue;
      if (record.reversibility !== 'reversible') {
        const listed = { ...ref, operation: cs.operation, object: record.object, recordId, fields, appliedAt };
        (record.reversibility === 'irreversible' ? irreversible : compensatable).push(listed);
        continue;
      }
      for (const property of [...fields].reverse()) {
        items.push({
          ...ref,
          object: record.object,
          id: recordId,
          property,
          wrote: record.after[property] ?? null,
          restore: record.before[property] ?? null,
          appliedAt,
        });
      }
    }
  }
  return {
    window: { agentIds: [...new Set(window.agentIds)], since: window.since, until: window.until },
    items,
    irreversible,
    compensatable,
    unavailable,
  };
}

/** `person:sam` → a person; `agent:x` → an agent; anything else (a breaker, `system`) → the system. */
export function rollbackActor(actor: string): Actor {
  const [kind, ...rest] = actor.split(':');
  const id = rest.join(':');
  if ((kind === 'person' || kind === 'agent') && id !== '') return { kind, id };
  return { kind: 'system', id: actor };
}

function groupByAction(items: readonly PlannedRevert[]): Map<string, PlannedRevert[]> {
  const groups = new Map<string, PlannedRevert[]>();
  for (const item of items) {
    const group = groups.get(item.actionId);
    if (group) group.push(item);
    else groups.set(item.actionId, [item]);
  }
  return groups;
}

/** Strips the planning fields: connectors get exactly a RevertItem. */
const revertItem = (i: PlannedRevert): RevertItem => ({
  object: i.object,
  id: i.id,
  property: i.property,
  wrote: i.wrote,
  restore: i.restore,
  appliedAt: i.appliedAt,
});

async function revertAction(
  deps: RollbackDeps,
  group: readonly PlannedRevert[],
  ctx: { incidentId: string; actor: Actor },
): Promise<{ item: PlannedRevert; outcome: RevertOutcome }[]> {
  const first = group[0]!;
  const connector = deps.connectors.get(first.connector);
  if (!connector) throw new GatehouseError('connector_not_found', `connector ${first.connector} is not configured`);
  const out: { item: PlannedRevert; outcome: RevertOutcome }[] = [];
  for (let start = 0; start < group.length; start += REVERT_CHUNK) {
    const chunk = group.slice(start, start + REVERT_CHUNK);
    const outcomes = await connector.revert(chunk.map(revertItem), {
      idempotencyKey: `rollback:${ctx.incidentId}:${first.actionId}:${start / REVERT_CHUNK}`,
      actor: ctx.actor,
      source: 'rollback',
    });
    chunk.forEach((item, i) => {
      const outcome = outcomes[i];
      if (!outcome || outcome.id !== item.id || outcome.property !== item.property) {
        throw new GatehouseError(
          'connector_protocol_error',
          `connector ${connector.id} answered revert outcomes out of order for action ${item.actionId}`,
        );
      }
      out.push({ item, outcome });
    });
  }
  return out;
}

interface Tally {
  restored: RevertedItem[];
  alreadyRestored: RevertedItem[];
  conflicts: RollbackConflict[];
  missing: ItemKey[];
}

function tally(outcomes: readonly { item: PlannedRevert; outcome: RevertOutcome }[]): Tally {
  const t: Tally = { restored: [], alreadyRestored: [], conflicts: [], missing: [] };
  for (const { item, outcome } of outcomes) {
    const key = { actionId: item.actionId, object: item.object, id: item.id, property: item.property };
    if (outcome.type === 'restored') t.restored.push({ ...key, value: item.restore });
    else if (outcome.type === 'already_restored') t.alreadyRestored.push({ ...key, value: item.restore });
    else if (outcome.type === 'missing') t.missing.push(key);
    else
      t.conflicts.push({
        ...key,
        current: outcome.current,
        changedBy: outcome.changedBy,
        changedAt: outcome.changedAt,
      });
  }
  return t;
}

/**
 * Carries out a plan: reverts newest first, one action at a time, every step audited
 * (`rollback.started`, one `rollback.item` per action, `rollback.finished`).
 */
export async function runRollback(
  deps: RollbackDeps,
  plan: RollbackPlan,
  input: { readonly incidentId: string; readonly actor: string },
): Promise<RollbackResult> {
  if (input.incidentId.trim() === '') throw new GatehouseError('invalid_request', 'rollback needs an incident id');
  const runId = deps.newId('rb');
  const base = { incident_id: input.incidentId, run_id: runId };
  const audit = (type: string, data: Record<string, unknown>, repos: Pick<Repos, 'audit'> = deps.storage) =>
    appendAudit(repos, [
      {
        at: deps.clock.now().toISOString(),
        type,
        actor: input.actor,
        subject: input.incidentId,
        data: { ...base, ...data },
      },
    ]);
  const groups = groupByAction(plan.items);
  const notFull = new Set([...plan.irreversible, ...plan.compensatable].map((c) => c.actionId));

  await audit('rollback.started', {
    agent_ids: [...plan.window.agentIds],
    since: plan.window.since,
    until: plan.window.until,
    actions: groups.size,
    items: plan.items.length,
    irreversible: plan.irreversible.length,
    compensatable: plan.compensatable.length,
    unavailable: plan.unavailable.length,
  });

  const done: Tally = { restored: [], alreadyRestored: [], conflicts: [], missing: [] };
  const rolledBack: string[] = [];
  const actor = rollbackActor(input.actor);
  try {
    for (const [actionId, group] of groups) {
      const mine = tally(await revertAction(deps, group, { incidentId: input.incidentId, actor }));
      done.restored.push(...mine.restored);
      done.alreadyRestored.push(...mine.alreadyRestored);
      done.conflicts.push(...mine.conflicts);
      done.missing.push(...mine.missing);
      const complete = mine.conflicts.length === 0 && mine.missing.length === 0 && !notFull.has(actionId);
      const itemAudit = (tx: Repos) =>
        audit(
          'rollback.item',
          {
            action_id: actionId,
            agent_id: group[0]!.agentId,
            connector: group[0]!.connector,
            restored: mine.restored.length,
            already_restored: mine.alreadyRestored.length,
            missing: mine.missing.length,
            conflicts: mine.conflicts.length,
            conflict_list: mine.conflicts.slice(0, AUDIT_LIST_LIMIT).map((c) => ({
              object: c.object,
              id: c.id,
              property: c.property,
              current: c.current,
              changed_by: `${c.changedBy.kind}:${c.changedBy.id}`,
              changed_at: c.changedAt,
            })),
            status: complete ? 'rolled_back' : 'partial',
          },
          tx,
        );
      if (await settleAction(deps, { actionId, complete, actor: input.actor, base }, itemAudit)) {
        rolledBack.push(actionId);
      }
    }
  } catch (e) {
    // Record that the run stopped, then let the caller see the real error; a re-run resumes.
    await audit('rollback.interrupted', {
      restored: done.restored.length,
      already_restored: done.alreadyRestored.length,
      error: e instanceof GatehouseError ? e.code : 'error',
      message: e instanceof Error ? e.message : String(e),
    }).catch(() => undefined);
    throw e;
  }

  await audit('rollback.finished', {
    restored: done.restored.length,
    already_restored: done.alreadyRestored.length,
    conflicts: done.conflicts.length,
    missing: done.missing.length,
    rolled_back: rolledBack.length,
    irreversible: plan.irreversible.length,
    compensatable: plan.compensatable.length,
    unavailable: plan.unavailable.length,
    irreversible_actions: [...new Set(plan.irreversible.map((c) => c.actionId))].slice(0, AUDIT_LIST_LIMIT),
  });
  return {
    incidentId: input.incidentId,
    runId,
    ...done,
    irreversible: plan.irreversible,
    compensatable: plan.compensatable,
    unavailable: plan.unavailable,
    rolledBack,
  };
}

/**
 * The action's `rollback.item` entry, and — when every change was undone — its move to
 * `rolled_back`, in one transaction. Answers whether this call moved it.
 */
async function settleAction(
  deps: RollbackDeps,
  s: { actionId: string; complete: boolean; actor: string; base: Record<string, unknown> },
  itemAudit: (tx: Repos) => Promise<number>,
): Promise<boolean> {
  const at = deps.clock.now().toISOString();
  return deps.storage.transaction(async (tx) => {
    let moved = false;
    const action = s.complete ? await tx.actions.get(s.actionId) : undefined;
    if (action?.status === 'executed') {
      const updated = await tx.actions.update(
        action.id,
        { status: 'rolled_back', updatedAt: at },
        { status: 'executed', version: action.version },
      );
      if (updated) {
        moved = true;
        await tx.transitions.append({ actionId: action.id, from: 'executed', to: 'rolled_back', at, detail: s.base });
        await appendAudit(tx, [
          {
            at,
            type: 'action.rolled_back',
            actor: s.actor,
            subject: action.id,
            data: { action_id: action.id, agent_id: action.agentId, status: 'rolled_back', ...s.base },
          },
        ]);
      }
    }
    await itemAudit(tx);
    return moved;
  });
}
