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
