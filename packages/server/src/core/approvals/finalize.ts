/**
 * Ending an approval: the approval row and its action move together, in one transaction, with
 * their audit entry and the `approval.decided` notification (outbox). Compare-and-set on both
 * rows makes concurrent deciders resolve to exactly one outcome. A decision ends the approval in
 * the same transaction as the vote that decides it (`finalizeIn`), so a decisive vote is never
 * recorded without its outcome.
 */
import { actionSummary, approvalSummary, enqueueEvent } from '../notifications/events.js';
import { appendAudit } from '../pipeline/record.js';
import type { ActionRequest, PipelineDeps, StoredDecision } from '../pipeline/types.js';
import type { ActionRow, ApprovalRow, ApprovalStatus, Repos } from '../ports/storage.js';

export type Outcome = 'approved' | 'rejected' | 'revise' | 'expired' | 'void';

const ACTION_STATUS: Record<Outcome, string> = {
  approved: 'approved',
  rejected: 'rejected',
  revise: 'revision_requested',
  expired: 'expired',
  void: 'stale',
};
const APPROVAL_STATUS: Record<Outcome, ApprovalStatus> = {
  approved: 'approved',
  rejected: 'rejected',
  revise: 'rejected',
  expired: 'expired',
  void: 'void',
};

export interface Finalized {
  approval: ApprovalRow;
  action: ActionRow;
}

export interface FinalizeInfo {
  by: readonly string[];
  comment: string | null;
  actor: string;
  reason?: string;
}

/** Undefined when someone else ended the approval first (the caller reloads). */
export async function finalizeApproval(
  deps: PipelineDeps,
  approval: ApprovalRow,
  action: ActionRow,
  outcome: Outcome,
  info: FinalizeInfo,
): Promise<Finalized | undefined> {
  const at = deps.clock.now().toISOString();
  const done = await deps.storage.transaction((tx) => finalizeIn(tx, deps, { approval, action, outcome, info, at }));
  if (done) reportEnded(deps, done, outcome);
  return done;
}

/** Tells the observer an approval ended; call after the transaction that ended it committed. */
export function reportEnded(deps: PipelineDeps, done: Finalized, outcome: Outcome): void {
  deps.observer?.approvalEnded?.({
    agentId: done.action.agentId,
    outcome,
    waitMs:
      new Date(done.approval.decidedAt ?? done.action.updatedAt).getTime() -
      new Date(done.approval.createdAt).getTime(),
  });
}

/**
 * Ends `approval` (expected pending at `approval.version`) inside the caller's transaction.
 * Undefined when it is no longer pending at that version.
 */
export async function finalizeIn(
  tx: Repos,
  deps: PipelineDeps,
  f: { approval: ApprovalRow; action: ActionRow; outcome: Outcome; info: FinalizeInfo; at: string },
): Promise<Finalized | undefined> {
  const { approval, action, outcome, info, at } = f;
  const decided = await tx.approvals.update(
    approval.id,
    {
      status: APPROVAL_STATUS[outcome],
      decidedAt: at,
      nextEscalationAt: null,
      outcome: { outcome, by: info.by, comment: info.comment, reason: info.reason ?? null },
    },
    { status: 'pending', version: approval.version },
  );
  if (!decided) return undefined;
  const status = ACTION_STATUS[outcome];
  const error =
    outcome === 'approved'
      ? null
      : {
          code:
            outcome === 'revise'
              ? 'revision_requested'
              : outcome === 'expired'
                ? 'approval_expired'
                : outcome === 'void'
                  ? 'approval_void'
                  : 'rejected',
          message:
            info.comment ??
            info.reason ??
            (outcome === 'expired'
              ? 'nobody decided before the approval expired; expiry is a rejection'
              : `approval ${outcome}`),
        };
  const moved = await tx.actions.update(action.id, { status, updatedAt: at, error }, { status: 'pending_approval' });
  if (!moved)
    throw new Error(`action ${action.id} left pending_approval while its approval ${approval.id} was pending`);
  await tx.transitions.append({
    actionId: action.id,
    from: 'pending_approval',
    to: status,
    at,
    detail: { approval_id: approval.id, outcome },
  });
  await appendAudit(tx, [
    {
      at,
      type: outcome === 'expired' ? 'approval.expired' : outcome === 'void' ? 'approval.voided' : 'approval.decided',
      actor: info.actor,
      subject: approval.id,
      data: {
        approval_id: approval.id,
        action_id: action.id,
        outcome,
        by: [...info.by],
        comment: info.comment,
        reason: info.reason ?? null,
        changeset_hash: approval.changesetHash,
        policy_version: approval.policyVersion,
        agent_version: approval.agentVersion,
      },
    },
  ]);
  const req = action.request as ActionRequest;
  await enqueueEvent(tx, deps.notifier, deps.newId, {
    type: 'approval.decided',
    at,
    approval: approvalSummary(decided, (action.decision as StoredDecision | null)?.rules ?? []),
    action: actionSummary(moved),
    outcome,
    by: info.by,
    comment: info.comment,
    callbackUrl: req.callbackUrl ?? null,
  });
  return { approval: decided, action: moved };
}
