/**
 * Signed webhooks (every configured URL) and decision callbacks (the n8n resume URL or Zapier
 * catch hook an agent gave with its action).
 *
 * Status handling follows what the receivers mean:
 * - webhooks: 2xx delivered; 410 Gone and other 4xx (except 408/429) are permanent, so we stop;
 *   408, 429, 5xx and network errors are retried, honouring Retry-After;
 * - callbacks: n8n answers 409 when the execution is already running or finished (someone else
 *   resumed it: the decision arrived, do not retry), 404 when the execution is gone and 401 when
 *   its URL signature is wrong (both permanent).
 */
import type { Clock } from '../../core/clock.js';
import type { DeliveryRow } from '../../core/ports/storage.js';
import {
  networkRetry,
  postOnce,
  recorded,
  retryAfterMs,
  type FetchLike,
  type HttpAnswer,
  type SendResult,
} from './http.js';
import { signWebhook } from './signature.js';

export const USER_AGENT = 'Gatehouse-Webhooks/1';

export interface WebhookSenderDeps {
  readonly fetch: FetchLike;
  readonly clock: Clock;
  readonly timeoutMs: number;
  /** The configured secret for a webhook URL; undefined when the URL is no longer configured. */
  secretFor(url: string): string | undefined;
}

const isRetryable = (status: number) => status === 408 || status === 429 || status >= 500;

function retry(a: HttpAnswer, now: Date): SendResult {
  const after = retryAfterMs(a.retryAfter, now);
  return {
    type: 'retry',
    error: `HTTP ${a.status}`,
    response: recorded(a),
    ...(after !== undefined ? { retryAfterMs: after } : {}),
  };
}

export function classifyWebhook(a: HttpAnswer, now: Date): SendResult {
  if (a.status >= 200 && a.status < 300) return { type: 'delivered', response: recorded(a) };
  if (isRetryable(a.status)) return retry(a, now);
  if (a.status === 410) return { type: 'gave_up', error: 'HTTP 410: the receiver is gone', response: recorded(a) };
  if (a.status >= 300 && a.status < 400)
    return {
      type: 'gave_up',
      error: `HTTP ${a.status}: redirects are not followed; configure the final URL`,
      response: recorded(a),
    };
  return { type: 'gave_up', error: `HTTP ${a.status}: the receiver refused the request`, response: recorded(a) };
}

export function classifyCallback(a: HttpAnswer, now: Date): SendResult {
  if (a.status >= 200 && a.status < 300) return { type: 'delivered', response: recorded(a) };
  // The flow was resumed already (an earlier attempt whose answer we lost, or another instance).
  if (a.status === 409) return { type: 'delivered', response: { ...recorded(a), already: true } };
  if (a.status === 404)
    return { type: 'gave_up', error: 'HTTP 404: the waiting execution no longer exists', response: recorded(a) };
  if (a.status === 401)
    return { type: 'gave_up', error: 'HTTP 401: the callback URL signature was refused', response: recorded(a) };
  if (isRetryable(a.status)) return retry(a, now);
  return { type: 'gave_up', error: `HTTP ${a.status}: the callback refused the decision`, response: recorded(a) };
}

export function createWebhookSender(deps: WebhookSenderDeps) {
  async function post(
    row: DeliveryRow,
    secret: string | undefined,
    classify: typeof classifyWebhook,
  ): Promise<SendResult> {
    const body = JSON.stringify(row.payload);
    const timestamp = Math.floor(deps.clock.now().getTime() / 1000);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'x-gatehouse-event': row.event,
      'x-gatehouse-delivery': row.id,
      'x-gatehouse-timestamp': String(timestamp),
    };
    if (secret !== undefined) headers['x-gatehouse-signature'] = signWebhook(secret, timestamp, body);
    try {
      return classify(await postOnce(deps.fetch, row.target, body, headers, deps.timeoutMs), deps.clock.now());
    } catch (e) {
      return networkRetry(e);
    }
  }

  return {
    async webhook(row: DeliveryRow): Promise<SendResult> {
      const secret = deps.secretFor(row.target);
      if (secret === undefined)
        return { type: 'gave_up', error: 'this webhook URL is no longer configured', response: null };
      return post(row, secret, classifyWebhook);
    },
    /** Unsigned: the URL itself is the credential (n8n signs its resume URLs). */
    async callback(row: DeliveryRow): Promise<SendResult> {
      return post(row, undefined, classifyCallback);
    },
  };
}
