/**
 * Slack deliveries against a fake Slack Web API: a request posts an interactive message, the
 * decision edits that same message (buttons gone, outcome shown).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDispatcher } from '../../src/adapters/notifiers/index.js';
import type { NotificationConfig } from '../../src/config/types.js';
import type { NotificationEvent } from '../../src/core/notifications/types.js';
import type { Storage } from '../../src/core/ports/storage.js';
import { startFakeServer, type FakeServer, type Received } from './fake-server.js';
import { action, approval, decided, enqueue, outbox, people, PUBLIC_URL, requested } from './helpers.js';

const TOKEN = 'xoxb-test-token';

interface Element {
  type: string;
  action_id?: string;
  url?: string;
  options?: { value: string; text: { text: string } }[];
  [key: string]: unknown;
}

interface Block {
  type: string;
  block_id?: string;
  text?: { text: string };
  fields?: { text: string }[];
  elements?: Element[];
}

describe('Slack deliveries', () => {
  let slack: FakeServer;
  let storage: Storage;
  let clock: Awaited<ReturnType<typeof outbox>>['clock'];
  let targets: NotificationConfig[];
  let posted: number;

  beforeAll(async () => {
    slack = await startFakeServer();
  });
  afterAll(async () => {
    await slack.close();
  });
  beforeEach(async () => {
    ({ storage, clock } = await outbox());
    slack.received.length = 0;
    posted = 0;
    slack.answer((req) => {
      if (req.headers.authorization !== `Bearer ${TOKEN}`)
        return { status: 200, body: { ok: false, error: 'invalid_auth' } };
      if (req.path === '/api/chat.postMessage') {
        posted++;
        return { status: 200, body: { ok: true, channel: 'C0123', ts: `1767603600.00010${posted}` } };
      }
      if (req.path === '/api/chat.update') {
        const b = JSON.parse(req.body);
        return { status: 200, body: { ok: true, channel: b.channel, ts: b.ts } };
      }
      return { status: 404, body: 'unknown method' };
    });
    targets = [
      {
        type: 'slack',
        bot_token: TOKEN,
        signing_secret: 's',
        channel: '#revops',
        api_base_url: `${slack.url}/api/`,
      },
    ];
  });
  afterEach(async () => {
    await storage.close();
  });

  const config = () => ({
    notifications: targets,
    people,
    server: { public_url: PUBLIC_URL },
    checklists: { 'brand-tone': 'Tone of voice' },
  });
  const dispatcher = () =>
    createDispatcher({ storage, clock, notifications: targets, instanceId: 'test', random: () => 0, timeoutMs: 2_000 });
  const calls = (method: string): Received[] => slack.received.filter((r) => r.path === `/api/${method}`);
  const body = (r: Received | undefined) =>
    JSON.parse(r!.body) as { channel: string; ts?: string; text: string; blocks: Block[] };
  const buttons = (blocks: Block[]) =>
    blocks.flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : [])).filter((e) => e.type === 'button');
  const allText = (blocks: Block[]) => JSON.stringify(blocks);

  it('posts the request with checklist, Approve (confirmed) and Reject buttons and a review link', async () => {
    const [id] = await enqueue(storage, config(), requested());
    expect(await dispatcher().runOnce()).toBe(1);

    const [post] = calls('chat.postMessage');
    expect(post?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const msg = body(post);
    expect(msg.channel).toBe('#revops');
    expect(msg.text).toContain('campaign-launcher');

    const [approve, reject, review] = buttons(msg.blocks);
    expect(approve).toMatchObject({
      action_id: 'gatehouse.approve',
      style: 'primary',
      value: 'apr_1',
      confirm: { confirm: { text: 'Approve' }, deny: { text: 'Cancel' } },
    });
    expect(reject).toMatchObject({ action_id: 'gatehouse.reject', style: 'danger', value: 'apr_1' });
    expect(reject).not.toHaveProperty('url');
    expect(review).toMatchObject({ url: `${PUBLIC_URL}/approvals/apr_1`, text: { text: 'Review in Gatehouse' } });

    const checkboxes = msg.blocks.flatMap((b) => b.elements ?? []).find((e) => e.type === 'checkboxes');
    expect(checkboxes?.action_id).toBe('gatehouse.checklist');
    expect(checkboxes?.options?.map((o) => [o.value, o.text.text])).toEqual([
      ['brand-tone', 'Tone of voice'],
      ['unsubscribe-link', 'unsubscribe-link'],
    ]);

    const text = allText(msg.blocks);
    expect(text).toContain('1 irreversible');
    expect(text).toContain('launches-need-approval');
    // The agent's reason cannot ping the channel.
    expect(text).toContain('&lt;!channel&gt; &amp; friends');
    expect(text).not.toContain('<!channel>');

    expect(await storage.deliveries.get(id!)).toMatchObject({
      status: 'delivered',
      lastResponse: { ok: true, channel: 'C0123', ts: '1767603600.000101' },
    });
  });

  it('edits the original message when the approval is decided: outcome shown, buttons gone', async () => {
    await enqueue(storage, config(), requested());
    const d = dispatcher();
    await d.runOnce();
    clock.advance(60_000);
    const [decidedId] = await enqueue(storage, config(), decided(clock.now().toISOString()));
    await d.runOnce();

    expect(calls('chat.postMessage')).toHaveLength(1);
    const [update] = calls('chat.update');
    const msg = body(update);
    expect(msg).toMatchObject({ channel: 'C0123', ts: '1767603600.000101' });
    expect(buttons(msg.blocks).map((b) => b.action_id)).toEqual(['gatehouse.open']);
    expect(allText(msg.blocks)).not.toContain('checkboxes');
    expect(allText(msg.blocks)).toContain('*Approved* by kim');
    expect(allText(msg.blocks)).toContain('Looks good');
    expect(await storage.deliveries.get(decidedId!)).toMatchObject({
      status: 'delivered',
      lastResponse: { ok: true, updated: ['1767603600.000101'] },
    });
  });

  it('updates every message posted for the approval, escalations included, and mentions the rung', async () => {
    await enqueue(storage, config(), requested());
    const escalated: NotificationEvent = {
      type: 'approval.escalated',
      at: '2026-01-05T13:00:00.000Z',
      approval,
      action,
      level: 1,
      notify: { role: 'admin' },
    };
    const d = dispatcher();
    await d.runOnce();
    await enqueue(storage, config(), escalated);
    clock.advance(4 * 3_600_000);
    await d.runOnce();
    const escalation = body(calls('chat.postMessage')[1]);
    expect(allText(escalation.blocks)).toContain('<@U_KIM>');
    expect(buttons(escalation.blocks).map((b) => b.action_id)).toContain('gatehouse.approve');

    await enqueue(storage, config(), decided(clock.now().toISOString()));
    await d.runOnce();
    expect(
      calls('chat.update')
        .map((u) => body(u).ts)
        .sort(),
    ).toEqual(['1767603600.000101', '1767603600.000102']);
  });

  it('waits for the request message before editing it, when both are due together', async () => {
    // The request failed once (rate limited); the decision arrives while it waits to be retried.
    let first = true;
    slack.answer((req, n) => {
      if (req.path === '/api/chat.postMessage' && first) {
        first = false;
        return { status: 200, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': '30' } };
      }
      return req.path === '/api/chat.postMessage'
        ? { status: 200, body: { ok: true, channel: 'C0123', ts: `1767603600.00020${n}` } }
        : { status: 200, body: { ok: true } };
    });
    const [reqId] = await enqueue(storage, config(), requested());
    const d = dispatcher();
    await d.runOnce();
    expect(await storage.deliveries.get(reqId!)).toMatchObject({
      status: 'pending',
      lastError: 'chat.postMessage: ratelimited',
      nextAttemptAt: '2026-01-05T09:00:30.000Z',
    });
    const [decId] = await enqueue(storage, config(), decided(clock.now().toISOString()));
    await d.runOnce();
    expect(await storage.deliveries.get(decId!)).toMatchObject({
      status: 'pending',
      lastError: expect.stringContaining('waiting'),
    });

    clock.advance(30_000);
    await d.runOnce();
    // Same round: the request is posted first, then the decision edits that very message.
    const postedTs = ((await storage.deliveries.get(reqId!))?.lastResponse as { ts: string }).ts;
    expect(calls('chat.update').map((u) => body(u).ts)).toEqual([postedTs]);
    expect(await storage.deliveries.get(decId!)).toMatchObject({ status: 'delivered' });
  });

  it('posts the outcome on its own when the request message was never posted', async () => {
    const [decId] = await enqueue(storage, config(), decided('2026-01-05T09:00:00.000Z'));
    await dispatcher().runOnce();
    expect(calls('chat.update')).toHaveLength(0);
    const msg = body(calls('chat.postMessage')[0]);
    expect(allText(msg.blocks)).toContain('*Approved* by kim');
    expect(buttons(msg.blocks).map((b) => b.action_id)).toEqual(['gatehouse.open']);
    expect(await storage.deliveries.get(decId!)).toMatchObject({ status: 'delivered' });
  });

  it('retries Slack errors until the attempt limit (ok: false answers with HTTP 200)', async () => {
    targets = [{ ...(targets[0] as Extract<NotificationConfig, { type: 'slack' }>), bot_token: 'xoxb-wrong' }];
    const [id] = await enqueue(storage, config(), requested());
    const d = createDispatcher({
      storage,
      clock,
      notifications: targets,
      instanceId: 't',
      random: () => 0,
      maxAttempts: 2,
    });
    await d.runOnce();
    expect(await storage.deliveries.get(id!)).toMatchObject({
      status: 'pending',
      lastError: 'chat.postMessage: invalid_auth',
    });
    clock.advance(3_600_000);
    await d.runOnce();
    expect(await storage.deliveries.get(id!)).toMatchObject({
      status: 'gave_up',
      lastError: 'chat.postMessage: invalid_auth (gave up after 2 attempts)',
    });
  });

  it('posts breaker trips', async () => {
    await enqueue(storage, config(), {
      type: 'breaker.tripped',
      at: '2026-01-05T09:00:00.000Z',
      breaker: { id: 'ctr-drop', scope: 'agents: subject-optimizer', reason: { metric: 'email.ctr', drop_pct: 45 } },
    });
    await dispatcher().runOnce();
    const msg = body(calls('chat.postMessage')[0]);
    expect(msg.text).toContain('ctr-drop');
    expect(allText(msg.blocks)).toContain('drop_pct');
  });
});
