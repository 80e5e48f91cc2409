/**
 * Sends the notification outbox. Each round claims due deliveries (a row goes to exactly one
 * instance), sends them concurrently, and records the outcome: delivered, retry later with
 * exponential backoff and jitter (at least what Retry-After asked for), or gave up (a permanent
 * refusal, or the attempt limit).
 *
 * Delivery is at least once: a send whose outcome could not be recorded (crash, storage down) is
 * reclaimed after `staleAfterMs` and sent again. Receivers dedupe on `x-gatehouse-delivery`.
 */
import type { NotificationConfig } from '../../config/types.js';
import type { Clock } from '../../core/clock.js';
import type { DeliveryChannel, DeliveryRow, Storage } from '../../core/ports/storage.js';
import type { FetchLike, SendResult } from './http.js';
import { createSlackSender, type SlackTarget } from './slack.js';
import { createWebhookSender } from './webhook.js';

export interface DispatcherLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface DispatcherOptions {
  readonly storage: Pick<Storage, 'deliveries'>;
  readonly clock: Clock;
  /** The configured targets: where secrets and bot tokens come from. */
  readonly notifications: readonly NotificationConfig[];
  /** Names this instance in logs. */
  readonly instanceId: string;
  readonly fetch?: FetchLike;
  readonly logger?: DispatcherLogger;
  /** Deliveries claimed (and sent concurrently) per round; default 20. */
  readonly batchSize?: number;
  /** Attempts before giving up; default 10 (about 85 minutes of backoff). */
  readonly maxAttempts?: number;
  /** Per HTTP request; default 10 s. */
  readonly timeoutMs?: number;
  /** Between rounds when started; default 2 s. */
  readonly intervalMs?: number;
  /** First retry delay, doubled per attempt up to `backoffMaxMs`; defaults 10 s and 1 h. */
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** A `sending` row older than this is presumed abandoned and claimed again; default 5 min. */
  readonly staleAfterMs?: number;
  /** Jitter source in [0, 1); tests fix it. */
  readonly random?: () => number;
}

export interface Dispatcher {
  /** One round: claims due deliveries, sends them, records outcomes. Answers how many it claimed. */
  runOnce(): Promise<number>;
  /** Rounds every `intervalMs` on an unref'd timer (never keeps the process alive). */
  start(): void;
  /** Stops the timer and waits for the round in flight. */
  stop(): Promise<void>;
}

/** Rounds per tick while a backlog drains, so one tick stays bounded. */
const MAX_ROUNDS_PER_TICK = 10;

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0)
    throw new RangeError(`dispatcher option ${name} must be a positive number (got ${v})`);
  return v;
}

/** Equal jitter: half the exponential delay, plus up to the other half at random. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}

export function createDispatcher(opts: DispatcherOptions): Dispatcher {
  const o = Object.freeze({
    batchSize: Math.floor(positive('batchSize', opts.batchSize, 20)),
    maxAttempts: Math.floor(positive('maxAttempts', opts.maxAttempts, 10)),
    timeoutMs: positive('timeoutMs', opts.timeoutMs, 10_000),
    intervalMs: positive('intervalMs', opts.intervalMs, 2_000),
    backoffBaseMs: positive('backoffBaseMs', opts.backoffBaseMs, 10_000),
    backoffMaxMs: positive('backoffMaxMs', opts.backoffMaxMs, 3_600_000),
    staleAfterMs: positive('staleAfterMs', opts.staleAfterMs, 300_000),
  });
  const { storage, clock, logger } = opts;
  const random = opts.random ?? Math.random;
  const fetchFn: FetchLike = opts.fetch ?? ((url, init) => fetch(url, init));

  const secrets = new Map<string, string>();
  const slack = new Map<string, SlackTarget>();
  for (const n of opts.notifications) {
    if (n.type === 'webhook') {
      if (!secrets.has(n.url)) secrets.set(n.url, n.secret);
    } else if (!slack.has(n.channel)) slack.set(n.channel, { bot_token: n.bot_token, api_base_url: n.api_base_url });
  }

  const webhooks = createWebhookSender({
    fetch: fetchFn,
    clock,
    timeoutMs: o.timeoutMs,
    secretFor: (url) => secrets.get(url),
  });
  const slackSender = createSlackSender({
    fetch: fetchFn,
    clock,
    timeoutMs: o.timeoutMs,
    storage,
    slackFor: (channel) => slack.get(channel),
  });
  const senders: Record<DeliveryChannel, (row: DeliveryRow) => Promise<SendResult>> = {
    webhook: (row) => webhooks.webhook(row),
    callback: (row) => webhooks.callback(row),
    slack: (row) => slackSender.send(row),
  };

  async function record(row: DeliveryRow, result: SendResult): Promise<void> {
    const at = clock.now();
    const log = {
      delivery: row.id,
      channel: row.channel,
      event: row.event,
      attempt: row.attempts,
      instance: opts.instanceId,
    };
    let stored: boolean;
    switch (result.type) {
      case 'delivered':
        stored = await storage.deliveries.markDelivered(row.id, at.toISOString(), result.response);
        break;
      case 'gave_up':
        stored = await storage.deliveries.markFailed(row.id, at.toISOString(), result.error, result.response, null);
        logger?.warn({ ...log, error: result.error }, 'notification gave up');
        break;
      case 'retry': {
        if (row.attempts >= o.maxAttempts) {
          const error = `${result.error} (gave up after ${row.attempts} attempts)`;
          stored = await storage.deliveries.markFailed(row.id, at.toISOString(), error, result.response, null);
          logger?.warn({ ...log, error }, 'notification gave up');
          break;
        }
        const backoff = backoffDelay(row.attempts, o.backoffBaseMs, o.backoffMaxMs, random);
        const delay = Math.max(backoff, Math.min(result.retryAfterMs ?? 0, o.backoffMaxMs));
        const retryAt = new Date(at.getTime() + delay).toISOString();
        stored = await storage.deliveries.markFailed(row.id, at.toISOString(), result.error, result.response, retryAt);
        logger?.info({ ...log, error: result.error, retry_at: retryAt }, 'notification will be retried');
        break;
      }
    }
    // Another instance reclaimed the row as stale while we were sending: its outcome wins.
    if (!stored) logger?.warn(log, 'notification outcome not recorded: the delivery was reclaimed');
  }

  async function deliver(row: DeliveryRow): Promise<void> {
    let result: SendResult;
    try {
      result = await senders[row.channel](row);
    } catch (e) {
      // A bug or an unreadable payload: retried, and given up at the attempt limit like any failure.
      result = { type: 'retry', error: `could not send: ${(e as Error).message}`, response: null };
    }
    try {
      await record(row, result);
    } catch (e) {
      logger?.error({ err: e, delivery: row.id }, 'could not record a notification outcome; it will be sent again');
    }
  }

  async function runOnce(): Promise<number> {
    const now = clock.now();
    const rows = await storage.deliveries.claimDue(
      now.toISOString(),
      o.batchSize,
      new Date(now.getTime() - o.staleAfterMs).toISOString(),
    );
    // Rows about the same subject for the same target go in order (a request before its
    // decision, so Slack can edit the message it just posted); the rest run concurrently.
    const lanes = new Map<string, DeliveryRow[]>();
    for (const row of rows) {
      const key = row.subject === null ? row.id : `${row.channel} ${row.target} ${row.subject}`;
      lanes.set(key, [...(lanes.get(key) ?? []), row]);
    }
    const byCreation = (a: DeliveryRow, b: DeliveryRow) =>
      a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1;
    await Promise.all(
      [...lanes.values()].map(async (lane) => {
        for (const row of lane.sort(byCreation)) await deliver(row);
      }),
    );
    return rows.length;
  }

  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;

  function tick(): void {
    if (inFlight) return;
    inFlight = (async () => {
      for (let i = 0; i < MAX_ROUNDS_PER_TICK && timer !== undefined; i++) {
        if ((await runOnce()) < o.batchSize) break;
      }
    })()
      .catch((e: unknown) => logger?.error({ err: e }, 'notification round failed'))
      .finally(() => {
        inFlight = undefined;
      });
  }

  return {
    runOnce,
    start() {
      if (timer) return;
      timer = setInterval(tick, o.intervalMs);
      timer.unref();
      tick();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await inFlight;
    },
  };
}
