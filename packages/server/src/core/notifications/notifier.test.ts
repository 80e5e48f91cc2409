import { describe, expect, it } from 'vitest';
import { createNotifier, type NotifierConfig } from './notifier.js';
import type { ActionSummary, ApprovalSummary, NotificationEvent } from './types.js';

const approval: ApprovalSummary = {
  id: 'apr_1',
  actionId: 'act_1',
  status: 'pending',
  required: 1,
  role: 'approver',
  checklist: ['brand-tone', 'unsubscribe-link'],
  expiresAt: '2026-01-06T09:00:00.000Z',
  rules: ['launches-need-approval'],
};
const action: ActionSummary = {
  id: 'act_1',
  agent: 'campaign-launcher',
  connector: 'crm',
  object: 'campaigns',
  operation: 'launch',
  target: 'cmp_9',
  reason: 'Spring promo',
  status: 'pending_approval',
  summary: { records: 1, fields: 1, irreversible: 1 },
};
const AT = '2026-01-05T09:00:00.000Z';

const requested: NotificationEvent = { type: 'approval.requested', at: AT, approval, action };
const decided = (callbackUrl: string | null): NotificationEvent => ({
  type: 'approval.decided',
  at: AT,
  approval: { ...approval, status: 'approved' },
  action: { ...action, status: 'approved', summary: null },
  outcome: 'approved',
  by: ['kim'],
  comment: 'ok',
  callbackUrl,
});
const executed: NotificationEvent = { type: 'action.executed', at: AT, action: { ...action, status: 'executed' } };

const config = (notifications: NotifierConfig['notifications']): NotifierConfig => ({
  notifications,
  people: [
    { id: 'kim', roles: ['admin', 'approver'], slack_user_id: 'U_KIM' },
    { id: 'lee', roles: ['admin'] },
    { id: 'ana', roles: ['approver'], slack_user_id: 'U_ANA' },
  ],
  server: { public_url: 'https://gh.example.com/' },
  checklists: { 'brand-tone': 'Matches our tone of voice' },
});

const counter = () => {
  let n = 0;
  return () => `dlv_${++n}`;
};

describe('createNotifier', () => {
  it('sends webhooks every event unless they list events, and Slack only approvals and breakers', () => {
    const n = createNotifier(
      config([
        { type: 'webhook', url: 'https://a.example/hook' },
        { type: 'webhook', url: 'https://b.example/hook', events: ['approval.*'] },
        { type: 'slack', channel: 'C1' },
      ]),
    );
    const targets = (e: NotificationEvent) => n.deliveriesFor(e, counter()).map((r) => `${r.channel} ${r.target}`);
    expect(targets(requested)).toEqual([
      'webhook https://a.example/hook',
      'webhook https://b.example/hook',
      'slack C1',
    ]);
    expect(targets(executed)).toEqual(['webhook https://a.example/hook']);
    const breaker: NotificationEvent = {
      type: 'breaker.tripped',
      at: AT,
      breaker: { id: 'ctr-drop', scope: 'agent:x', reason: 'ctr -45%' },
    };
    expect(targets(breaker)).toEqual(['webhook https://a.example/hook', 'slack C1']);
  });

  it('builds the public payload: delivery id, snake_case fields, a dashboard link that never decides', () => {
    const [row] = createNotifier(config([{ type: 'webhook', url: 'https://a.example/hook' }])).deliveriesFor(
      requested,
      counter(),
    );
    expect(row).toMatchObject({
      id: 'dlv_1',
      channel: 'webhook',
      event: 'approval.requested',
      subject: 'apr_1',
      createdAt: AT,
    });
    expect(row?.payload).toEqual({
      type: 'approval.requested',
      id: 'dlv_1',
      at: AT,
      approval: {
        id: 'apr_1',
        action_id: 'act_1',
        status: 'pending',
        required: 1,
        role: 'approver',
        checklist: [
          { id: 'brand-tone', description: 'Matches our tone of voice' },
          { id: 'unsubscribe-link', description: 'unsubscribe-link' },
        ],
        expires_at: '2026-01-06T09:00:00.000Z',
        rules: ['launches-need-approval'],
      },
      action: {
        id: 'act_1',
        agent: 'campaign-launcher',
        connector: 'crm',
        object: 'campaigns',
        operation: 'launch',
        target: 'cmp_9',
        reason: 'Spring promo',
        status: 'pending_approval',
        summary: { records: 1, fields: 1, irreversible: 1 },
      },
      links: { dashboard: 'https://gh.example.com/', approval: 'https://gh.example.com/approvals/apr_1' },
    });
  });

  it('sends the decision to the callback URL only, never broadcasting the capability URL', () => {
    const rows = createNotifier(config([{ type: 'webhook', url: 'https://a.example/hook' }])).deliveriesFor(
      decided('https://n8n.example/webhook-waiting/42'),
      counter(),
    );
    expect(rows.map((r) => r.channel)).toEqual(['webhook', 'callback']);
    expect(JSON.stringify(rows[0]?.payload)).not.toContain('webhook-waiting');
    expect(rows[1]).toMatchObject({ target: 'https://n8n.example/webhook-waiting/42', event: 'approval.decided' });
    expect(rows[1]?.payload).toEqual({
      approval_id: 'apr_1',
      action_id: 'act_1',
      decision: 'approved',
      comment: 'ok',
      decided_by: ['kim'],
      decided_at: AT,
    });
  });

  it('ignores callback URLs that are not http(s)', () => {
    const n = createNotifier(config([]));
    expect(n.deliveriesFor(decided('file:///etc/passwd'), counter())).toEqual([]);
    expect(n.deliveriesFor(decided(null), counter())).toEqual([]);
  });

  it('mentions the people an escalation rung names, when they are linked to Slack', () => {
    const n = createNotifier(config([{ type: 'slack', channel: 'C1' }]));
    const escalated = (notify: { role: string } | { person: string }): NotificationEvent => ({
      type: 'approval.escalated',
      at: AT,
      approval,
      action,
      level: 1,
      notify,
    });
    const mentions = (e: NotificationEvent) =>
      (n.deliveriesFor(e, counter())[0]?.payload as { mentions: string[] }).mentions;
    expect(mentions(escalated({ role: 'admin' }))).toEqual(['U_KIM']);
    expect(mentions(escalated({ person: 'ana' }))).toEqual(['U_ANA']);
    expect(mentions(escalated({ person: 'lee' }))).toEqual([]);
  });

  it('sends one delivery per URL or channel even when a target is listed twice', () => {
    const n = createNotifier(
      config([
        { type: 'webhook', url: 'https://a.example/hook' },
        { type: 'webhook', url: 'https://a.example/hook', events: ['approval.requested'] },
        { type: 'slack', channel: 'C1' },
        { type: 'slack', channel: 'C1' },
      ]),
    );
    expect(n.deliveriesFor(requested, counter())).toHaveLength(2);
  });
});
