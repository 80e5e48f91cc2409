import { describe, expect, it } from 'vitest';
import { createGatehouseClient, GatehouseApiError } from './index.js';
import { createFakeGateway, UnexpectedRequestError } from './testing.js';

function setup() {
  const fake = createFakeGateway();
  const gh = createGatehouseClient({
    baseUrl: 'http://gatehouse.test',
    key: 'k',
    fetch: fake.fetch,
    retries: { attempts: 3, baseDelayMs: 1 },
  });
  return { fake, gh };
}

const submit = {
  connector: 'crm',
  object: 'contacts',
  operation: 'update',
  records: [{ id: 'c_1', changes: { owner_id: 'u_7' } }],
  reason: 'because',
} as const;

describe('createFakeGateway', () => {
  it('fails an unexpected call with method, path, body and what was expected next — and never retries it', async () => {
    const { fake, gh } = setup();
    fake.expect('GET', '/v1/actions/act_1', fake.respondExecuted());
    const err = await gh.actions.submit(submit).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnexpectedRequestError);
    const message = (err as Error).message;
    expect(message).toContain('POST /v1/actions');
    expect(message).toContain('"owner_id":"u_7"');
    expect(message).toContain('expected next: GET /v1/actions/act_1');
    expect(message).toContain('method differs');
    expect(fake.calls).toHaveLength(1);
  });

  it('fails a call when nothing more is expected', async () => {
    const { fake, gh } = setup();
    await expect(gh.agents.list()).rejects.toThrow('unexpected request GET /v1/agents; no more requests were expected');
    expect(() => fake.assertDone()).toThrow('GET /v1/agents');
  });

  it('assertDone() fails while expectations are left unconsumed, and names them', async () => {
    const { fake, gh } = setup();
    fake
      .expect('GET', '/v1/agents', { body: { results: [] } })
      .expect('GET', '/v1/breakers', { body: { results: [] } });
    await gh.agents.list();
    expect(fake.pending()).toEqual(['GET /v1/breakers']);
    expect(() => fake.assertDone()).toThrow('expected GET /v1/breakers but it was never requested');
    await gh.breakers.list();
    expect(() => fake.assertDone()).not.toThrow();
  });

  it('assertDone() still fails when the code under test swallowed the unexpected-call error', async () => {
    const { fake, gh } = setup();
    await gh.agents.list().catch(() => undefined);
    expect(() => fake.assertDone()).toThrow(/unexpected request GET \/v1\/agents/);
  });

  it('applies the body matcher and reports a failing one', async () => {
    const { fake, gh } = setup();
    fake.expect('POST', '/v1/actions', fake.respondExecuted(), {
      body: (b) => (b as { reason: string }).reason === 'something else',
    });
    await expect(gh.actions.submit(submit)).rejects.toThrow('body check returned false');
    expect(fake.pending()).toHaveLength(1);
  });

  it('requires the query to match (order-insensitive) unless a RegExp is given', async () => {
    const { fake, gh } = setup();
    fake.expect('GET', '/v1/approvals', { body: [] });
    await expect(gh.approvals.list({ status: 'pending' })).rejects.toThrow('query differs');

    const other = setup();
    other.fake
      .expect('GET', '/v1/audit?limit=5&after=3', { body: [] })
      .expect('GET', '/v1/actions/act_7', other.fake.respondPending())
      .expect('GET', /^\/v1\/actions\/act_7\?wait=\d+$/, other.fake.respondExecuted());
    await other.gh.audit.list({ after: 3, limit: 5 });
    expect((await other.gh.actions.wait('act_7', { pollSeconds: 3 })).status).toBe('executed');
    expect(other.fake.calls.map((c) => c.query)).toEqual([{ after: '3', limit: '5' }, {}, { wait: '3' }]);
    other.fake.assertDone();
  });

  it('builds action answers that echo the submitted request', async () => {
    const { fake, gh } = setup();
    fake.expect('POST', '/v1/actions', fake.respondPending({ id: 'act_5' }));
    const view = await gh.actions.submit({ ...submit, idempotency_key: 'k-1' });
    expect(view).toMatchObject({
      id: 'act_5',
      status: 'pending_approval',
      connector: 'crm',
      object: 'contacts',
      reason: 'because',
      idempotency_key: 'k-1',
      decision: { effect: 'require_approval' },
      changeset: { summary: { records: 1, fields: 1 }, records: [{ id: 'c_1', after: { owner_id: 'u_7' } }] },
    });
  });

  it('delays answers so the client timeout can be tested', async () => {
    const fake = createFakeGateway();
    const gh = createGatehouseClient({
      baseUrl: 'http://g.test',
      key: 'k',
      fetch: fake.fetch,
      timeoutMs: 20,
      retries: { attempts: 1, baseDelayMs: 1 },
    });
    fake.expect('GET', '/v1/agents', { body: [], delayMs: 5_000 });
    const err = await gh.agents.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatehouseApiError);
    expect((err as GatehouseApiError).code).toBe('timeout');
  });
});
