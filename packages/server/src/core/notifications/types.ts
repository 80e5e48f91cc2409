/**
 * Notification events. The core decides WHAT happened and, in the same transaction as the state
 * change, enqueues one delivery per target (a durable outbox); a dispatcher adapter sends them
 * with retries. So an accepted event is never lost with the instance that produced it.
 */
import type { NewDelivery } from '../ports/storage.js';

export interface ActionSummary {
  readonly id: string;
  readonly agent: string;
  readonly connector: string;
  readonly object: string;
  readonly operation: string;
  readonly target: string | null;
  readonly reason: string;
  readonly status: string;
  readonly summary: { readonly records: number; readonly fields: number; readonly irreversible: number } | null;
}

export interface ApprovalSummary {
  readonly id: string;
  readonly actionId: string;
  readonly status: string;
  readonly required: number;
  readonly role: string;
  readonly checklist: readonly string[];
  readonly expiresAt: string;
  readonly rules: readonly string[];
}

export type NotificationEvent =
  | {
      readonly type: 'approval.requested';
      readonly at: string;
      readonly approval: ApprovalSummary;
      readonly action: ActionSummary;
    }
  | {
      readonly type: 'approval.decided';
      readonly at: string;
      readonly approval: ApprovalSummary;
      readonly action: ActionSummary;
      /** approved | rejected | revise | expired | void */
      readonly outcome: string;
      /** person ids whose votes decided it (empty for expiry) */
      readonly by: readonly string[];
      readonly comment: string | null;
      /** n8n resume URL / Zapier catch hook given by the agent with the action. */
      readonly callbackUrl: string | null;
    }
  | {
      readonly type: 'approval.escalated';
      readonly at: string;
      readonly approval: ApprovalSummary;
      readonly action: ActionSummary;
      readonly level: number;
      /** The role or person this rung notifies. */
      readonly notify: { readonly role: string } | { readonly person: string };
    }
  | { readonly type: 'action.executed'; readonly at: string; readonly action: ActionSummary }
  | {
      readonly type: 'breaker.tripped';
      readonly at: string;
      readonly breaker: { readonly id: string; readonly scope: string; readonly reason: unknown };
    };

export type NotificationEventType = NotificationEvent['type'];

/** Turns an event into deliveries (one per configured target). Pure: config in, rows out. */
export interface Notifier {
  deliveriesFor(event: NotificationEvent, ids: () => string): NewDelivery[];
}
