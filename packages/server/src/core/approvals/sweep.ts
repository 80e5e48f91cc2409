/**
 * Time-driven approval work, run on a timer by every instance (claims and compare-and-set make
 * it safe to run everywhere at once) and at start-up, so a pending approval still expires on
 * time after a restart: deadlines live in the database, not in process timers.
 *
 * - expiry: a pending approval past `expiresAt` becomes `expired`, its action `expired` — a
 *   rejection, the safe default;
 * - escalation: each rung of the ladder notifies its role or person after its delay;
 * - approved actions waiting to run (decided from the CLI or Slack, or interrupted by a crash)
 *   are claimed and executed by exactly one instance.
 */
import { actionSummary, approvalSummary, enqueueEvent } from '../notifications/events.js';
import { appendAudit } from '../pipeline/record.js';
import type { PipelineDeps, StoredDecision } from '../pipeline/types.js';
import { executeApproved } from './decide.js';
import { finalizeApproval } from './finalize.js';

export interface SweepReport {
  expired: number;
  escalated: number;
  executed: number;
}

export async function sweepApprovals(deps: PipelineDeps, opts: { limit?: number } = {}): Promise<SweepReport> {
  const report: SweepReport = { expired: 0, escalated: 0, executed: 0 };
  const now = deps.clock.now();
  const due = await deps.storage.approvals.listDue(now.toISOString(), opts.limit ?? 100);
  for (const approval of due) {
    const action = await deps.storage.actions.get(approval.actionId);
    if (!action) continue;
    if (new Date(approval.expiresAt) <= now) {
      if (
        await finalizeApproval(deps, approval, action, 'expired', {
          by: [],
          comment: null,
          actor: 'system',
          reason: `expired at ${approval.expiresAt}`,
        })
      )
        report.expired++;
      continue;
    }
    const ladder = deps.escalation ?? [];
    const rung = ladder[approval.escalationLevel];
    if (!rung || !approval.nextEscalationAt || new Date(approval.nextEscalationAt) > now) continue;
    const next = ladder[approval.escalationLevel + 1];
    const at = now.toISOString();
    const escalated = await deps.storage.transaction(async (tx) => {
      const row = await tx.approvals.update(
        approval.id,
        {
          escalationLevel: approval.escalationLevel + 1,
          nextEscalationAt: next ? new Date(new Date(approval.createdAt).getTime() + next.afterMs).toISOString() : null,
        },
        { status: 'pending', version: approval.version },
      );
      if (!row) return false;
      await appendAudit(tx, [
        {
          at,
          type: 'approval.escalated',
          actor: 'system',
          subject: approval.id,
          data: { approval_id: approval.id, action_id: action.id, level: row.escalationLevel, notify: rung.notify },
        },
      ]);
      await enqueueEvent(tx, deps.notifier, deps.newId, {
        type: 'approval.escalated',
        at,
        approval: approvalSummary(row, (action.decision as StoredDecision | null)?.rules ?? []),
        action: actionSummary(action),
        level: row.escalationLevel,
        notify: rung.notify,
      });
      return true;
    });
    if (escalated) report.escalated++;
  }
  const approved = await deps.storage.actions.listByStatus(['approved'], { limit: opts.limit ?? 100 });
  for (const action of approved) {
    const agent = deps.agents.get(action.agentId);
    if (!agent) continue;
    const after = await executeApproved(deps, agent, action);
    if (after.status === 'executed') report.executed++;
  }
  return report;
}
