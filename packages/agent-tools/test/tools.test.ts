/**
 * The tool specs against the SDK's scripted fake gateway: what goes on the wire, and how every
 * answer comes back to the model (outcomes and fixable errors as results, the rest thrown).
 */
import { createGatehouseClient, GatehouseApiError } from '@gatehouse/sdk';
import { createFakeGateway } from '@gatehouse/sdk/testing';
import { describe, expect, it } from 'vitest';
import { gatehouseToolSpecs, type ToolSpec } from '../src/tools.js';

function setup(options: Parameters<typeof gatehouseToolSpecs>[1] = { connector: 'crm' }) {
  const fake = createFakeGateway();
  const gh = createGatehouseClient({
    baseUrl: 'http://gatehouse.test',
    key: 'gh_test',
    fetch: fake.fetch,
    retries: { attempts: 1, baseDelayMs: 1 },
  });
  const specs = gatehouseToolSpecs(gh, options, 'optional');
  const tool = (name: string): ToolSpec => {
    const s = specs.find((x) => x.name === `gatehouse_${name}`);
    if (!s) throw new Error(`no tool ${name}`);
    return s;
  };
  return { fake, specs, tool };
}

const update = {
  object: 'contacts',
  records: [{ id: 'c_1', changes: [{ field: 'owner_id', value: 'u_7' }] }],
  reason: 'Territory rule',
};

describe('write tools', () => {
  it('send one action with the changes as a map, and drop keys the schema does not know', async () => {
    const { fake, tool } = setup();
    fake.expect('POST', '/v1/actions', fake.respondExecuted(), {
      body: (b) => {
        const body = b as Record<string, unknown>;
        expect(body).toMatchObject({
          connector: 'crm',
          object: 'contacts',
          operation: 'update',
          records: [{ id: 'c_1', changes: { owner_id: 'u_7' } }],
          reason: 'Territory rule',
        });
        expect(Object.keys(body).sort()).toEqual([
          'connector',
          'idempotency_key',
          'object',
          'operation',
          'reason',
          'records',
        ]);
        return true;
      },
    });
    const out = await tool('update_records').execute({ ...update, confirmed: true, approved: true });
    expect(out).toMatchObject({ status: 'executed' });
    fake.assertDone();
  });

  it.each([
    ['respondPending', 'pending_approval', /wait tool/],
    ['respondShadowed', 'shadowed', /NOT written/],
    ['respondBreakerOpen', 'breaker_open', /Stop writing/],
  ] as const)('%s comes back as a result with status %s and a next step', async (respond, status, next) => {
    const { fake, tool } = setup();
    fake.expect('POST', '/v1/actions', fake[respond]());
    const out = await tool('update_records').execute(update);
    expect(out).toMatchObject({ status, next_step: expect.stringMatching(next) });
    fake.assertDone();
  });

  it('a denial carries the code and the reason, and says nothing was written', async () => {
    const { fake, tool } = setup();
    fake.expect(
      'POST',
      '/v1/actions',
      fake.respondDenied('field_not_writable', 'lead-router may not write contacts.lifecyclestage'),
    );
    const out = await tool('update_records').execute(update);
    expect(out).toMatchObject({
      status: 'denied',
      error: { code: 'field_not_writable', message: 'lead-router may not write contacts.lifecyclestage' },
      summary: expect.stringContaining('field_not_writable'),
      next_step: expect.stringContaining('nothing was written'),
    });
  });

  it('a field named twice in one record is refused before anything is sent', async () => {
    const { fake, tool } = setup();
    const out = await tool('update_records').execute({
      ...update,
      records: [
        {
          id: 'c_1',
          changes: [
            { field: 'owner_id', value: 'u_7' },
            { field: 'owner_id', value: 'u_8' },
          ],
        },
      ],
    });
    expect(out).toMatchObject({ status: 'error', error: { code: 'invalid_input' } });
    expect(fake.calls).toHaveLength(0);
  });

  it('run_operation sends a target and its params; only the configured operations are accepted', async () => {
    const { fake, tool } = setup({ connector: 'crm', operations: ['launch'] });
    fake.expect('POST', '/v1/actions', fake.respondPending(), {
      body: (b) => {
        expect(b).toMatchObject({ operation: 'launch', target: 'cmp_1', params: { audience: 'mql' } });
        return true;
      },
    });
    const run = tool('run_operation');
    await expect(
      run.execute({ object: 'campaigns', operation: 'pause', target: 'cmp_1', reason: 'x' }),
    ).rejects.toThrow();
    const out = await run.execute({
      object: 'campaigns',
      operation: 'launch',
      target: 'cmp_1',
      params: [{ name: 'audience', value: 'mql' }],
      reason: 'Spring',
    });
    expect(out).toMatchObject({ status: 'pending_approval', approval: { id: expect.any(String) } });
    fake.assertDone();
  });
});

describe('errors', () => {
  it('a 404 and a 429 are results the model can act on', async () => {
    const { fake, tool } = setup();
    fake
      .expect('GET', '/v1/records/crm/contacts/c_9', fake.respondError(404, 'record_not_found', 'no contacts c_9'))
      .expect('GET', '/v1/records/crm/contacts?limit=20', fake.respondError(429, 'rate_limited', 'slow down'));
    expect(await tool('get_record').execute({ object: 'contacts', id: 'c_9' })).toMatchObject({
      status: 'error',
      error: { code: 'record_not_found' },
      next_step: expect.stringContaining('outside your grant'),
    });
    expect(await tool('list_records').execute({ object: 'contacts' })).toMatchObject({
      status: 'error',
      error: { code: 'rate_limited' },
    });
    fake.assertDone();
  });

  it('a revoked key or a server fault is thrown: the operator must act, not the model', async () => {
    const { fake, tool } = setup();
    fake
      .expect('POST', '/v1/actions', fake.respondError(401, 'unauthenticated', 'key revoked'))
      .expect('POST', '/v1/actions', fake.respondError(500, 'internal', 'boom'));
    await expect(tool('update_records').execute(update)).rejects.toBeInstanceOf(GatehouseApiError);
    await expect(tool('update_records').execute(update)).rejects.toMatchObject({ code: 'internal' });
  });
});

describe('options', () => {
  it('read-only, no operations, no wait: only the read tools', () => {
    const { specs } = setup({ connector: 'crm', write: false, operations: [], maxWaitSeconds: 0 });
    expect(specs.map((s) => s.name)).toEqual([
      'gatehouse_list_records',
      'gatehouse_get_record',
      'gatehouse_search_records',
    ]);
  });

  it('objects become an enum; a bad option names the field', () => {
    const { tool } = setup({ connector: 'crm', objects: ['contacts'] });
    expect(tool('list_records').inputSchema.safeParse({ object: 'deals' }).success).toBe(false);
    expect(() => setup({ connector: '' })).toThrow(/options.connector/);
    expect(() => setup({ connector: 'crm', prefix: 'a b' })).toThrow(/options.prefix/);
  });
});
