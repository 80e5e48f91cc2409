import { describe, expect, it } from 'vitest';
import { createGatehouseClient, GatehouseApiError, isFinalStatus, type ActionRequest } from './index.js';
import { createFakeGateway, fakeAction, type FakeGateway } from './testing.js';
import { parseRetryAfter } from './transport.js';

const update: ActionRequest = {
  connector: 'crm',
  object: 'contacts',
  operation: 'update',
  records: [{ id: 'c_123', changes: { owner_id: 'u_7' } }],
  reason: 'Route to the EMEA rep',
};

function setup(retries = { attempts: 3, baseDelayMs: 1 }) {
  const fake = createFakeGateway();
  const gh = createGatehouseClient({
    baseUrl: 'http://gatehouse.test/',
    key: 'gh_agent_key',
    fetch: fake.fetch,
    retries,
  });
  return { fake, gh };
}

async function caught(p: Promise<unknown>): Promise<GatehouseApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatehouseApiError);
  return err as GatehouseApiError;
}

const idempotencyKeys = (fake: FakeGateway) =>
  fake.calls.map((c) => (c.body as { idempotency_key?: string }).idempotency_key);

describe('actions.submit', () => {
  it('returns executed actions and sends the bearer key', async () => {
    const { fake, gh } = setup();
    fake.expect('POST', '/v1/actions', fake.respondExecuted({ id: 'act_1' }));
    const action = await gh.actions.submit(update);
    expect(action.id).toBe('act_1');
    expect(action.status).toBe('executed');
    expect(action.changeset.records[0]?.after).toEqual({ owner_id: 'u_7' });
    expect(fake.calls[0]?.headers.authorization).toBe('Bearer gh_agent_key');
    fake.assertDone();
  });

  it('treats pending, shadowed, denied and breaker_open as results, not errors', async () => {
    const { fake, gh } = setup();
    fake
      .expect('POST', '/v1/actions', fake.respondPending())
      .expect('POST', '/v1/actions', fake.respondShadowed())
      .expect(
        'POST',
        '/v1/actions',
        fake.respondDenied('field_not_writable', 'lead-router may not write contacts.lifecyclestage'),
      )
      .expect('POST', '/v1/actions', fake.respondBreakerOpen());
    const pending = await gh.actions.submit(update);
    expect([pending.status, pending.approval?.id]).toEqual(['pending_approval', 'apr_fake_1']);
    expect((await gh.actions.submit(update)).status).toBe('shadowed');
    const denied = await gh.actions.submit(update);
    expect(denied.status).toBe('denied');
    expect(denied.error?.code).toBe('field_not_writable');
    expect(denied.decision.effect).toBe('deny');
    const halted = await gh.actions.submit(update);
    expect([halted.status, halted.error?.code]).toEqual(['breaker_open', 'breaker_open']);
    fake.assertDone();
  });

  it('generates a fresh idempotency key per submit and keeps a given one', async () => {
    const { fake, gh } = setup();
    fake
      .expect('POST', '/v1/actions', fake.respondExecuted())
      .expect('POST', '/v1/actions', fake.respondExecuted())
      .expect('POST', '/v1/actions', fake.respondExecuted());
    await gh.actions.submit(update);
    await gh.actions.submit(update);
    await gh.actions.submit({ ...update, idempotency_key: 'mine-1' });
    const [a, b, c] = idempotencyKeys(fake);
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(b).toMatch(/^[0-9a-f-]{36}$/);
    expect(a).not.toBe(b);
    expect(c).toBe('mine-1');
  });

  it('reuses the idempotency key on every retry (network error, 503, 429 with Retry-After)', async () => {
    const { fake, gh } = setup({ attempts: 4, baseDelayMs: 1 });
    fake
      .expect('POST', '/v1/actions', fake.respondNetworkError())
      .expect('POST', '/v1/actions', fake.respondError(503, 'not_ready', 'starting'))
      .expect('POST', '/v1/actions', {
        ...fake.respondError(429, 'rate_limited', 'slow down'),
        headers: { 'retry-after': '0' },
      })
      .expect('POST', '/v1/actions', fake.respondExecuted());
    const action = await gh.actions.submit(update);
    expect(action.status).toBe('executed');
    const keys = idempotencyKeys(fake);
    expect(keys).toHaveLength(4);
    expect(new Set(keys).size).toBe(1);
    expect(action.idempotency_key).toBe(keys[0]);
    fake.assertDone();
  });

  it('gives up after the bounded attempts with network_error', async () => {
    const { fake, gh } = setup({ attempts: 2, baseDelayMs: 1 });
    fake
      .expect('POST', '/v1/actions', fake.respondNetworkError('ECONNRESET'))
      .expect('POST', '/v1/actions', fake.respondNetworkError('ECONNRESET'));
    const err = await caught(gh.actions.submit(update));
    expect(err.code).toBe('network_error');
    expect(err.status).toBeUndefined();
    expect(err.message).toContain('after 2 attempts');
    fake.assertDone();
  });

  it('waits the Retry-After a 429 asks for before retrying', async () => {
    const { fake, gh } = setup();
    fake
      .expect('GET', '/v1/agents', {
        ...fake.respondError(429, 'rate_limited', 'slow down'),
        headers: { 'retry-after': '1' },
      })
      .expect('GET', '/v1/agents', { body: [] });
    const started = Date.now();
    await gh.agents.list();
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    fake.assertDone();
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3_000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('does not wait out a Retry-After longer than maxDelayMs: the 429 surfaces', async () => {
    const fake = createFakeGateway();
    const gh = createGatehouseClient({
      baseUrl: 'http://g.test',
      key: 'k',
      fetch: fake.fetch,
      retries: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1000 },
    });
    fake.expect('POST', '/v1/actions', {
      ...fake.respondError(429, 'rate_limited', 'budget'),
      headers: { 'retry-after': '120' },
    });
    const err = await caught(gh.actions.submit(update));
    expect([err.code, err.status]).toEqual(['rate_limited', 429]);
    fake.assertDone();
  });

  it('throws the server error with code, status, request id and details for malformed input', async () => {
    const { fake, gh } = setup();
    fake.expect('POST', '/v1/actions', {
      status: 400,
      body: {
        error: {
          code: 'invalid_request',
          message: 'records[0].id is required',
          details: { path: 'records.0.id' },
          request_id: 'req_42',
        },
      },
    });
    const err = await caught(gh.actions.submit(update));
    expect(err.code).toBe('invalid_request');
    expect(err.status).toBe(400);
    expect(err.requestId).toBe('req_42');
    expect(err.details).toEqual({ path: 'records.0.id' });
    expect(err.message).toBe('records[0].id is required');
  });

  it('reports a non-JSON answer as bad_response naming the status, with the header request id', async () => {
    const { fake, gh } = setup({ attempts: 1, baseDelayMs: 1 });
    fake.expect('POST', '/v1/actions', {
      status: 502,
      rawBody: '<html>Bad Gateway</html>',
      headers: { 'content-type': 'text/html', 'x-request-id': 'req_proxy' },
    });
    const err = await caught(gh.actions.submit(update));
    expect(err.code).toBe('bad_response');
    expect(err.status).toBe(502);
    expect(err.message).toContain('HTTP 502');
    expect(err.message).toContain('text/html');
    expect(err.requestId).toBe('req_proxy');
  });
});

describe('actions.get / wait', () => {
  it('long-polls with ?wait until the action is final', async () => {
    const { fake, gh } = setup();
    fake
      .expect('GET', '/v1/actions/act_9', fake.respondPending())
      .expect(
        'GET',
        '/v1/actions/act_9?wait=5',
        fake.respondPending({ updated_at: '2025-01-01T00:01:00.000Z', status: 'approved' }),
      )
      .expect('GET', '/v1/actions/act_9?wait=5', fake.respondExecuted());
    const view = await gh.actions.wait('act_9', { pollSeconds: 5, minIntervalMs: 0 });
    expect(view.id).toBe('act_9');
    expect(view.status).toBe('executed');
    fake.assertDone();
  });

  it('returns at once when the action is already final', async () => {
    const { fake, gh } = setup();
    fake.expect('GET', '/v1/actions/act_1', fake.respondDenied('policy_denied', 'no'));
    expect((await gh.actions.wait('act_1')).status).toBe('denied');
    fake.assertDone();
  });

  it('returns the latest non-final view when the timeout passes', async () => {
    const { fake, gh } = setup();
    fake
      .expect('GET', '/v1/actions/act_2', fake.respondPending())
      .expect('GET', '/v1/actions/act_2?wait=1', fake.respondPending());
    const started = Date.now();
    const view = await gh.actions.wait('act_2', { timeoutMs: 50, minIntervalMs: 1_000 });
    expect(view.status).toBe('pending_approval');
    expect(isFinalStatus(view.status)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
    fake.assertDone();
  });

  it('throws action_not_found for an unknown id', async () => {
    const { fake, gh } = setup();
    fake.expect('GET', '/v1/actions/nope', fake.respondError(404, 'action_not_found', 'no action nope'));
    expect((await caught(gh.actions.get('nope'))).code).toBe('action_not_found');
  });
});

describe('records', () => {
  const rec = (id: string) => ({ id, properties: { email: `${id}@example.com` } });

  it('iterate() walks every page in order, following paging.next.after', async () => {
    const { fake, gh } = setup();
    fake
      .expect('GET', '/v1/records/crm/contacts?limit=2&properties=email,owner_id', {
        body: { results: [rec('a'), rec('b')], paging: { next: { after: 'p2' } } },
      })
      .expect('GET', '/v1/records/crm/contacts?limit=2&properties=email,owner_id&after=p2', {
        body: { results: [rec('c'), rec('d')], paging: { next: { after: 'p3' } } },
      })
      .expect('GET', '/v1/records/crm/contacts?limit=2&properties=email,owner_id&after=p3', {
        body: { results: [rec('e')] },
      });
    const ids: string[] = [];
    for await (const r of gh.records.iterate('crm', 'contacts', { limit: 2, properties: ['email', 'owner_id'] }))
      ids.push(r.id);
    expect(ids).toEqual(['a', 'b', 'c', 'd', 'e']);
    fake.assertDone();
  });

  it('iterate() refuses a server that repeats a cursor instead of looping forever', async () => {
    const { fake, gh } = setup();
    const page = { body: { results: [rec('a')], paging: { next: { after: 'same' } } } };
    fake.expect('GET', '/v1/records/crm/contacts', page).expect('GET', '/v1/records/crm/contacts?after=same', page);
    const walk = async () => {
      for await (const _ of gh.records.iterate('crm', 'contacts')) void _;
    };
    const err = await caught(walk());
    expect(err.code).toBe('bad_response');
    expect(err.message).toContain('repeated the paging cursor');
  });

  it('get() of a record outside the grant throws the 404 code, never returns undefined', async () => {
    const { fake, gh } = setup();
    fake.expect('GET', '/v1/records/crm/contacts/c%2F1', fake.respondError(404, 'record_not_found', 'no such record'));
    const err = await caught(gh.records.get('crm', 'contacts', 'c/1'));
    expect([err.code, err.status, err.requestId]).toEqual(['record_not_found', 404, 'req_fake_error']);
  });

  it('search() posts { filters, limit, after }', async () => {
    const { fake, gh } = setup();
    const filters = [{ property: 'country', operator: 'eq', value: 'DE' }];
    fake.expect(
      'POST',
      '/v1/records/crm/contacts/search',
      { body: { results: [rec('x')] } },
      {
        body: (b) => JSON.stringify(b) === JSON.stringify({ filters, limit: 10, after: 'p1' }),
      },
    );
    const page = await gh.records.search('crm', 'contacts', { filters, limit: 10, after: 'p1' });
    expect(page.results.map((r) => r.id)).toEqual(['x']);
    expect(page.paging).toBeUndefined();
    fake.assertDone();
  });
});

describe('people-facing sub-clients', () => {
  it('approvals.decide posts the decision and is not replayed after a lost answer', async () => {
    const { fake, gh } = setup();
    fake.expect('POST', '/v1/approvals/apr_1/decision', fake.respondNetworkError());
    const err = await caught(gh.approvals.decide('apr_1', { decision: 'approve', comment: 'ok' }));
    expect(err.code).toBe('network_error');
    expect(fake.calls).toHaveLength(1);

    fake.expect(
      'POST',
      '/v1/approvals/apr_1/decision',
      {
        body: {
          result: 'approved',
          approval: { id: 'apr_1', action_id: 'act_1', status: 'approved', required: 1, expires_at: 'x' },
          action: fakeAction('executed'),
        },
      },
      {
        body: (b) => (b as { decision: string; checklist: Record<string, boolean> }).checklist['brand-tone'] === true,
      },
    );
    const view = await gh.approvals.decide('apr_1', {
      decision: 'approve',
      comment: 'ok',
      checklist: { 'brand-tone': true },
    });
    expect([view.result, view.approval.status, view.action.status]).toEqual(['approved', 'approved', 'executed']);
    fake.assertDone();
  });

  it('approvals.decide retries a 503 (the server did not act) but surfaces a 502 (it may have)', async () => {
    const { fake, gh } = setup();
    fake
      .expect('POST', '/v1/approvals/apr_2/decision', fake.respondError(503, 'not_ready', 'restarting'))
      .expect('POST', '/v1/approvals/apr_2/decision', {
        body: {
          result: 'rejected',
          approval: { id: 'apr_2', action_id: 'act_2', status: 'rejected', required: 1, expires_at: 'x' },
          action: fakeAction('rejected'),
        },
      })
      .expect('POST', '/v1/approvals/apr_3/decision', fake.respondError(502, 'connector_unavailable', 'upstream'));
    expect((await gh.approvals.decide('apr_2', { decision: 'reject', comment: 'wrong segment' })).result).toBe(
      'rejected',
    );
    const err = await caught(gh.approvals.decide('apr_3', { decision: 'approve', comment: 'ok' }));
    expect([err.code, err.status]).toEqual(['connector_unavailable', 502]);
    fake.assertDone();
  });

  it('lists wrap bare arrays into { results } and pass query options', async () => {
    const { fake, gh } = setup();
    fake
      .expect('GET', '/v1/approvals?status=pending', {
        body: [{ id: 'apr_1', status: 'pending', required: 2, expires_at: 'x' }],
      })
      .expect('GET', '/v1/agents', { body: { results: [{ id: 'lead-router', mode: 'gated' }] } })
      .expect(
        'POST',
        '/v1/agents/lead-router/mode',
        { body: { id: 'lead-router', mode: 'paused' } },
        {
          body: (b) => JSON.stringify(b) === '{"mode":"paused","comment":"incident 12"}',
        },
      )
      .expect('POST', '/v1/breakers/ctr-drop/reset', { body: { id: 'ctr-drop', state: 'closed' } })
      .expect('POST', '/v1/kpis', { status: 202, body: { accepted: 1 } })
      .expect('GET', '/v1/audit?after=10&limit=2', { body: { results: [{ seq: 11 }, { seq: 12 }] } })
      .expect('GET', '/v1/audit/verify', { status: 409, body: { ok: false, entries: 12, checkpoints: 1 } });
    expect((await gh.approvals.list({ status: 'pending' })).results[0]?.required).toBe(2);
    expect((await gh.agents.list()).results[0]?.mode).toBe('gated');
    expect((await gh.agents.setMode('lead-router', 'paused', 'incident 12')).mode).toBe('paused');
    expect((await gh.breakers.reset('ctr-drop', 'checked the campaign')).state).toBe('closed');
    expect(
      await gh.kpis.push([{ metric: 'email.clicks', value: 12, at: '2025-01-01T00:00:00Z', dims: { email_id: 'e1' } }]),
    ).toEqual({ accepted: 1 });
    expect((await gh.audit.list({ after: 10, limit: 2 })).results.map((e) => e.seq)).toEqual([11, 12]);
    expect(await gh.audit.verify()).toEqual({ ok: false, entries: 12, checkpoints: 1 });
    fake.assertDone();
  });
});

describe('createGatehouseClient options', () => {
  it.each([
    [{ baseUrl: 'not a url', key: 'k' }, 'baseUrl'],
    [{ baseUrl: 'ftp://x', key: 'k' }, 'baseUrl'],
    [{ baseUrl: 'http://x', key: '' }, 'key'],
    [{ baseUrl: 'http://x', key: 'k', retries: { attempts: 0, baseDelayMs: 1 } }, 'retries.attempts'],
    [{ baseUrl: 'http://x', key: 'k', timeoutMs: -1 }, 'timeoutMs'],
  ])('rejects %j naming %s', (options, field) => {
    let err: unknown;
    try {
      createGatehouseClient(options);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatehouseApiError);
    expect((err as GatehouseApiError).code).toBe('invalid_options');
    expect((err as GatehouseApiError).message).toContain(field);
  });

  it('keeps a path prefix in baseUrl', async () => {
    const fake = createFakeGateway();
    const gh = createGatehouseClient({ baseUrl: 'http://proxy.test/gatehouse/', key: 'k', fetch: fake.fetch });
    fake.expect('GET', '/gatehouse/v1/actions/act_1', { body: fakeAction('executed') });
    expect((await gh.actions.get('act_1')).status).toBe('executed');
  });
});
