/**
 * Crash recovery. An action is persisted as `executing` before its connector write, and the
 * connector remembers the idempotency key in the same transaction as the write. So after a crash
 * (kill -9 at any point), re-running every `executing` action is safe: a write that happened is
 * replayed (nothing written again), a write that did not happen happens now.
 *
 * With several instances, an `executing` row may belong to a live instance: only rows untouched
 * for `staleAfterMs` are claimed, and `claim` hands each row to exactly one instance.
 */
import type { ActionRow } from '../ports/storage.js';
import { executeAction } from './execute.js';
import { loadChangeSet } from './load.js';
import { finishAction } from './record.js';
import { agentFor } from './submit.js';
import type { PipelineDeps } from './types.js';

export interface RecoveryReport {
  resumed: number;
  executed: number;
  failed: number;
  other: number;
}

export async function recoverActions(
  deps: PipelineDeps,
  opts: { staleAfterMs: number; batch?: number },
): Promise<RecoveryReport> {
  const report: RecoveryReport = { resumed: 0, executed: 0, failed: 0, other: 0 };
  for (;;) {
    const now = deps.clock.now();
    const claimed = await deps.storage.actions.claim({
      from: ['executing'],
      to: 'executing',
      at: now.toISOString(),
      limit: opts.batch ?? 50,
      updatedBefore: new Date(now.getTime() - opts.staleAfterMs + 1).toISOString(),
    });
    if (claimed.length === 0) return report;
    for (const action of claimed) {
      report.resumed++;
      const final = await resume(deps, action);
      if (final.status === 'executed') report.executed++;
      else if (final.status === 'failed') report.failed++;
      else report.other++;
    }
  }
}

async function resume(deps: PipelineDeps, action: ActionRow): Promise<ActionRow> {
  const changeset = action.changesetId ? await loadChangeSet(deps.storage, action.changesetId) : undefined;
  if (!changeset || !deps.agents.has(action.agentId)) {
    const error = {
      code: 'unrecoverable',
      message: changeset ? `agent ${action.agentId} is no longer configured` : 'the change set is missing',
    };
    return (await finishAction(deps, action, 'failed', { error }, { type: 'action.failed', data: error })) ?? action;
  }
  try {
    return (await executeAction(deps, agentFor(deps, action.agentId), action, changeset)).action;
  } catch {
    // Still unreachable: the row stays `executing` and the next sweep tries again.
    return action;
  }
}
