/**
 * Which targets hear about an event, and what they receive. Pure: config in, outbox rows out; the
 * dispatcher adapter sends them later (and formats Slack messages itself).
 *
 * Payloads are the public webhook format (snake_case, like the rest of the wire): `type`, `id`
 * (the delivery id, stable across retries: receivers dedupe on it), `at`, the event's fields and
 * `links`. Links open dashboard pages and never decide anything: a link preview or a mail
 * scanner that "clicks" must not approve (n8n #27870).
 *
 * The callback URL an agent gave with its action (n8n resume URL, Zapier catch hook) is a bearer
 * capability, so it only ever receives its own `callback` delivery; it is not broadcast.
 */
import type { NewDelivery } from '../ports/storage.js';
import type { ActionSummary, ApprovalSummary, NotificationEvent, NotificationEventType, Notifier } from './types.js';

/** The slice of the compiled config the notifier reads; `CompiledConfig` satisfies it. */
export interface NotifierConfig {
  readonly notifications: readonly (
    | { readonly type: 'webhook'; readonly url: string; readonly events?: readonly string[] }
    | { readonly type: 'slack'; readonly channel: string }
  )[];
  readonly people: readonly {
    readonly id: string;
    readonly roles: readonly string[];
    readonly slack_user_id?: string;
  }[];
  readonly server: { readonly public_url: string };
  /** Checklist item id → what the approver confirms (shown next to each item). */
  readonly checklists?: Readonly<Record<string, string>>;
}

/** What Slack posts about: the rest (action.executed) would only be noise in a channel. */
export const SLACK_EVENTS: readonly NotificationEventType[] = [
  'approval.requested',
  'approval.decided',
  'approval.escalated',
  'breaker.tripped',
];

/** The body POSTed to an agent's callback URL when its approval ends. */
export interface CallbackPayload {
  readonly approval_id: string;
  readonly action_id: string;
  /** approved | rejected | revise | expired | void */
  readonly decision: string;
  readonly comment: string | null;
  readonly decided_by: readonly string[];
  readonly decided_at: string;
}

const isHttpUrl = (url: string): boolean => {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
};

/** `events` entries match exactly, or by prefix when they end in `*` (`approval.*`). */
export function webhookWants(events: readonly string[] | undefined, type: string): boolean {
  if (events === undefined) return true;
  return events.some((e) => (e.endsWith('*') ? type.startsWith(e.slice(0, -1)) : e === type));
}

export function createNotifier(config: NotifierConfig): Notifier {
  const base = config.server.public_url.replace(/\/+$/, '');
  const checklists = config.checklists ?? {};

  const approvalWire = (a: ApprovalSummary) => ({
    id: a.id,
    action_id: a.actionId,
    status: a.status,
    required: a.required,
    role: a.role,
    checklist: a.checklist.map((id) => ({ id, description: checklists[id] ?? id })),
    expires_at: a.expiresAt,
    rules: [...a.rules],
  });

  const actionWire = (a: ActionSummary) => ({
    id: a.id,
    agent: a.agent,
    connector: a.connector,
    object: a.object,
    operation: a.operation,
    target: a.target,
    reason: a.reason,
    status: a.status,
    summary: a.summary ? { ...a.summary } : null,
  });

  /** The event's own fields, in wire form (without type/id/at/links). */
  function body(event: NotificationEvent): Record<string, unknown> {
    switch (event.type) {
      case 'approval.requested':
        return { approval: approvalWire(event.approval), action: actionWire(event.action) };
      case 'approval.decided':
        return {
          approval: approvalWire(event.approval),
          action: actionWire(event.action),
          outcome: event.outcome,
          decided_by: [...event.by],
          comment: event.comment,
        };
      case 'approval.escalated':
        return {
          approval: approvalWire(event.approval),
          action: actionWire(event.action),
          level: event.level,
          notify: { ...event.notify },
        };
      case 'action.executed':
        return { action: actionWire(event.action) };
      case 'breaker.tripped':
        return { breaker: { id: event.breaker.id, scope: event.breaker.scope, reason: event.breaker.reason } };
    }
  }

  function subject(event: NotificationEvent): string {
    switch (event.type) {
      case 'approval.requested':
      case 'approval.decided':
      case 'approval.escalated':
        return event.approval.id;
      case 'action.executed':
        return event.action.id;
      case 'breaker.tripped':
        return event.breaker.id;
    }
  }

  function links(event: NotificationEvent): Record<string, string> {
    const l: Record<string, string> = { dashboard: `${base}/` };
    if ('approval' in event) l.approval = `${base}/approvals/${encodeURIComponent(event.approval.id)}`;
    return l;
  }

  /** Slack user ids to mention: whoever an escalation rung names, when linked to Slack. */
  function mentions(event: NotificationEvent): string[] {
    if (event.type !== 'approval.escalated') return [];
    const n = event.notify;
    const who = config.people.filter((p) => ('person' in n ? p.id === n.person : p.roles.includes(n.role)));
    return who.flatMap((p) => (p.slack_user_id ? [p.slack_user_id] : []));
  }

  return {
    deliveriesFor(event, ids) {
      const rows: NewDelivery[] = [];
      const common = { event: event.type, subject: subject(event), createdAt: event.at };
      const payload = (id: string, extra: Record<string, unknown> = {}) => ({
        type: event.type,
        id,
        at: event.at,
        ...body(event),
        links: links(event),
        ...extra,
      });
      // One delivery per URL / channel: the dispatcher finds its secret or token by the target.
      const seen = new Set<string>();
      for (const target of config.notifications) {
        if (target.type === 'webhook') {
          if (!webhookWants(target.events, event.type) || seen.has(`webhook ${target.url}`)) continue;
          seen.add(`webhook ${target.url}`);
          const id = ids();
          rows.push({ id, channel: 'webhook', target: target.url, payload: payload(id), ...common });
        } else {
          if (!SLACK_EVENTS.includes(event.type) || seen.has(`slack ${target.channel}`)) continue;
          seen.add(`slack ${target.channel}`);
          const id = ids();
          rows.push({
            id,
            channel: 'slack',
            target: target.channel,
            payload: payload(id, { mentions: mentions(event) }),
            ...common,
          });
        }
      }
      if (event.type === 'approval.decided' && event.callbackUrl !== null && isHttpUrl(event.callbackUrl)) {
        const decision: CallbackPayload = {
          approval_id: event.approval.id,
          action_id: event.action.id,
          decision: event.outcome,
          comment: event.comment,
          decided_by: [...event.by],
          decided_at: event.at,
        };
        rows.push({ id: ids(), channel: 'callback', target: event.callbackUrl, payload: decision, ...common });
      }
      return rows;
    },
  };
}
