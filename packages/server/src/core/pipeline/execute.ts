/**
 * Execution: the only place the pipeline writes to a connector. Preconditions: the action is
 * persisted as `executing` together with its change set and audit entry.
 *
 * - The connector re-checks every record's fingerprint inside its write transaction; a changed
 *   world answers `stale` and nothing is written. The action is then re-planned and re-judged
 *   (a fresh approval is requested where policy or mode needs one).
 * - The connector idempotency key is `<action id>:<change set hash>`: re-running after a crash
 *   replays instead of writing twice, while a re-planned change set gets a key of its own.
 */
import { GatehouseError } from '../errors.js';
import type { ChangePlan } from '../ports/connector.js';
import type { ActionRow } from '../ports/storage.js';
import type { ChangeSet } from './changeset.js';
import { agentModeOf, loadModes } from './gates.js';
import { connectorFor, judge } from './judge.js';
import { finishAction, recordReplan } from './record.js';
import { baseDecision, refusalVerdict, verdictFor } from './verdict.js';
import type { ActionRequest, AgentDefinition, PipelineDeps } from './types.js';

export function planOf(cs: ChangeSet): ChangePlan {
  return {
    object: cs.object,
    operation: cs.operation,
    ...(cs.target !== undefined ? { target: cs.target } : {}),
    records: cs.records,
    missing: cs.missing,
    invalid: [],
  };
}

export const idempotencyKeyFor = (actionId: string, changesetHash: string) => `${actionId}:${changesetHash}`;

export interface Executed {
  action: ActionRow;
  changeset?: ChangeSet;
}

export async function executeAction(
  deps: PipelineDeps,
  agent: AgentDefinition,
  action: ActionRow,
  changeset: ChangeSet,
  replans = 0,
): Promise<Executed> {
  const connector = connectorFor(deps, action.connector);
  let result;
  try {
    result = await connector.apply(planOf(changeset), {
      idempotencyKey: idempotencyKeyFor(action.id, changeset.hash),
      actor: { kind: 'agent', id: agent.id },
      source: 'gatehouse',
    });
  } catch (e) {
    // The connector could not say what happened: leave the action `executing` for recovery, which
    // retries with the same idempotency key, so it applies at most once.
    const err =
      e instanceof GatehouseError ? e : new GatehouseError('connector_unavailable', (e as Error).message, { cause: e });
    throw err;
  }

  switch (result.type) {
    case 'applied': {
      const done = await finishAction(
        deps,
        action,
        'executed',
        { result: { applied_at: result.appliedAt, records: result.records, replayed: result.replayed } },
        {
          type: 'action.executed',
          data: { changeset_hash: changeset.hash, records: result.records.length, replayed: result.replayed },
        },
      );
      return { action: done ?? (await reload(deps, action)), changeset };
    }
    case 'failed': {
      const error = { code: result.code, message: result.message };
      const done = await finishAction(
        deps,
        action,
        'failed',
        { error },
        { type: 'action.failed', data: { changeset_hash: changeset.hash, ...error } },
      );
      return { action: done ?? (await reload(deps, action)), changeset };
    }
    case 'stale':
      return replanAction(deps, agent, action, {
        reason: `records changed since planning: ${result.stale
          .map((s) => s.id)
          .slice(0, 5)
          .join(', ')}`,
        replans,
        fallback: changeset,
      });
  }
}

async function reload(deps: PipelineDeps, action: ActionRow): Promise<ActionRow> {
  const row = await deps.storage.actions.get(action.id);
  if (!row) throw new GatehouseError('action_not_found', `action ${action.id} disappeared`);
  return row;
}

/**
 * Plan again from the original request and judge again (boundary, scope, policy, mode): the
 * world changed (stale fingerprints) or the rules did (an approval bound to old versions).
 * An approval given for the old change set is void: it approved other bytes.
 */
export async function replanAction(
  deps: PipelineDeps,
  agent: AgentDefinition,
  action: ActionRow,
  opts: { reason: string; replans: number; fallback?: ChangeSet },
): Promise<Executed> {
  const request = action.request as ActionRequest;
  const stored = await loadModes(deps.storage, agent.id);
  const mode = agentModeOf(agent, stored.state);
  const base = baseDecision(deps, agent, mode);
  const max = deps.maxReplans ?? 2;
  const verdict =
    opts.replans >= max
      ? refusalVerdict(base, 'stale', `gave up after ${opts.replans + 1} attempts: ${opts.reason}`)
      : verdictFor(base, await judge(deps, agent, mode, request, stored), agent.id);
  const updated = await recordReplan(deps, agent, action, verdict, opts.reason);
  const fallback = opts.fallback ? { changeset: opts.fallback } : {};
  if (!updated) return { action: await reload(deps, action), ...fallback };
  if (updated.status === 'executing' && verdict.changeset)
    return executeAction(deps, agent, updated, verdict.changeset, opts.replans + 1);
  return { action: updated, ...(verdict.changeset ? { changeset: verdict.changeset } : fallback) };
}
