/**
 * Caller mistakes answer 4xx with one error shape and a code; nothing a caller sends produces a
 * 5xx, and the server keeps serving. The property tests throw random bodies and query strings at
 * the agent routes.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { createKey, revokeKey } from '../../src/core/key-admin.js';
import { isErrorShape, startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { allRecords, crmOf, inUsCa } from '../helpers/sandbox.js';

const clock = createManualClock('2026-03-02T10:00:00.000Z');
let t: TestGatehouse;
let inScope: string[];
let outOfScope: string[];
const router = () => t.keys['lead-router']!;

const raw = (opts: { method?: string; url?: string; headers?: Record<string, string>; payload?: string }) =>
  t.gh.http.inject({
    method: (opts.method ?? 'POST') as 'POST',
    url: opts.url ?? '/v1/actions',
    headers: { authorization: `Bearer ${router()}`, 'content-type': 'application/json', ...opts.headers },
    ...(opts.payload !== undefined ? { payload: opts.payload } : {}),
  });

const valid = () => ({
  connector: 'crm',
  object: 'contacts',
  operation: 'update',
  records: [{ id: inScope[0], changes: { owner_id: 'u_9' } }],
  reason: 'http error test',
});

beforeAll(async () => {
  t = await startTestGatehouse({ clock });
  const all = await allRecords(crmOf(t.gh), 'contacts');
  inScope = all.filter(inUsCa).map((r) => r.id);
  outOfScope = all.filter((r) => !inUsCa(r)).map((r) => r.id);
});
afterAll(async () => {
  await t?.close();
});

describe('authentication', () => {
  it('no key → 401 unauthenticated', async () => {
    const r = await t.inject('GET', '/v1/records/crm/contacts');
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe('unauthenticated');
    expect(isErrorShape(r.json)).toBe(true);
  });

  it.each([
    ['not a bearer header', 'Basic dXNlcjpwYXNz'],
    ['a bearer token that is not a Gatehouse key', 'Bearer not-a-key'],
    ['a well-formed key nobody issued', `Bearer gh_agent_${'A'.repeat(43)}`],
  ])('%s → 401 key_invalid', async (_what, header) => {
    const r = await t.gh.http.inject({
      method: 'GET',
      url: '/v1/records/crm/contacts',
      headers: { authorization: header },
    });
    expect(r.statusCode).toBe(401);
    expect(r.json().error.code).toBe('key_invalid');
    expect(isErrorShape(r.json())).toBe(true);
  });

  it('a revoked key → 401 (code checked strictly in known-bugs.test.ts)', async () => {
    const deps = {
      storage: t.gh.storage,
      clock: t.gh.pipeline.clock,
      agentIds: new Set(['lead-router']),
      personIds: new Set<string>(),
      newId: t.gh.pipeline.newId,
    };
    const made = await createKey(deps, { kind: 'agent', subject: 'lead-router', actor: 'system:test' });
    expect((await t.inject('GET', '/v1/records/crm/contacts?limit=1', made.token)).status).toBe(200);
    await revokeKey(deps, { id: made.key.id, actor: 'system:test' });
    const r = await t.inject('GET', '/v1/records/crm/contacts?limit=1', made.token);
    expect(r.status).toBe(401);
    expect(['key_revoked', 'key_invalid']).toContain(r.json.error.code);
  });

  it('an agent key on a people endpoint → 403 forbidden', async () => {
    const r = await t.inject('GET', '/v1/audit/verify', router());
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe('forbidden');
  });
});

describe('malformed requests', () => {
  it('malformed JSON → 400 invalid_json', async () => {
    const r = await raw({ payload: '{"connector":' });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe('invalid_json');
    expect(isErrorShape(r.json())).toBe(true);
  });

  it('an empty JSON body → 400 invalid_json', async () => {
    const r = await raw({ payload: '' });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe('invalid_json');
  });

  it('a prototype-poisoning body → 400, not 500', async () => {
    const r = await raw({ payload: '{"__proto__":{"admin":true},"connector":"crm"}' });
    expect(r.statusCode).toBe(400);
    expect(isErrorShape(r.json())).toBe(true);
  });

  it('an unknown field → 400 naming the field', async () => {
    const r = await t.inject('POST', '/v1/actions', router(), { ...valid(), colour: 'red' });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('invalid_request');
    expect(r.json.error.message).toContain('colour');
  });

  it.each([
    ['reason', { reason: 5 }, 'reason'],
    [
      'records[0].changes.owner_id',
      { records: [{ id: 'c_1', changes: { owner_id: 5 } }] },
      'records[0].changes.owner_id',
    ],
    ['records', { records: 'c_1' }, 'records'],
  ])('a wrong type in %s → 400 naming the field', async (_f, patch, field) => {
    const r = await t.inject('POST', '/v1/actions', router(), { ...valid(), ...patch });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('invalid_request');
    expect(r.json.error.message).toContain(field);
  });

  it('an oversized body → 413 body_too_large', async () => {
    const big = JSON.stringify({ ...valid(), reason: 'x'.repeat(t.config.server.body_limit + 10) });
    const r = await raw({ payload: big });
    expect(r.statusCode).toBe(413);
    expect(r.json().error.code).toBe('body_too_large');
    expect(isErrorShape(r.json())).toBe(true);
  });

  it('a wrong content type → 415 unsupported_media_type', async () => {
    const r = await raw({ headers: { 'content-type': 'application/xml' }, payload: '<action/>' });
    expect(r.statusCode).toBe(415);
    expect(r.json().error.code).toBe('unsupported_media_type');
    expect(isErrorShape(r.json())).toBe(true);
  });

  it('text/plain is refused with a 4xx, never run', async () => {
    const r = await raw({ headers: { 'content-type': 'text/plain' }, payload: JSON.stringify(valid()) });
    expect(r.statusCode).toBeGreaterThanOrEqual(400);
    expect(r.statusCode).toBeLessThan(500);
    expect(isErrorShape(r.json())).toBe(true);
  });

  it('an unknown route → 404 route_not_found', async () => {
    const r = await t.inject('GET', '/v1/nothing-here', router());
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe('route_not_found');
    expect(isErrorShape(r.json)).toBe(true);
  });

  it('a bad query parameter → 400 naming it', async () => {
    const r = await t.inject('GET', '/v1/records/crm/contacts?limit=0&colour=red', router());
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('invalid_query');
    expect(r.json.error.message).toContain('limit');
  });

  it('the request id of an error is the one in the x-request-id header', async () => {
    const r = await t.inject('GET', '/v1/nothing-here');
    expect(r.json.error.request_id).toBe(r.headers['x-request-id']);
  });
});

// --- properties: nothing a caller sends yields a 5xx ---

const isActionShape = (j: unknown) => {
  const a = j as Record<string, unknown> | undefined;
  return typeof a?.id === 'string' && typeof a.status === 'string' && typeof a.audit_event_id === 'string';
};

/** `usual` most of the time, else one of `others`. */
const likely = (usual: string, others: string[]) =>
  fc.oneof({ weight: 4, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: fc.constantFrom(...others) });

const FIELDS = [
  'connector',
  'object',
  'operation',
  'records',
  'target',
  'params',
  'reason',
  'idempotency_key',
  'colour',
];

/** Requests that pass the schema more often than not, aimed at every stage of the pipeline. */
const plausibleRequest = () =>
  fc.record(
    {
      connector: likely('crm', ['erp']),
      object: likely('contacts', ['companies', 'price_book', 'marketing_emails', 'campaigns', 'nope']),
      operation: likely('update', ['create', 'launch', 'read', 'delete']),
      edit: fc.oneof(
        fc.record({
          records: fc.array(
            fc.record({
              id: fc.oneof(
                { weight: 4, arbitrary: fc.constantFrom(...inScope.slice(0, 8)) },
                fc.constantFrom(...outOfScope.slice(0, 3), 'c_0', 'cmp_1', 'nope'),
              ),
              changes: fc.oneof(
                {
                  weight: 3,
                  arbitrary: fc.record({ owner_id: fc.oneof(fc.string({ maxLength: 20 }), fc.constant(null)) }),
                },
                fc.dictionary(
                  fc.constantFrom(
                    'owner_id',
                    'lifecyclestage',
                    'email',
                    'lead_score',
                    'nope',
                    'constructor',
                    '__proto__',
                  ),
                  fc.oneof(
                    fc.string({ maxLength: 20 }),
                    fc.constant(null),
                    fc.constantFrom('customer', '42', '-1.5e9'),
                  ),
                  { minKeys: 1, maxKeys: 3 },
                ),
              ),
            }),
            { minLength: 1, maxLength: 3 },
          ),
        }),
        fc.record({
          target: fc.constantFrom('cmp_1', 'cmp_2', 'c_1', 'nope'),
          params: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }),
        }),
      ),
      reason: fc.constantFrom('because', 'x'.repeat(300)),
      idempotency_key: fc.option(fc.constantFrom('k1', 'k2', 'k3'), { nil: undefined }),
    },
    { requiredKeys: ['connector', 'object', 'operation', 'edit', 'reason'] },
  );

/** A plausible request, then at most two fields replaced by junk (or an unknown field added). */
const mutatedRequest = () =>
  fc
    .tuple(
      plausibleRequest(),
      fc.oneof(
        { weight: 2, arbitrary: fc.constant([] as [string, unknown][]) },
        fc.array(fc.tuple(fc.constantFrom(...FIELDS), fc.oneof(fc.jsonValue(), fc.constant(undefined))), {
          minLength: 1,
          maxLength: 2,
        }),
      ),
    )
    .map(([{ edit, ...rest }, mutations]) => {
      const req: Record<string, unknown> = { ...rest, ...edit };
      for (const [field, junk] of mutations) req[field] = junk;
      return JSON.stringify(req);
    });

describe('property: no caller input yields a 5xx', () => {
  it('random bodies POSTed to /v1/actions answer an action or the error shape, never 5xx', async () => {
    const body = fc.oneof(
      fc.json(),
      mutatedRequest(),
      fc.string(),
      mutatedRequest().chain((s) => fc.nat({ max: Math.max(0, s.length - 1) }).map((cut) => s.slice(0, cut))),
    );
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        clock.advance(1_000);
        const r = await raw({ payload });
        expect(r.statusCode, `${payload} → ${r.body}`).toBeLessThan(500);
        const json = r.json();
        if (r.statusCode < 300) expect(isActionShape(json), r.body).toBe(true);
        else expect(isErrorShape(json), r.body).toBe(true);
      }),
      { numRuns: 250, seed: 20260302 },
    );
    expect((await t.inject('GET', '/healthz')).status).toBe(200);
  });

  it('random query strings and path segments on the record routes never yield a 5xx', async () => {
    const value = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom('0', '-1', '1', '501', '1e3', 'abc', 'country:EQ:US', 'email:EQ:x', 'eyJrIjoibCIsInMiOjY1fQ', ''),
    );
    const query = fc.dictionary(fc.constantFrom('limit', 'after', 'filter', 'properties', 'zzz'), value, {
      maxKeys: 4,
    });
    const segment = fc.oneof(
      fc.constantFrom('contacts', 'companies', 'price_book', 'nope'),
      fc.string({ maxLength: 12 }),
    );
    const id = fc.option(
      fc.oneof(fc.constantFrom(...inScope.slice(0, 3), ...outOfScope.slice(0, 3)), fc.string({ maxLength: 12 })),
    );
    const connector = fc.constantFrom('crm', 'erp');
    await fc.assert(
      fc.asyncProperty(connector, segment, id, query, async (conn, object, rid, q) => {
        const path = `/v1/records/${conn}/${encodeURIComponent(object)}${rid === null ? '' : `/${encodeURIComponent(rid)}`}`;
        const url = `${path}?${new URLSearchParams(q).toString()}`;
        const r = await t.gh.http.inject({ method: 'GET', url, headers: { authorization: `Bearer ${router()}` } });
        expect(r.statusCode, `${url} → ${r.body}`).toBeLessThan(500);
        if (r.statusCode >= 400) expect(isErrorShape(r.json()), `${url} → ${r.body}`).toBe(true);
      }),
      { numRuns: 250, seed: 20260302 },
    );
  });
});

// --- every route in the registry: the MCP server, shadow, dashboard and governance routes included ---

type Route = { method: string; path: string; query: string[]; body: string[] };

/** The routes as the OpenAPI document publishes them (the registry every route registers with). */
async function registeredRoutes(): Promise<Route[]> {
  const doc = (await t.inject('GET', '/v1/openapi.json')).json as {
    paths: Record<
      string,
      Record<
        string,
        {
          parameters?: { name: string; in: string }[];
          requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
        }
      >
    >;
  };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
      body: Object.keys(op.requestBody?.content?.['application/json']?.schema?.properties ?? {}),
    })),
  );
}

/** Resolves within `ms` or fails the test naming the request: a hang is a bug too. */
function bounded<T>(p: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, hang]).finally(() => clearTimeout(timer));
}

const isJsonRpcError = (j: unknown) => {
  const e = (j as { jsonrpc?: string; error?: { code?: unknown } } | undefined)?.error;
  return (j as { jsonrpc?: string } | undefined)?.jsonrpc === '2.0' && typeof e?.code === 'number';
};

describe('every registered route', () => {
  let routes: Route[];
  let cookie: string;
  let ids: Record<string, string[]>;

  beforeAll(async () => {
    routes = await registeredRoutes();
    const { setPassword } = await import('../../src/core/auth/credentials.js');
    await setPassword(
      { storage: t.gh.storage, clock: t.gh.pipeline.clock, personIds: new Set(t.config.people.map((p) => p.id)) },
      { personId: 'maria', password: 'maria-has-a-long-passphrase', actor: 'system:test' },
    );
    const signIn = await t.gh.http.inject({
      method: 'POST',
      url: '/v1/session',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ person: 'maria', password: 'maria-has-a-long-passphrase' }),
    });
    expect(signIn.statusCode, signIn.body).toBe(200);
    cookie = String(signIn.headers['set-cookie']).split(';')[0]!;
    const actions = (await t.inject('GET', '/v1/actions?limit=5', t.keys.maria)).json.results as { id: string }[];
    const approvals = (await t.inject('GET', '/v1/approvals?limit=5', t.keys.maria)).json.results as { id: string }[];
    ids = {
      id: [
        ...t.config.agents.map((a) => a.id),
        ...t.config.breakers.map((b) => b.id),
        ...actions.map((a) => a.id),
        ...approvals.map((a) => a.id),
        ...inScope.slice(0, 2),
      ],
      connector: ['crm', 'erp'],
      object: ['contacts', 'marketing_emails'],
    };
  });

  it('the registry lists the routes added with the MCP server, shadow mode and the dashboard', () => {
    const listed = new Set(routes.map((r) => `${r.method} ${r.path}`));
    for (const r of [
      'POST /mcp',
      'GET /mcp',
      'DELETE /mcp',
      'GET /v1/overview',
      'GET /v1/agents/{id}',
      'GET /v1/governance',
      'GET /v1/events',
      'GET /v1/breakers/{id}',
      'GET /v1/breakers/{id}/incidents',
      'POST /v1/approvals/{id}/preview',
      'GET /v1/agents/{id}/shadow',
      'GET /v1/agents/{id}/modes',
      'POST /v1/agents/{id}/promote',
      'GET /v1/policies/dry-run',
    ])
      expect(listed, r).toContain(r);
  });

  /** Random requests to `fuzzable` with `key`: never a 5xx, never a hang, errors in the one shape. */
  async function fuzzRoutes(fuzzable: Route[], key: fc.Arbitrary<string | undefined>, numRuns: number) {
    const value = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom(
        '0',
        '-1',
        '1',
        '1e9',
        '99999999999',
        'NaN',
        'banana',
        '24h',
        '-5d',
        '7d',
        '9999999d',
        '99999999d',
        'day',
        'week',
        'contacts.update',
        'nope.nope',
        'pending',
        'lead-router',
        'gated',
        'autonomous',
        'observe',
        'approve',
        'reject',
        'agent:subject-optimizer',
        '',
      ),
    );
    const pathId = (name: string) =>
      fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...(ids[name] ?? ['x'])) }, fc.string({ maxLength: 12 }));
    const request = fc.constantFrom(...fuzzable).chain((route) =>
      fc.record({
        route: fc.constant(route),
        key,
        viaCookie: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, fc.constant(true)),
        params: fc.tuple(...(route.path.match(/\{(\w+)\}/g) ?? []).map((p) => pathId(p.slice(1, -1)))),
        query: fc.oneof(
          { weight: 4, arbitrary: fc.dictionary(fc.constantFrom(...route.query, 'since'), value, { maxKeys: 3 }) },
          fc.dictionary(fc.constantFrom('zzz', 'limit'), value, { maxKeys: 2 }),
        ),
        body: fc.oneof(
          fc.dictionary(
            fc.constantFrom(...route.body, 'zzz'),
            fc.oneof(value, fc.jsonValue({ maxDepth: 2 }), fc.constant(true)),
            { maxKeys: 4 },
          ),
          fc.jsonValue({ maxDepth: 2 }),
        ),
        rawBody: fc.option(fc.constantFrom('{"x":', '', '[]', 'null', '{"jsonrpc":"2.0"}'), { freq: 4 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(request, async ({ route, key: k, viaCookie, params, query, body, rawBody }) => {
        let i = 0;
        const path = route.path.replace(/\{\w+\}/g, () => encodeURIComponent(String(params[i++] ?? '')));
        // `wait` holds GET /v1/actions/:id open up to 60 s by design; keep it short here.
        if ('wait' in query) query.wait = '0';
        const qs = new URLSearchParams(query).toString();
        const url = qs ? `${path}?${qs}` : path;
        const hasBody = route.method === 'POST';
        const payload = rawBody ?? JSON.stringify(body);
        const what = `${route.method} ${url} ${hasBody ? payload : ''}`;
        const r = await bounded(
          t.gh.http.inject({
            method: route.method as 'GET',
            url,
            headers: {
              ...(k ? { authorization: `Bearer ${k}` } : {}),
              ...(viaCookie ? { cookie } : {}),
              ...(hasBody ? { 'content-type': 'application/json' } : {}),
              ...(route.path === '/mcp' ? { accept: 'application/json, text/event-stream' } : {}),
            },
            ...(hasBody ? { payload } : {}),
          }),
          what,
        );
        expect(r.statusCode, `${what} → ${r.body}`).toBeLessThan(500);
        if (r.statusCode >= 400) {
          const json = r.json();
          const ok = isErrorShape(json) || (route.path === '/mcp' && isJsonRpcError(json));
          expect(ok, `${what} → ${r.body}`).toBe(true);
        }
      }),
      { numRuns, seed: 20261125 },
    );
    expect((await t.inject('GET', '/healthz')).status).toBe(200);
  }

  // GET /v1/events streams until the client goes away; it has its own test below.
  const streams = (r: Route) => r.method === 'GET' && r.path === '/v1/events';

  it('random keys, path ids, query strings and bodies on every route never yield a 5xx or a hang', async () => {
    // Mostly keys that pass authentication, so the requests reach validation and the handlers.
    const key = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom<string | undefined>(t.keys.maria, router()) },
      fc.constantFrom<string | undefined>(undefined, t.keys.ana, t.keys['subject-optimizer'], 'gh_person_nope'),
    );
    await fuzzRoutes(
      routes.filter((r) => !streams(r)),
      key,
      800,
    );
  }, 120_000);

  it('an admin key on the dashboard, shadow, breaker and policy routes reaches the handlers without a 5xx', async () => {
    const personRoutes = routes.filter(
      (r) =>
        !streams(r) && /^\/v1\/(overview|governance|agents|breakers|policies|approvals\/\{id\}\/preview)/.test(r.path),
    );
    expect(personRoutes.length).toBeGreaterThan(10);
    await fuzzRoutes(personRoutes, fc.constant(t.keys.maria), 600);
  }, 120_000);

  it('an agent key on /mcp: random JSON-RPC never yields a 5xx', async () => {
    await fuzzRoutes(
      routes.filter((r) => r.path === '/mcp'),
      fc.constant(router()),
      150,
    );
  }, 120_000);

  it('well-formed JSON-RPC tool calls with junk arguments answer a tool error, never a 5xx', async () => {
    const args = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.dictionary(
        fc.constantFrom(
          'limit',
          'after',
          'properties',
          'id',
          'filters',
          'records',
          'reason',
          'idempotency_key',
          'action_id',
        ),
        fc.oneof(
          fc.jsonValue({ maxDepth: 3 }),
          fc.constantFrom(inScope[0], outOfScope[0], 'c_0', 'act_nope', -1, 1e9, 'eyJrIjoibCIsInMiOjY1fQ'),
          fc.constant([{ id: inScope[1], changes: { owner_id: 'u_2', email: 'x@y.z' } }]),
          fc.constant([{ property: 'country', operator: 'EQ', value: 'US' }]),
        ),
        { maxKeys: 4 },
      ),
    );
    const call = fc.record({
      jsonrpc: fc.constant('2.0'),
      id: fc.oneof(fc.nat(), fc.string({ maxLength: 5 })),
      method: fc.constantFrom('tools/call', 'tools/list', 'ping', 'resources/list', 'nope'),
      params: fc.record({
        name: fc.constantFrom(
          'contacts_list',
          'contacts_get',
          'contacts_search',
          'contacts_update',
          'gatehouse_action_status',
          'campaigns_launch',
        ),
        arguments: args,
      }),
    });
    await fc.assert(
      fc.asyncProperty(call, async (msg) => {
        clock.advance(1_000);
        const payload = JSON.stringify(msg);
        const r = await bounded(
          t.gh.http.inject({
            method: 'POST',
            url: '/mcp',
            headers: {
              authorization: `Bearer ${router()}`,
              'content-type': 'application/json',
              accept: 'application/json, text/event-stream',
            },
            payload,
          }),
          payload,
        );
        expect(r.statusCode, `${payload} → ${r.body}`).toBeLessThan(500);
        const json = r.json<{ result?: { structuredContent?: { error?: { code?: string } } } }>();
        expect(r.body, payload).not.toContain('"internal"');
        if (json.result?.structuredContent?.error)
          expect(json.result.structuredContent.error.code).toMatch(/^[a-z_]+$/);
      }),
      { numRuns: 200, seed: 20261125 },
    );
  }, 120_000);

  it('a session cookie without x-csrf-token changes nothing on any state-changing route', async () => {
    for (const route of routes.filter((r) => r.method !== 'GET' && r.path !== '/v1/session')) {
      const url = route.path.replace(/\{(\w+)\}/g, (_m, name: string) => ids[name]?.[0] ?? 'x');
      const r = await t.gh.http.inject({
        method: route.method as 'POST',
        url,
        headers: { cookie, 'content-type': 'application/json' },
        payload: '{}',
      });
      expect(r.statusCode, `${route.method} ${url} → ${r.body}`).toBeGreaterThanOrEqual(400);
      expect(r.statusCode, `${route.method} ${url} → ${r.body}`).toBeLessThan(500);
    }
    const out = await t.gh.http.inject({ method: 'DELETE', url: '/v1/session', headers: { cookie } });
    expect(out.statusCode).toBe(403);
    expect(out.json().error.code).toBe('csrf_failed');
  });

  it('GET /v1/events with a garbage Last-Event-ID answers a 4xx or starts the stream, never a 5xx', async () => {
    const base = await t.gh.listen(0);
    for (const [header, query] of [
      ['garbage', ''],
      ['-5', ''],
      ['99999999999999999999999', ''],
      ['1.5', ''],
      ['', 'last_event_id=banana'],
      ['', 'last_event_id=-1'],
      ['', 'zzz=1'],
    ] as const) {
      const ac = new AbortController();
      const res = await bounded(
        fetch(`${base}/v1/events${query ? `?${query}` : ''}`, {
          headers: { authorization: `Bearer ${t.keys.maria}`, ...(header ? { 'last-event-id': header } : {}) },
          signal: ac.signal,
        }),
        `events ${header} ${query}`,
      );
      try {
        expect(res.status, `${header} ${query}`).toBeLessThan(500);
        if (res.status >= 400) expect(isErrorShape(await res.json())).toBe(true);
        else {
          const first = await bounded(res.body!.getReader().read(), 'first SSE chunk');
          expect(new TextDecoder().decode(first.value)).toContain(': connected');
        }
      } finally {
        ac.abort();
      }
    }
  });
});
