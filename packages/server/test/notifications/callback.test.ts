/**
 * Decision callbacks against a fake n8n Wait node: the first POST to a resume URL resumes the
 * execution (200); any later POST answers 409 ("running already" / "finished already"); an
 * unknown execution answers 404.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDispatcher } from '../../src/adapters/notifiers/index.js';
import type { Storage } from '../../src/core/ports/storage.js';
import { startFakeServer, type FakeServer } from './fake-server.js';
import { decided, enqueue, outbox, people, PUBLIC_URL } from './helpers.js';

describe('n8n / Zapier decision callbacks', () => {
  let n8n: FakeServer;
  let storage: Storage;
  let clock: Awaited<ReturnType<typeof outbox>>['clock'];
  /** Executions that are waiting; a resume removes them (n8n then answers 409). */
  let waiting: Set<string>;
  let resumed: { execution: string; body: unknown }[];

  beforeAll(async () => {
    n8n = await startFakeServer();
  });
  afterAll(async () => {
    await n8n.close();
  });
  beforeEach(async () => {
    ({ storage, clock } = await outbox());
    clock.set('2026-01-05T10:00:00.000Z');
    n8n.received.length = 0;
    waiting = new Set(['41', '42']);
    resumed = [];
    n8n.answer((req) => {
      const m = /^\/webhook-waiting\/(\w+)$/.exec(req.path);
      const execution = m?.[1] ?? '';
      if (resumed.some((r) => r.execution === execution)) {
        return { status: 409, body: { message: `The execution "${execution}" is running already.` } };
      }
      if (!waiting.has(execution)) return { status: 404, body: { message: 'not found' } };
      if (execution === '41' && n8n.received.length === 1) return { status: 502, body: 'bad gateway' };
      waiting.delete(execution);
      resumed.push({ execution, body: JSON.parse(req.body) });
      return { status: 200, body: { message: 'Workflow was started' } };
    });
  });
  afterEach(async () => {
    await storage.close();
  });

  const config = { notifications: [], people, server: { public_url: PUBLIC_URL } };
  const dispatcher = () =>
    createDispatcher({ storage, clock, notifications: [], instanceId: 'test', random: () => 0, timeoutMs: 2_000 });

  it('POSTs the decision to the resume URL once, and never again after it was accepted', async () => {
    const [id] = await enqueue(storage, config, decided('2026-01-05T10:00:00.000Z', `${n8n.url}/webhook-waiting/42`));
    const d = dispatcher();
    expect(await d.runOnce()).toBe(1);
    clock.advance(86_400_000);
    expect(await d.runOnce()).toBe(0);

    expect(resumed).toEqual([
      {
        execution: '42',
        body: {
          approval_id: 'apr_1',
          action_id: 'act_1',
          decision: 'approved',
          comment: 'Looks good',
          decided_by: ['kim'],
          decided_at: '2026-01-05T10:00:00.000Z',
        },
      },
    ]);
    expect(n8n.received).toHaveLength(1);
    expect(n8n.received[0]?.headers).toMatchObject({ 'content-type': 'application/json', 'x-gatehouse-delivery': id });
    expect(await storage.deliveries.get(id!)).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('treats 409 as delivered-already when an earlier attempt resumed the flow but its outcome was lost', async () => {
    const [id] = await enqueue(storage, config, decided('2026-01-05T10:00:00.000Z', `${n8n.url}/webhook-waiting/42`));
    // An instance claims the row, resumes the flow, and dies before recording the outcome.
    const [row] = await storage.deliveries.claimDue(clock.now().toISOString(), 10, clock.now().toISOString());
    const first = await fetch(row!.target, { method: 'POST', body: JSON.stringify(row!.payload) });
    expect(first.status).toBe(200);

    // Once the claim is stale another instance sends again: n8n says it already resumed.
    clock.advance(10 * 60_000);
    expect(await dispatcher().runOnce()).toBe(1);
    const after = await storage.deliveries.get(id!);
    expect(after).toMatchObject({ status: 'delivered', attempts: 2, lastResponse: { status: 409, already: true } });
    expect(resumed).toHaveLength(1);

    clock.advance(86_400_000);
    expect(await dispatcher().runOnce()).toBe(0);
    expect(n8n.received).toHaveLength(2);
  });

  it('retries a 5xx and then resumes', async () => {
    const [id] = await enqueue(storage, config, decided('2026-01-05T10:00:00.000Z', `${n8n.url}/webhook-waiting/41`));
    const d = dispatcher();
    await d.runOnce();
    expect(await storage.deliveries.get(id!)).toMatchObject({ status: 'pending', lastError: 'HTTP 502' });
    clock.advance(5_000);
    await d.runOnce();
    expect(await storage.deliveries.get(id!)).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(resumed.map((r) => r.execution)).toEqual(['41']);
  });

  it('records a 404 (the execution is gone) as given up, without retrying', async () => {
    const [id] = await enqueue(storage, config, decided('2026-01-05T10:00:00.000Z', `${n8n.url}/webhook-waiting/999`));
    const d = dispatcher();
    await d.runOnce();
    expect(await storage.deliveries.get(id!)).toMatchObject({
      status: 'gave_up',
      attempts: 1,
      lastError: 'HTTP 404: the waiting execution no longer exists',
      lastResponse: { status: 404 },
    });
    clock.advance(86_400_000);
    expect(await d.runOnce()).toBe(0);
    expect(n8n.received).toHaveLength(1);
  });

  it('gives up on 401 (n8n refused the URL signature)', async () => {
    n8n.answer(() => ({ status: 401, body: { message: 'Invalid token' } }));
    const [id] = await enqueue(
      storage,
      config,
      decided('2026-01-05T10:00:00.000Z', `${n8n.url}/webhook-waiting/42?signature=bad`),
    );
    await dispatcher().runOnce();
    expect(await storage.deliveries.get(id!)).toMatchObject({
      status: 'gave_up',
      lastError: expect.stringContaining('401'),
    });
  });
});
