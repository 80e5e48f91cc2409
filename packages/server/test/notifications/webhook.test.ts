/**
 * Signed webhooks through the real outbox (SQLite) to a loopback receiver that verifies the
 * signature the way docs/notifications.md tells users to.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDispatcher, verifyWebhookSignature } from '../../src/adapters/notifiers/index.js';
import type { NotificationConfig } from '../../src/config/types.js';
import type { Storage } from '../../src/core/ports/storage.js';
import { startFakeServer, type FakeServer } from './fake-server.js';
import { enqueue, outbox, people, PUBLIC_URL, requested } from './helpers.js';

const SECRET = 'whsec-test';

describe('webhook deliveries', () => {
  let receiver: FakeServer;
  let storage: Storage;
  let clock: Awaited<ReturnType<typeof outbox>>['clock'];
  let targets: NotificationConfig[];

  beforeAll(async () => {
    receiver = await startFakeServer();
  });
  afterAll(async () => {
    await receiver.close();
  });
  beforeEach(async () => {
    ({ storage, clock } = await outbox());
    receiver.received.length = 0;
    receiver.answer(() => ({ status: 200 }));
    targets = [{ type: 'webhook', url: `${receiver.url}/hooks/gatehouse`, secret: SECRET }];
  });
  afterEach(async () => {
    await storage.close();
  });

  const config = () => ({ notifications: targets, people, server: { public_url: PUBLIC_URL } });
  const dispatcher = (extra: { maxAttempts?: number } = {}) =>
    createDispatcher({
      storage,
      clock,
      notifications: targets,
      instanceId: 'test',
      random: () => 0,
      timeoutMs: 2_000,
      ...extra,
    });

  /** What a receiver following our docs concludes about a request. */
  const verify = (i: number) => {
    const r = receiver.received[i]!;
    return verifyWebhookSignature({
      secret: SECRET,
      timestamp: r.headers['x-gatehouse-timestamp'] as string,
      signature: r.headers['x-gatehouse-signature'] as string,
      body: r.body,
      now: clock.now(),
    });
  };

  it('retries after a 500, then delivers; every attempt is signed and carries the same delivery id', async () => {
    receiver.answer((_r, n) => (n === 1 ? { status: 500, body: 'boom' } : { status: 204 }));
    const [id] = await enqueue(storage, config(), requested());
    const d = dispatcher();

    expect(await d.runOnce()).toBe(1);
    let row = await storage.deliveries.get(id!);
    expect(row).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: 'HTTP 500',
      lastResponse: { status: 500, body: 'boom' },
    });
    // Backoff: base 10 s with equal jitter at random() = 0 is 5 s.
    expect(row?.nextAttemptAt).toBe('2026-01-05T09:00:05.000Z');
    expect(await d.runOnce()).toBe(0);

    clock.advance(5_000);
    expect(await d.runOnce()).toBe(1);
    row = await storage.deliveries.get(id!);
    expect(row).toMatchObject({ status: 'delivered', attempts: 2, deliveredAt: '2026-01-05T09:00:05.000Z' });

    expect(receiver.received).toHaveLength(2);
    expect(verify(1)).toEqual({ ok: true });
    const [first, second] = receiver.received;
    expect(second?.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'Gatehouse-Webhooks/1',
      'x-gatehouse-event': 'approval.requested',
      'x-gatehouse-delivery': id,
    });
    expect(first?.headers['x-gatehouse-delivery']).toBe(id);
    expect(Number(second?.headers['x-gatehouse-timestamp'])).toBe(Date.parse('2026-01-05T09:00:05Z') / 1000);
    expect(JSON.parse(second!.body)).toMatchObject({
      type: 'approval.requested',
      id,
      approval: { id: 'apr_1' },
      links: { approval: `${PUBLIC_URL}/approvals/apr_1` },
    });
  });

  it('a receiver detects a body altered in transit, or a signature made with another secret', async () => {
    await enqueue(storage, config(), requested());
    await dispatcher().runOnce();
    const r = receiver.received[0]!;
    const base = {
      timestamp: r.headers['x-gatehouse-timestamp'] as string,
      signature: r.headers['x-gatehouse-signature'] as string,
      now: clock.now(),
    };
    expect(verifyWebhookSignature({ ...base, secret: SECRET, body: r.body })).toEqual({ ok: true });
    expect(verifyWebhookSignature({ ...base, secret: SECRET, body: r.body.replace('apr_1', 'apr_2') })).toMatchObject({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifyWebhookSignature({ ...base, secret: 'other', body: r.body })).toMatchObject({
      ok: false,
      reason: 'mismatch',
    });
    expect(
      verifyWebhookSignature({ ...base, secret: SECRET, body: r.body, now: new Date(clock.now().getTime() + 301_000) }),
    ).toMatchObject({
      ok: false,
      reason: 'stale',
    });
  });

  it('honours Retry-After on 429', async () => {
    receiver.answer(() => ({ status: 429, headers: { 'retry-after': '120' } }));
    const [id] = await enqueue(storage, config(), requested());
    await dispatcher().runOnce();
    expect(await storage.deliveries.get(id!)).toMatchObject({
      status: 'pending',
      nextAttemptAt: '2026-01-05T09:02:00.000Z',
    });
  });

  it.each([
    [410, 'HTTP 410: the receiver is gone'],
    [400, 'HTTP 400: the receiver refused the request'],
    [302, 'HTTP 302: redirects are not followed; configure the final URL'],
  ])('gives up at once on %i', async (status, error) => {
    const headers: Record<string, string> = status === 302 ? { location: 'http://127.0.0.1:1/' } : {};
    receiver.answer(() => ({ status, headers }));
    const [id] = await enqueue(storage, config(), requested());
    const d = dispatcher();
    await d.runOnce();
    expect(await storage.deliveries.get(id!)).toMatchObject({ status: 'gave_up', attempts: 1, lastError: error });
    clock.advance(86_400_000);
    expect(await d.runOnce()).toBe(0);
    expect(receiver.received).toHaveLength(1);
  });

  it('retries 408 and network errors, and gives up after the attempt limit', async () => {
    receiver.answer(() => ({ status: 408 }));
    targets.push({ type: 'webhook', url: 'http://127.0.0.1:1/closed-port', secret: 'x' });
    const ids = await enqueue(storage, config(), requested());
    const d = dispatcher({ maxAttempts: 3 });
    for (let i = 0; i < 3; i++) {
      expect(await d.runOnce()).toBe(2);
      clock.advance(3_600_000);
    }
    expect(await d.runOnce()).toBe(0);
    const [http408, refused] = await Promise.all(ids.map((id) => storage.deliveries.get(id)));
    expect(http408).toMatchObject({ status: 'gave_up', attempts: 3, lastError: 'HTTP 408 (gave up after 3 attempts)' });
    expect(refused).toMatchObject({ status: 'gave_up', attempts: 3 });
    expect(refused?.lastError).toMatch(/^request failed: .*\(gave up after 3 attempts\)$/);
  });

  it('gives up on a delivery whose URL is no longer configured, without sending it', async () => {
    const [id] = await enqueue(storage, config(), requested());
    targets = [];
    await dispatcher().runOnce();
    expect(await storage.deliveries.get(id!)).toMatchObject({
      status: 'gave_up',
      lastError: 'this webhook URL is no longer configured',
    });
    expect(receiver.received).toHaveLength(0);
  });

  it('start() sends on its own timer and stop() waits for the send in flight', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slowStorage: Storage = {
      ...storage,
      deliveries: {
        ...storage.deliveries,
        markDelivered: async (...args) => {
          await gate;
          return storage.deliveries.markDelivered(...args);
        },
      },
    };
    const [id] = await enqueue(storage, config(), requested());
    const d = createDispatcher({
      storage: slowStorage,
      clock,
      notifications: targets,
      instanceId: 't',
      intervalMs: 10,
    });
    d.start();
    await expect.poll(() => receiver.received.length).toBe(1);
    let stopped = false;
    const stopping = d.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(await storage.deliveries.get(id!)).toMatchObject({ status: 'delivered' });
  });
});
