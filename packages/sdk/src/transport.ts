/**
 * One HTTP exchange with bounded retries. The transport knows nothing about the API's shapes:
 * it sends JSON, reads the answer, and decides whether trying again is safe.
 *
 * Retry contract (what makes a retry safe is the request, not the failure):
 * - `idempotent` calls (reads, `actions.submit` with its idempotency key, KPI samples, mode
 *   changes) retry on network errors, timeouts, 429, 502, 503 and 504.
 * - `unsafe` calls (approval decisions, breaker resets) retry only when the server provably did
 *   not act: 429, 503, or a refused connection. A lost answer is surfaced, never replayed.
 * - The body is serialised once, so every attempt sends the same bytes (and the same
 *   idempotency key).
 * - `Retry-After` (seconds or HTTP date) is honoured up to `maxDelayMs`; a server asking for a
 *   longer pause gets its answer surfaced instead of a call that blocks for minutes.
 */
import { GatehouseApiError } from './errors.js';

export interface RetryOptions {
  /** Total attempts, the first included (1 = no retries). Default 3. */
  readonly attempts: number;
  /** Backoff base: attempt n waits about baseDelayMs × 2^(n-1), jittered. Default 200. */
  readonly baseDelayMs: number;
  /** Cap on a single pause, Retry-After included. Default 30 000. */
  readonly maxDelayMs?: number;
}

export interface GatehouseClientOptions {
  /** Where the server listens, e.g. `http://127.0.0.1:4100`; a path prefix is kept. */
  readonly baseUrl: string | URL;
  /** Agent, person or ingest key, sent as `Authorization: Bearer <key>`. */
  readonly key: string;
  /** A fetch implementation (tests pass `createFakeGateway().fetch`). Default: global fetch. */
  readonly fetch?: typeof fetch;
  /** Per-attempt timeout. Default 30 000. Long-polls extend it by their wait. */
  readonly timeoutMs?: number;
  readonly retries?: RetryOptions;
  /** Sent as `User-Agent` where the platform allows it. Default `gatehouse-sdk/<version>`. */
  readonly userAgent?: string;
}

export const SDK_VERSION = '0.1.0';

export interface CompiledOptions {
  readonly base: string;
  readonly key: string;
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly userAgent: string;
}

function invalid(field: string, message: string): GatehouseApiError {
  return new GatehouseApiError({ code: 'invalid_options', message: `createGatehouseClient: ${field} ${message}` });
}

const isWholeNumber = (n: unknown, min: number): n is number =>
  typeof n === 'number' && Number.isInteger(n) && n >= min;

/** Validates once, fills defaults, freezes; failures name the field. */
export function compileOptions(options: GatehouseClientOptions): CompiledOptions {
  let url: URL;
  try {
    url = new URL(options.baseUrl);
  } catch {
    throw invalid('baseUrl', `must be an absolute URL, got ${JSON.stringify(String(options.baseUrl))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('baseUrl', 'must use http or https');
  if (typeof options.key !== 'string' || options.key.trim() === '') throw invalid('key', 'must be a non-empty string');
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (!isWholeNumber(timeoutMs, 1)) throw invalid('timeoutMs', 'must be a positive integer');
  const attempts = options.retries?.attempts ?? 3;
  if (!isWholeNumber(attempts, 1)) throw invalid('retries.attempts', 'must be an integer ≥ 1');
  const baseDelayMs = options.retries?.baseDelayMs ?? 200;
  if (!isWholeNumber(baseDelayMs, 0)) throw invalid('retries.baseDelayMs', 'must be an integer ≥ 0');
  const maxDelayMs = options.retries?.maxDelayMs ?? 30_000;
  if (!isWholeNumber(maxDelayMs, 0)) throw invalid('retries.maxDelayMs', 'must be an integer ≥ 0');
  const given = options.fetch;
  if (given !== undefined && typeof given !== 'function') throw invalid('fetch', 'must be a function');
  if (given === undefined && typeof globalThis.fetch !== 'function') {
    throw invalid('fetch', 'is required: this platform has no global fetch');
  }
  // Called through globalThis so browsers do not throw "Illegal invocation".
  const fetchImpl: typeof fetch = given ?? ((input, init) => globalThis.fetch(input, init));
  return Object.freeze({
    base: `${url.origin}${url.pathname.replace(/\/+$/, '')}`,
    key: options.key,
    fetch: fetchImpl,
    timeoutMs,
    attempts,
    baseDelayMs,
    maxDelayMs,
    userAgent: options.userAgent ?? `gatehouse-sdk/${SDK_VERSION}`,
  });
}

/** Per-call options every method accepts. */
export interface CallOptions {
  /** Aborts the call (and any pending retry pause) with GatehouseApiError `aborted`. */
  readonly signal?: AbortSignal;
}

export type QueryValue = string | number | boolean | undefined;

export interface ApiCall {
  readonly method: 'GET' | 'POST';
  /** Path below baseUrl, segments already encoded, e.g. `/v1/actions/act_1`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, QueryValue>>;
  readonly body?: unknown;
  readonly retry: 'idempotent' | 'unsafe';
  /** Overrides the client's per-attempt timeout (long-polls). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface ApiAnswer {
  readonly status: number;
  /** The parsed body; undefined when `isJson` is false. */
  readonly json: unknown;
  readonly isJson: boolean;
  readonly text: string;
  readonly contentType: string;
  /** From the `x-request-id` header; the error body's `request_id` takes precedence. */
  readonly requestId: string | undefined;
}

type Attempt =
  | { readonly type: 'answer'; readonly answer: ApiAnswer; readonly retryAfterMs: number | undefined }
  | {
      readonly type: 'failed';
      readonly kind: 'network' | 'timeout';
      readonly cause: unknown;
      readonly refused: boolean;
    };

const RETRY_IDEMPOTENT = new Set([429, 502, 503, 504]);
const RETRY_UNSAFE = new Set([429, 503]);

export interface Transport {
  send(call: ApiCall): Promise<ApiAnswer>;
}

export interface TransportDeps {
  readonly random?: () => number;
  readonly now?: () => number;
}

export function createTransport(opts: CompiledOptions, deps: TransportDeps = {}): Transport {
  const random = deps.random ?? Math.random;
  const now = deps.now ?? Date.now;

  /** Equal jitter: at least half the exponential step, so retries never stampede at zero. */
  const backoff = (attempt: number): number => {
    const step = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(step / 2 + random() * (step / 2));
  };

  const describe = (call: ApiCall) => `${call.method} ${call.path}`;

  async function once(call: ApiCall, url: string, body: string | undefined): Promise<Attempt> {
    const timeoutMs = call.timeoutMs ?? opts.timeoutMs;
    const timer = AbortSignal.timeout(timeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, timer]) : timer;
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: `Bearer ${opts.key}`,
      'user-agent': opts.userAgent,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      const res = await opts.fetch(url, { method: call.method, headers, body, signal });
      const text = await res.text();
      const contentType = res.headers.get('content-type') ?? '';
      let json: unknown;
      let isJson = false;
      if (text !== '') {
        try {
          json = JSON.parse(text);
          isJson = true;
        } catch {
          // Left as text: the caller reports `bad_response` with the status.
        }
      }
      const answer = {
        status: res.status,
        json,
        isJson,
        text,
        contentType,
        requestId: res.headers.get('x-request-id') ?? undefined,
      };
      return { type: 'answer', answer, retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), now()) };
    } catch (err) {
      if (call.signal?.aborted) {
        throw new GatehouseApiError({
          code: 'aborted',
          message: `${describe(call)} was aborted`,
          cause: call.signal.reason,
        });
      }
      if (timer.aborted) return { type: 'failed', kind: 'timeout', cause: err, refused: false };
      // fetch reports network failures as TypeError. Anything else is a bug in the caller's
      // fetch (or a fake gateway's "unexpected request"): surface it untouched, never retry it.
      if (err instanceof TypeError) return { type: 'failed', kind: 'network', cause: err, refused: isRefused(err) };
      throw err;
    }
  }

  return {
    async send(call) {
      const url = buildUrl(opts.base, call.path, call.query);
      const body = call.body === undefined ? undefined : JSON.stringify(call.body);
      const retryStatuses = call.retry === 'idempotent' ? RETRY_IDEMPOTENT : RETRY_UNSAFE;
      for (let attempt = 1; ; attempt++) {
        const result = await once(call, url, body);
        const last = attempt >= opts.attempts;
        if (result.type === 'answer') {
          if (last || !retryStatuses.has(result.answer.status)) return result.answer;
          const wait = result.retryAfterMs ?? backoff(attempt);
          if (wait > opts.maxDelayMs) return result.answer;
          await pause(wait, call.signal, describe(call));
          continue;
        }
        if (last || (call.retry === 'unsafe' && !result.refused)) {
          const timedOut = result.kind === 'timeout';
          const why = timedOut ? `timed out after ${call.timeoutMs ?? opts.timeoutMs} ms` : causeMessage(result.cause);
          throw new GatehouseApiError({
            code: timedOut ? 'timeout' : 'network_error',
            message: `${describe(call)} failed after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${why}`,
            details: { attempts: attempt, url },
            cause: result.cause,
          });
        }
        await pause(backoff(attempt), call.signal, describe(call));
      }
    },
  };
}

function buildUrl(base: string, path: string, query: ApiCall['query']): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  return `${base}${path}${qs ? `?${qs}` : ''}`;
}

/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date. Unparseable values are ignored. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** A refused connection means the request never reached a server, so even unsafe calls may retry. */
function isRefused(err: TypeError): boolean {
  const cause = (err as { cause?: { code?: unknown } }).cause;
  return cause?.code === 'ECONNREFUSED';
}

function causeMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const inner = (err as { cause?: unknown }).cause;
  return inner instanceof Error ? `${err.message} (${inner.message})` : err.message;
}

/** Waits `ms`, or rejects with code `aborted` as soon as `signal` fires. */
export function pause(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = () =>
      new GatehouseApiError({ code: 'aborted', message: `${what} was aborted`, cause: signal?.reason });
    if (signal?.aborted) return reject(aborted());
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
