/**
 * Request signatures, both directions:
 * - outgoing webhooks carry `x-gatehouse-signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`
 *   (the scheme Stripe and Slack use: the timestamp is signed, so a captured request cannot be
 *   replayed later with a fresh timestamp);
 * - incoming Slack requests carry `X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret,
 *   "v0:<timestamp>:<raw body>")>`.
 * Comparisons are constant-time; a signature of the wrong length is simply a mismatch.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Five minutes either way, as Slack recommends: bounds replays and tolerates clock skew. */
export const SIGNATURE_TOLERANCE_S = 300;

const hmacHex = (secret: string, data: string) => createHmac('sha256', secret).update(data, 'utf8').digest('hex');

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The `x-gatehouse-signature` value for a body sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${hmacHex(secret, `${timestamp}.${body}`)}`;
}

export type SignatureCheck =
  { readonly ok: true } | { readonly ok: false; readonly reason: 'missing' | 'stale' | 'mismatch' };

interface CheckInput {
  readonly secret: string;
  /** The timestamp header as received (unix seconds). */
  readonly timestamp: string | undefined;
  readonly body: string;
  readonly signature: string | undefined;
  readonly now: Date;
  readonly toleranceS?: number;
}

function check(input: CheckInput, expected: (ts: string) => string): SignatureCheck {
  const { timestamp, signature } = input;
  if (!timestamp || !signature) return { ok: false, reason: 'missing' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'stale' };
  const age = Math.floor(input.now.getTime() / 1000) - Number(timestamp);
  if (Math.abs(age) > (input.toleranceS ?? SIGNATURE_TOLERANCE_S)) return { ok: false, reason: 'stale' };
  return safeEqual(expected(timestamp), signature) ? { ok: true } : { ok: false, reason: 'mismatch' };
}

/** Checks a Gatehouse webhook as a receiver would (also used by our own tests). */
export function verifyWebhookSignature(input: CheckInput): SignatureCheck {
  return check(input, (ts) => `v1=${hmacHex(input.secret, `${ts}.${input.body}`)}`);
}

/** The `X-Slack-Signature` Slack would send for this body; exported for tests and fakes. */
export function slackSignature(signingSecret: string, timestamp: string, body: string): string {
  return `v0=${hmacHex(signingSecret, `v0:${timestamp}:${body}`)}`;
}

export function verifySlackSignature(input: CheckInput): SignatureCheck {
  return check(input, (ts) => slackSignature(input.secret, ts, input.body));
}
