/**
 * `@gatehouse/sdk/testing`: a scripted fake gateway for agents' own tests.
 *
 *   const fake = createFakeGateway();
 *   fake.expect('POST', '/v1/actions', fake.respondPending());
 *   const gh = createGatehouseClient({ baseUrl: 'http://gatehouse.test', key: 'k', fetch: fake.fetch });
 *   ... run the agent ...
 *   fake.assertDone();
 *
 * Contract: expectations are consumed strictly in order. A request that does not match the next
 * expectation fails loudly (UnexpectedRequestError naming the request and what was expected),
 * and is remembered, so `assertDone()` still fails if the code under test swallowed the error.
 * The fake never matches out of order: the order of an agent's calls is part of its behaviour.
 */
import type { ActionStatus, ActionView } from './types.js';

export interface FakeRequest {
  readonly method: string;
  readonly url: string;
  /** The path below the origin, without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed JSON body; the raw string when it is not JSON; undefined when there is none. */
  readonly body: unknown;
}

export type FakeReply =
  | {
      readonly status?: number;
      /** Serialised as JSON. */
      readonly body?: unknown;
      /** Sent verbatim instead of `body` (e.g. an HTML error page from a proxy). */
      readonly rawBody?: string;
      readonly headers?: Readonly<Record<string, string>>;
      /** Answer after this long; the caller's timeout or abort cuts it short. */
      readonly delayMs?: number;
    }
  | { readonly networkError: string };

export type FakeResponder = FakeReply | ((request: FakeRequest) => FakeReply);

export interface ExpectOptions {
  /** Extra check on the request body; returning false (or throwing) makes the request unexpected. */
  readonly body?: (body: unknown, request: FakeRequest) => boolean;
}

export interface FakeGateway {
  /** Pass to `createGatehouseClient({ fetch })`. */
  readonly fetch: typeof fetch;
  /**
   * Queues one expected request. `path` is the path plus query (query order does not matter;
   * no query means none is allowed), or a RegExp tested against path + query.
   */
  expect(method: string, path: string | RegExp, reply: FakeResponder, options?: ExpectOptions): FakeGateway;
  /** Every request received, matched or not, in order. */
  readonly calls: readonly FakeRequest[];
  /** Descriptions of expectations not yet consumed. */
  pending(): readonly string[];
  /** Throws when expectations are left or an unexpected request arrived. */
  assertDone(): void;
  /** 200 executed; the action echoes the submitted request (id from the path on GET). */
  respondExecuted(overrides?: Partial<ActionView>): FakeResponder;
  /** 202 pending_approval, with an approval reference. */
  respondPending(overrides?: Partial<ActionView>): FakeResponder;
  /** 202 shadowed (an agent in observe mode). */
  respondShadowed(overrides?: Partial<ActionView>): FakeResponder;
  /** 403 denied: the action body with `error: { code, message }`. */
  respondDenied(code: string, message: string, overrides?: Partial<ActionView>): FakeResponder;
  /** 423 breaker_open: the action body with `error.code` `breaker_open`. */
  respondBreakerOpen(message?: string, overrides?: Partial<ActionView>): FakeResponder;
  /** Any status with the wire error shape `{ error: { code, message, details, request_id } }`. */
  respondError(status: number, code: string, message: string, details?: Record<string, unknown>): FakeResponder;
  /** The connection fails before an answer (fetch rejects with a TypeError, as real fetch does). */
  respondNetworkError(message?: string): FakeResponder;
}

/** Thrown by the fake's fetch for a request the script did not expect. */
export class UnexpectedRequestError extends Error {
  override readonly name = 'UnexpectedRequestError';
}

interface Expectation {
  readonly method: string;
  readonly path: string | RegExp;
  readonly reply: FakeResponder;
  readonly options: ExpectOptions;
}

const FIXED_TIME = '2025-01-01T00:00:00.000Z';

const describeExpectation = (e: Expectation) =>
  `${e.method} ${String(e.path)}${e.options.body ? ' (with a body check)' : ''}`;

function describeRequest(r: FakeRequest): string {
  const qs = new URLSearchParams(r.query).toString();
  const body =
    r.body === undefined ? '' : ` body ${truncate(typeof r.body === 'string' ? r.body : JSON.stringify(r.body))}`;
  return `${r.method} ${r.path}${qs ? `?${qs}` : ''}${body}`;
}

const truncate = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}…` : s);

const sortedQuery = (q: URLSearchParams) =>
  [...q.entries()]
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join('&');

/** Why the request does not match, or undefined when it does. */
function mismatch(e: Expectation, req: FakeRequest, search: URLSearchParams): string | undefined {
  if (e.method.toUpperCase() !== req.method) return 'method differs';
  if (e.path instanceof RegExp) {
    const full = `${req.path}${search.size ? `?${search.toString()}` : ''}`;
    if (!e.path.test(full)) return 'path differs';
  } else {
    const want = new URL(e.path, 'http://fake.invalid');
    if (want.pathname !== req.path) return 'path differs';
    if (sortedQuery(want.searchParams) !== sortedQuery(search)) return 'query differs';
  }
  if (e.options.body) {
    try {
      if (!e.options.body(req.body, req)) return 'body check returned false';
    } catch (err) {
      return `body check threw: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  return undefined;
}

async function readRequest(input: string | URL | Request, init: RequestInit | undefined): Promise<FakeRequest> {
  const request = input instanceof Request ? input : undefined;
  const url = new URL(input instanceof Request ? input.url : input instanceof URL ? input.href : input);
  const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = {};
  new Headers(init?.headers ?? request?.headers).forEach((v, k) => (headers[k] = v));
  const raw =
    typeof init?.body === 'string' ? init.body : request && init?.body === undefined ? await request.text() : undefined;
  let body: unknown = raw === '' ? undefined : raw;
  if (raw) {
    try {
      body = JSON.parse(raw);
    } catch {
      // Kept as the raw string so the mismatch message shows it.
    }
  }
  return { method, url: url.href, path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body };
}

function delay(ms: number, signal: AbortSignal | null | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A complete action view for fixtures. With a request it echoes what was submitted (connector,
 * object, operation, reason, idempotency key, the records as a change set) or takes the id from
 * a `/v1/actions/{id}` path; overrides win.
 */
export function fakeAction(
  status: ActionStatus,
  overrides: Partial<ActionView> = {},
  request?: FakeRequest,
): ActionView {
  const sent = (typeof request?.body === 'object' && request.body !== null ? request.body : {}) as Record<
    string,
    unknown
  >;
  const str = (v: unknown, fallback: string) => (typeof v === 'string' ? v : fallback);
  const records = Array.isArray(sent.records)
    ? (sent.records as { id?: unknown; changes?: Record<string, string | null> }[])
    : [];
  const changes = records.map((r) => {
    const after = r.changes ?? {};
    const before = Object.fromEntries(Object.keys(after).map((k) => [k, null]));
    return { id: str(r.id, 'rec_1'), before, after, reversibility: 'reversible' as const };
  });
  const pathId = request && /^\/v1\/actions\/([^/]+)$/.exec(request.path)?.[1];
  const effect = status === 'denied' ? 'deny' : status === 'pending_approval' ? 'require_approval' : 'allow';
  return {
    id: pathId ? decodeURIComponent(pathId) : 'act_fake_1',
    agent: 'fake-agent',
    connector: str(sent.connector, 'crm'),
    object: str(sent.object, 'contacts'),
    operation: str(sent.operation, 'update'),
    status,
    reason: str(sent.reason, 'fake'),
    decision: { effect, rules: [], reasons: [] },
    changeset: {
      summary: {
        records: changes.length,
        fields: changes.reduce((n, c) => n + Object.keys(c.after).length, 0),
        irreversible: 0,
      },
      records: changes,
    },
    ...(status === 'pending_approval'
      ? { approval: { id: 'apr_fake_1', required: 1, expires_at: '2025-01-02T00:00:00.000Z', status: 'pending' } }
      : {}),
    audit_event_id: 'aud_fake_1',
    ...(typeof sent.idempotency_key === 'string' ? { idempotency_key: sent.idempotency_key } : {}),
    created_at: FIXED_TIME,
    updated_at: FIXED_TIME,
    ...overrides,
  };
}

export function createFakeGateway(): FakeGateway {
  const queue: Expectation[] = [];
  const calls: FakeRequest[] = [];
  const unexpected: string[] = [];
  let served = 0;

  const actionReply =
    (status: ActionStatus, http: number, overrides: Partial<ActionView>): FakeResponder =>
    (req) => ({ status: http, body: fakeAction(status, overrides, req) });

  const fakeFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const req = await readRequest(input, init);
    calls.push(req);
    const next = queue[0];
    const why = next ? mismatch(next, req, new URL(req.url).searchParams) : 'no more requests were expected';
    if (!next || why !== undefined) {
      const expected = next ? `expected next: ${describeExpectation(next)} (${why}; ${queue.length} left)` : why;
      const message = `fake gateway: unexpected request ${describeRequest(req)}; ${expected}`;
      unexpected.push(message);
      throw new UnexpectedRequestError(message);
    }
    queue.shift();
    served += 1;
    const reply = typeof next.reply === 'function' ? next.reply(req) : next.reply;
    if ('networkError' in reply) throw new TypeError('fetch failed', { cause: new Error(reply.networkError) });
    if (reply.delayMs) await delay(reply.delayMs, init?.signal);
    const status = reply.status ?? 200;
    const text = reply.rawBody ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
    const headers = new Headers({ 'x-request-id': `req_fake_${served}`, ...reply.headers });
    if (reply.rawBody === undefined && reply.body !== undefined && !headers.has('content-type')) {
      headers.set('content-type', 'application/json; charset=utf-8');
    }
    return new Response(status === 204 || status === 304 ? null : text, { status, headers });
  };

  const fake: FakeGateway = {
    fetch: fakeFetch,
    expect(method, path, reply, options = {}) {
      queue.push({ method: method.toUpperCase(), path, reply, options });
      return fake;
    },
    calls,
    pending: () => queue.map(describeExpectation),
    assertDone() {
      const problems = [
        ...unexpected,
        ...queue.map((e) => `fake gateway: expected ${describeExpectation(e)} but it was never requested`),
      ];
      if (problems.length > 0) throw new Error(problems.join('\n'));
    },
    respondExecuted: (overrides = {}) => actionReply('executed', 200, overrides),
    respondPending: (overrides = {}) => actionReply('pending_approval', 202, overrides),
    respondShadowed: (overrides = {}) =>
      actionReply('shadowed', 202, {
        decision: { effect: 'allow', rules: [], reasons: [], mode: 'observe' },
        ...overrides,
      }),
    respondDenied: (code, message, overrides = {}) =>
      actionReply('denied', 403, {
        decision: { effect: 'deny', rules: [], reasons: [message], code },
        error: { code, message },
        ...overrides,
      }),
    respondBreakerOpen: (message = 'a circuit breaker covering this agent is open', overrides = {}) =>
      actionReply('breaker_open', 423, { error: { code: 'breaker_open', message }, ...overrides }),
    respondError: (status, code, message, details) => ({
      status,
      body: { error: { code, message, ...(details ? { details } : {}), request_id: 'req_fake_error' } },
    }),
    respondNetworkError: (message = 'socket hang up') => ({ networkError: message }),
  };
  return fake;
}
