/**
 * Behaviour the API promises that the code does not deliver yet. Each test is written as it
 * should pass; the report that came with this file names the code at fault and a fix.
 * When a test here passes, move it next to its topic and delete it from this file.
 */
import { ActionView } from '@gatehouse/contract';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configOrThrow, loadConfig } from '../../src/config/index.js';
import { createKey, revokeKey } from '../../src/core/key-admin.js';
import { createGatehouse } from '../../src/create-gatehouse.js';
import { exampleConfigText, HOOK_SECRET, startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { allRecords, crmOf } from '../helpers/sandbox.js';

let t: TestGatehouse;
beforeAll(async () => {
  t = await startTestGatehouse();
});
afterAll(async () => {
  await t?.close();
});

describe('regressions', () => {
  // http/app.ts passes a pino instance as Fastify's `logger` option; Fastify 5 takes instances
  // only as `loggerInstance`, so `gatehouse serve` (which passes { level }) dies at start.
  it('Gatehouse starts with a logger configuration, as `gatehouse serve` creates it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-bug-'));
    try {
      writeFileSync(join(dir, 'gatehouse.yaml'), exampleConfigText({ dir, contacts: 20 }));
      const config = configOrThrow(loadConfig(join(dir, 'gatehouse.yaml'), { ...process.env, HOOK_SECRET }));
      const gh = await createGatehouse({ config, logger: { level: 'silent' }, timers: false });
      try {
        expect((await gh.http.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      } finally {
        await gh.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // API/OpenAPI document `key_revoked`, but create-gatehouse.ts authenticates with
  // keys.findByHash, which skips revoked rows, so a revoked key reads as unknown.
  it('a revoked key answers 401 key_revoked', async () => {
    const deps = {
      storage: t.gh.storage,
      clock: t.gh.pipeline.clock,
      agentIds: new Set(['lead-router']),
      personIds: new Set<string>(),
      newId: t.gh.pipeline.newId,
    };
    const made = await createKey(deps, { kind: 'agent', subject: 'lead-router', actor: 'system:test' });
    await revokeKey(deps, { id: made.key.id, actor: 'system:test' });
    const r = await t.inject('GET', '/v1/records/crm/contacts?limit=1', made.token);
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe('key_revoked');
  });

  // routes/actions.ts POST /v1/actions builds the view without the approval row, so the answer
  // carries only { id }; API.md and the contract's ActionView promise required and expires_at.
  it('the POST answer of a gated action carries the approval with required and expires_at', async () => {
    const campaign = (await allRecords(crmOf(t.gh), 'campaigns')).find((c) => c.properties.status === 'draft');
    const r = await t.inject('POST', '/v1/actions', t.keys['campaign-runner'], {
      connector: 'crm',
      object: 'campaigns',
      operation: 'launch',
      target: campaign?.id,
      params: {},
      reason: 'launch',
    });
    expect(r.status, r.body).toBe(202);
    expect(r.json.approval).toMatchObject({ required: 1, expires_at: expect.any(String), status: 'pending' });
    const parsed = ActionView.safeParse(r.json);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });

  // The example grants campaign-runner `launch` on `lists`, which the sandbox cannot launch:
  // connector.plan throws inside judge.ts, so the attempt answers 422 and is never recorded.
  // DESIGN.md: every agent action lands in the audit log.
  it('an action the connector cannot plan is still recorded: a denied action with an audit entry', async () => {
    const [list] = (await crmOf(t.gh).list('lists', { limit: 1 })).results;
    const before = await t.gh.storage.audit.count();
    const r = await t.inject('POST', '/v1/actions', t.keys['campaign-runner'], {
      connector: 'crm',
      object: 'lists',
      operation: 'launch',
      target: list?.id,
      params: {},
      reason: 'launch a list',
    });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.json.status, r.body).toBe('denied');
    expect(r.json.error.code).toBe('unsupported_operation');
    expect(await t.gh.storage.audit.count()).toBe(before + 1);
  });
});
