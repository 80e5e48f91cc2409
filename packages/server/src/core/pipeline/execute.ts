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
import { effectiveMode } from './gates.js';
import { connectorFor, judge } from './judge.js';
import { finishAction, recordReplan } from './record.js';
import { baseDecision, verdictFor } from './verdict.js';
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
  changeset: ChangeSet;
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
      return replan(
        deps,
        agent,
        action,
        changeset,
        result.stale.map((s) => s.id),
        replans,
      );
  }
}

async function reload(deps: PipelineDeps, action: ActionRow): Promise<ActionRow> {
  const row = await deps.storage.actions.get(action.id);
  if (!row) throw new GatehouseError('action_not_found', `action ${action.id} disappeared`);
  return row;
}

/** The records changed since planning: plan again from the original request and judge again. */
async function replan(
  deps: PipelineDeps,
  agent: AgentDefinition,
  action: ActionRow,
  stale: ChangeSet,
  staleIds: readonly string[],
  replans: number,
): Promise<Executed> {
  const request = action.request as ActionRequest;
  const mode = await effectiveMode(deps.storage, agent);
  const base = baseDecision(deps, agent, mode);
  const max = deps.maxReplans ?? 2;
  let verdict;
  if (replans >= max) {
    verdict = {
      status: 'denied' as const,
      decision: {
        ...base,
        effect: 'deny' as const,
        rules: [],
        reasons: ['records kept changing while executing'],
        code: 'stale',
        routing: 'deny' as const,
      },
      error: {
        code: 'stale',
        message: `the records changed ${replans + 1} times while executing; gave up: ${staleIds.slice(0, 5).join(', ')}`,
      },
    };
  } else {
    verdict = verdictFor(base, await judge(deps, agent, mode, request), agent.id);
  }
  const updated = await recordReplan(deps, agent, action, verdict);
  if (!updated) return { action: await reload(deps, action), changeset: stale };
  const changeset = verdict.changeset ?? stale;
  if (updated.status === 'executing' && verdict.changeset)
    return executeAction(deps, agent, updated, verdict.changeset, replans + 1);
  return { action: updated, changeset };
}
