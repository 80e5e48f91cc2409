/**
 * The SDK against a real Gatehouse (the example config, SQLite, a seeded sandbox) listening on
 * loopback: every sub-client once, with the keys of the agents and people it is meant for, so a
 * drift between the SDK's types and the server's answers shows up here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGatehouse, type TestGatehouse } from '../../server/test/helpers/gatehouse.js';
import { createGatehouseClient, GatehouseApiError, isFinalStatus, type GatehouseClient } from '../src/index.js';

let t: TestGatehouse;
let baseUrl: string;
const as = (who: string): GatehouseClient =>
  createGatehouseClient({ baseUrl, key: t.keys[who]!, timeoutMs: 10_000, retries: { attempts: 1, baseDelayMs: 10 } });

beforeAll(async () => {
  t = await startTestGatehouse({ contacts: 200 });
  baseUrl = await t.gh.listen(0);
});
afterAll(async () => {
  await t?.close();
});

const caught = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(GatehouseApiError);
  return e as GatehouseApiError;
};

describe('records', () => {
  it('list, get, search and iterate see only the grant, masked', async () => {
    const gh = as('lead-router');
    const page = await gh.records.list('crm', 'contacts', { limit: 5, properties: ['country', 'email'] });
    expect(page.results.length).toBe(5);
    expect(page.paging?.next.after).toBeTruthy();
    for (const r of page.results) {
      expect(['US', 'CA']).toContain(r.properties.country);
      expect(r.properties.email).toMatch(/^\w\*\*\*@/);
    }
    const one = await gh.records.get('crm', 'contacts', page.results[0]!.id);
    expect(one.id).toBe(page.results[0]!.id);

    const found = await gh.records.search('crm', 'contacts', {
      filters: [{ property: 'country', operator: 'IN', values: ['CA'] }],
      limit: 3,
    });
    expect(found.results.every((r) => r.properties.country === 'CA')).toBe(true);

    let n = 0;
    for await (const r of gh.records.iterate('crm', 'contacts', { limit: 50 })) {
      expect(['US', 'CA']).toContain(r.properties.country);
      n++;
    }
    expect(n).toBeGreaterThan(50);
  });

  it('a record outside the grant throws record_not_found with the request id', async () => {
    const de = (
      await t.gh.connectors
        .get('crm')!
        .search('contacts', { filters: [{ property: 'country', operator: 'EQ', value: 'DE' }], limit: 1 })
    ).results[0]!;
    const e = await caught(as('lead-router').records.get('crm', 'contacts', de.id));
    expect([e.code, e.status]).toEqual(['record_not_found', 404]);
    expect(e.requestId).toMatch(/^req_/);
  });

  it('a bad key is an error naming the problem, not an outcome', async () => {
    const gh = createGatehouseClient({ baseUrl, key: 'gh_agent_nope', retries: { attempts: 1, baseDelayMs: 1 } });
    const e = await caught(gh.records.list('crm', 'contacts'));
    expect(e.status).toBe(401);
  });
});

describe('actions and approvals', () => {
  it('submit answers executed and denied as results; get and wait read them back', async () => {
    const gh = as('lead-router');
    const [c] = (await gh.records.list('crm', 'contacts', { limit: 1 })).results;
    const owner = c!.properties.owner_id === 'u_9' ? 'u_10' : 'u_9';
    const done = await gh.actions.submit({
      connector: 'crm',
      object: 'contacts',
      operation: 'update',
      records: [{ id: c!.id, changes: { owner_id: owner } }],
      reason: 'sdk test',
    });
    expect(done.status).toBe('executed');
    expect(done.changeset.records[0]?.after).toEqual({ owner_id: owner });
    expect((await gh.actions.get(done.id)).status).toBe('executed');
    expect((await gh.actions.wait(done.id, { timeoutMs: 1_000 })).status).toBe('executed');

    const denied = await gh.actions.submit({
      connector: 'crm',
      object: 'contacts',
      operation: 'update',
      records: [{ id: c!.id, changes: { lifecyclestage: 'customer' } }],
      reason: 'sdk test',
    });
    expect(denied.status).toBe('denied');
    expect(denied.error?.code).toBe('field_not_writable');
  });

  it('a launch waits for a person; approvals.list/get/decide settle it and wait sees it executed', async () => {
    const agent = as('campaign-runner');
    const [draft] = (await agent.records.list('crm', 'campaigns', { filter: 'status:EQ:draft', limit: 1 })).results;
    const held = await agent.actions.submit({
      connector: 'crm',
      object: 'campaigns',
      operation: 'launch',
      target: draft!.id,
      reason: 'sdk test',
    });
    expect(held.status).toBe('pending_approval');
    const approvalId = held.approval!.id;

    const lee = as('lee');
    const pending = await lee.approvals.list({ status: 'pending' });
    expect(pending.results.find((a) => a.id === approvalId)).toMatchObject({
      action_id: held.id,
      required: 1,
      agent: 'campaign-runner',
    });
    const detail = await lee.approvals.get(approvalId);
    expect(detail.action?.id).toBe(held.id);
    expect(detail.checklist?.map((c) => c.id)).toEqual(['brand-tone', 'unsubscribe-link', 'segment-correct']);

    // The agent's owner may not approve: an error with the server's code.
    const own = await caught(
      as('maria').approvals.decide(approvalId, { decision: 'approve', comment: 'mine', checklist: {} }),
    );
    expect(own.status).toBe(403);

    const waiting = agent.actions.wait(held.id, { timeoutMs: 10_000, pollSeconds: 5 });
    const decided = await lee.approvals.decide(approvalId, {
      decision: 'approve',
      comment: 'checked',
      checklist: { 'brand-tone': true, 'unsubscribe-link': true, 'segment-correct': true },
    });
    expect(decided.result).toBe('approved');
    expect(decided.approval.status).toBe('approved');
    expect(decided.action.status).toBe('executed');
    const settled = await waiting;
    expect(isFinalStatus(settled.status)).toBe(true);
    expect(settled.status).toBe('executed');
  });
});

describe('agents, breakers, KPIs, audit', () => {
  it('each sub-client answers in the shape its types declare', async () => {
    const maria = as('maria');
    const agents = await maria.agents.list();
    expect(agents.results.find((a) => a.id === 'subject-optimizer')).toMatchObject({ mode: 'observe' });
    const moved = await maria.agents.setMode('subject-optimizer', 'gated', 'sdk test');
    expect(moved).toMatchObject({ id: 'subject-optimizer', mode: 'gated', previous_mode: 'observe' });

    const breakers = await maria.breakers.list();
    expect(breakers.results.map((b) => b.id).sort()).toEqual(['agent-errors', 'ctr-drop']);
    expect(breakers.results[0]?.scopes).toBeDefined();

    const at = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString();
    const sample = { metric: 'email.delivered', value: 100, at, dims: { email_id: 'em_1' } };
    expect(await maria.kpis.push([sample])).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(await maria.kpis.push([sample])).toMatchObject({ accepted: 1, duplicates: 1 });

    const ana = as('ana');
    const log = await ana.audit.list({ limit: 5 });
    expect(log.results.length).toBe(5);
    expect(typeof log.results[0]?.seq).toBe('number');
    const verify = await ana.audit.verify();
    expect(verify.ok).toBe(true);
    expect(verify.entries).toBeGreaterThan(5);
  });
});
