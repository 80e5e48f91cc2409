/** Building event summaries and enqueueing them inside the caller's transaction (outbox). */
import type { ActionRow, ApprovalRow, Repos } from '../ports/storage.js';
import type { ActionSummary, ApprovalSummary, NotificationEvent, Notifier } from './types.js';

interface StoredRequest {
  target?: string;
  reason?: string;
}

export function actionSummary(
  a: ActionRow,
  summary?: { records: number; fields: number; irreversible: number } | null,
): ActionSummary {
  const req = a.request as StoredRequest;
  return {
    id: a.id,
    agent: a.agentId,
    connector: a.connector,
    object: a.object,
    operation: a.operation,
    target: req.target ?? null,
    reason: req.reason ?? '',
    status: a.status,
    summary: summary ? { records: summary.records, fields: summary.fields, irreversible: summary.irreversible } : null,
  };
}

export function approvalSummary(a: ApprovalRow, rules: readonly string[] = []): ApprovalSummary {
  return {
    id: a.id,
    actionId: a.actionId,
    status: a.status,
    required: a.required,
    role: a.role,
    checklist: Array.isArray(a.checklist) ? (a.checklist as string[]) : [],
    expiresAt: a.expiresAt,
    rules,
  };
}

/** Enqueues one delivery per configured target for the event, in `tx`'s transaction. */
export async function enqueueEvent(
  tx: Pick<Repos, 'deliveries'>,
  notifier: Notifier | undefined,
  newId: (prefix: string) => string,
  event: NotificationEvent,
): Promise<void> {
  if (!notifier) return;
  const rows = notifier.deliveriesFor(event, () => newId('dlv'));
  if (rows.length > 0) await tx.deliveries.enqueue(rows);
}
