/**
 * An agent's view of its own actions, with a bounded wait, as `GET /v1/actions/:id?wait=` does:
 * polling shared storage keeps it correct when a person decides on another instance or from the
 * CLI. To an agent, another agent's action does not exist.
 */
import { GatehouseError } from '../core/errors.js';
import { actionView, isFinal, loadAction, type ActionWireView, type PipelineDeps } from '../core/pipeline/index.js';

const POLL_MS = 200;

export async function ownActionView(
  deps: Pick<PipelineDeps, 'storage'>,
  agentId: string,
  actionId: string,
): Promise<ActionWireView> {
  const found = await loadAction(deps.storage, actionId, 100);
  if (!found || found.action.agentId !== agentId) {
    throw new GatehouseError('action_not_found', `no action ${actionId}`);
  }
  const approval = found.action.approvalId ? await deps.storage.approvals.get(found.action.approvalId) : undefined;
  return actionView(found.action, found.changeset, approval);
}

/**
 * Waits until the action is settled (a final status), `timeoutMs` passes or `signal` aborts, and
 * answers its view then. An approval moves pending → approved → executing → executed in quick
 * succession, so "settled" (not "changed") is what an agent waiting on a person wants.
 */
export async function waitForAction(
  deps: Pick<PipelineDeps, 'storage'>,
  agentId: string,
  actionId: string,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<{ view: ActionWireView; settled: boolean }> {
  const deadline = Date.now() + opts.timeoutMs;
  let view = await ownActionView(deps, agentId, actionId);
  while (!isFinal(view.status) && Date.now() < deadline && !opts.signal?.aborted) {
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(1, deadline - Date.now()))));
    view = await ownActionView(deps, agentId, actionId);
  }
  return { view, settled: isFinal(view.status) };
}
