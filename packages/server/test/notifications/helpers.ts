/** Shared fixtures: a real (in-memory SQLite) outbox, a manual clock and sample events. */
import { openStorage } from '../../src/adapters/storage/index.js';
import { createManualClock } from '../../src/core/clock.js';
import { createNotifier, type NotifierConfig } from '../../src/core/notifications/notifier.js';
import type { ActionSummary, ApprovalSummary, NotificationEvent } from '../../src/core/notifications/types.js';
import type { Storage } from '../../src/core/ports/storage.js';

export const START = '2026-01-05T09:00:00.000Z';
export const PUBLIC_URL = 'https://gatehouse.example.com';

export async function outbox(): Promise<{ storage: Storage; clock: ReturnType<typeof createManualClock> }> {
  const storage = await openStorage('sqlite::memory:');
  await storage.migrate();
  return { storage, clock: createManualClock(START) };
}

export const approval: ApprovalSummary = {
  id: 'apr_1',
  actionId: 'act_1',
  status: 'pending',
  required: 1,
  role: 'approver',
  checklist: ['brand-tone', 'unsubscribe-link'],
  expiresAt: '2026-01-06T09:00:00.000Z',
  rules: ['launches-need-approval'],
};

export const action: ActionSummary = {
  id: 'act_1',
  agent: 'campaign-launcher',
  connector: 'crm',
  object: 'campaigns',
  operation: 'launch',
  target: 'cmp_9',
  reason: 'Spring promo to <!channel> & friends',
  status: 'pending_approval',
  summary: { records: 1, fields: 2, irreversible: 1 },
};

export const requested = (at = START): NotificationEvent => ({ type: 'approval.requested', at, approval, action });

export const decided = (at: string, callbackUrl: string | null = null): NotificationEvent => ({
  type: 'approval.decided',
  at,
  approval: { ...approval, status: 'approved' },
  action: { ...action, status: 'approved', summary: null },
  outcome: 'approved',
  by: ['kim'],
  comment: 'Looks good',
  callbackUrl,
});

let seq = 0;
/** Runs the real notifier and enqueues its rows, as the core does inside its transaction. */
export async function enqueue(storage: Storage, config: NotifierConfig, event: NotificationEvent): Promise<string[]> {
  const rows = createNotifier(config).deliveriesFor(event, () => `dlv_${String(++seq).padStart(4, '0')}`);
  await storage.deliveries.enqueue(rows);
  return rows.map((r) => r.id);
}

export const people: NotifierConfig['people'] = [
  { id: 'kim', roles: ['admin', 'approver'], slack_user_id: 'U_KIM' },
  { id: 'ana', roles: ['approver'] },
];
