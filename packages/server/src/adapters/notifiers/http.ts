/**
 * One outgoing HTTP attempt and the vocabulary every sender answers in. Redirects are not
 * followed: a POST redirected to GET would silently drop the body, and a callback URL that
 * redirects elsewhere should not steer Gatehouse's requests.
 */
import type { Json } from '../../core/ports/storage.js';

/** What one attempt came to; the dispatcher turns it into the row's next state. */
export type SendResult =
  | { readonly type: 'delivered'; readonly response: Json }
  | {
      readonly type: 'retry';
      readonly error: string;
      readonly response: Json;
      /** The receiver asked for at least this long (Retry-After). */
      readonly retryAfterMs?: number;
    }
  | { readonly type: 'gave_up'; readonly error: string; readonly response: Json };

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface HttpAnswer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly text: string;
}

/** Response bodies are recorded for operators, never in full. */
const RECORDED_BODY_CHARS = 500;

/** Throws on network errors and timeouts (both worth a retry). */
export async function postOnce(
  fetchFn: FetchLike,
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<HttpAnswer> {
  const res = await fetchFn(url, {
    method: 'POST',
    headers,
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  return { status: res.status, retryAfter: res.headers.get('retry-after'), text };
}

/** The part of an answer kept in the delivery row. */
export function recorded(a: HttpAnswer): { status: number; body: string } {
  return { status: a.status, body: a.text.slice(0, RECORDED_BODY_CHARS) };
}

/** Retry-After as delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: Date): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const v = header.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

export function networkRetry(e: unknown): SendResult {
  const err = e as Error & { cause?: { code?: string } };
  const what =
    err.name === 'TimeoutError' ? 'timed out' : `${err.message}${err.cause?.code ? ` (${err.cause.code})` : ''}`;
  return { type: 'retry', error: `request failed: ${what}`, response: null };
}
