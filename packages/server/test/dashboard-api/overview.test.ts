/**
 * The dashboard's reads with a session cookie: the overview (status lights, today's counts as the
 * actions table has them, pending approvals, breakers, connectors, KPI sparklines), one agent's
 * page, governance without secrets, the session's permissions, every GET the page uses, and the
 * SPA fallback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { isErrorShape } from '../helpers/gatehouse.js';
import { GATED, startDashboardHarness, submitUpdate, type Browser, type DashboardHarness } from './harness.js';

const clock = createManualClock('2026-03-02T10:00:30.000Z');
let t: DashboardHarness;
let lee: Browser;
let ana: Browser;
let pendingApprovalId: string;

beforeAll(async () => {
  t = await startDashboardHarness({ clock });
  lee = await t.signIn('lee');
  ana = await t.signIn('ana');
  // lead-router (autonomous): 3 executed; gated-router: 2 pending approval; one denied (unwritable field).
  for (let i = 0; i < 3; i++) {
    const r = await submitUpdate(t, 'lead-router', t.nextContact().id, `u_${i}`);
    expect(r.status, r.body).toBe(200);
  }
  for (let i = 0; i < 2; i++) {
    const r = await submitUpdate(t, GATED, t.nextContact().id, `u_g${i}`);
    expect(r.status, r.body).toBe(202);
    pendingApprovalId = r.json.approval.id;
  }
  const denied = await t.inject('POST', '/v1/actions', t.keys['lead-router'], {
    connector: 'crm',
    object: 'contacts',
    operation: 'update',
    records: [{ id: t.nextContact().id, changes: { lead_score: '99' } }],
    reason: 'not allowed',
  });
  expect(denied.json.status, denied.body).toBe('denied');
  // Yesterday's action does not count today.
  clock.set('2026-03-01T23:59:00.000Z');
  expect((await submitUpdate(t, 'lead-router', t.nextContact().id, 'u_old')).status).toBe(200);
  clock.set('2026-03-02T10:05:00.000Z');
}, 60_000);

afterAll(() => t?.close());

describe('GET /v1/overview', () => {
  it('answers every agent with status, today’s outcome counts, pending approvals and breakers', async () => {
    const r = await t.page(lee, 'GET', '/v1/overview');
    expect(r.status, r.body).toBe(200);
    expect(r.json.generated_at).toBe('2026-03-02T10:05:00.000Z');
    const byId = Object.fromEntries(r.json.agents.map((a: { id: string }) => [a.id, a]));
    expect(Object.keys(byId).sort()).toEqual(t.config.agents.map((a) => a.id).sort());

    const router = byId['lead-router'];
    expect(router).toMatchObject({
      owner: 'sam',
      mode: 'autonomous',
      configured_mode: 'autonomous',
      status: 'running',
    });
    expect(router.today).toMatchObject({ executed: 3, denied: 1, pending_approval: 0, total: 4 });
    expect(router.breakers).toEqual([{ id: 'agent-errors', state: 'closed', scope: 'all' }]);

    const gated = byId[GATED];
    expect(gated).toMatchObject({ status: 'waiting', pending_approvals: 2 });
    expect(gated.today).toMatchObject({ pending_approval: 2, total: 2, executed: 0 });

    expect(byId['subject-optimizer'].breakers.map((b: { id: string }) => b.id).sort()).toEqual([
      'agent-errors',
      'ctr-drop',
    ]);
    expect(r.json.connectors).toEqual([{ id: 'crm', type: 'sandbox', ok: true, detail: expect.any(String) }]);
    expect(r.json.kpis.map((k: { breaker_id: string }) => k.breaker_id)).toEqual(['ctr-drop', 'agent-errors']);
    for (const k of r.json.kpis) expect(k.points).toHaveLength(24);
  });

  it('counts today’s actions exactly as the actions table has them', async () => {
    const r = await t.page(lee, 'GET', '/v1/overview');
    const since = '2026-03-02T00:00:00.000Z';
    for (const a of r.json.agents) {
      const rows = await t.gh.storage.actions.list({ agentId: a.id, since, limit: 1000 });
      expect(a.today.total).toBe(rows.length);
      expect(a.today.executed).toBe(rows.filter((x) => x.status === 'executed').length);
    }
  });

  it('turns an agent’s light to paused, and to breaker_open when a breaker halts it', async () => {
    const maria = await t.signIn('maria');
    const paused = await t.page(maria, 'POST', '/v1/agents/lead-router/mode', { mode: 'paused', comment: 'test' });
    expect(paused.status, paused.body).toBe(200);
    let r = await t.page(lee, 'GET', '/v1/overview');
    expect(r.json.agents.find((a: { id: string }) => a.id === 'lead-router').status).toBe('paused');

    const sam = await t.signIn('sam');
    const forced = await t.page(sam, 'POST', '/v1/breakers/agent-errors/force-open', { comment: 'drill' });
    expect(forced.status, forced.body).toBe(200);
    r = await t.page(lee, 'GET', '/v1/overview');
    for (const a of r.json.agents) expect(a.status).toBe('breaker_open');
    expect(await t.page(sam, 'POST', '/v1/breakers/agent-errors/enable', { comment: 'drill over' })).toMatchObject({
      status: 200,
    });
    await t.page(maria, 'POST', '/v1/agents/lead-router/mode', { mode: 'autonomous', comment: 'back' });
  });

  it('takes a person key too, and refuses agents, strangers and unknown query fields', async () => {
    expect((await t.inject('GET', '/v1/overview', t.keys.ana)).status).toBe(200);
    const agent = await t.inject('GET', '/v1/overview', t.keys['lead-router']);
    expect(agent.status).toBe(403);
    expect(isErrorShape(agent.json)).toBe(true);
    const none = await t.page(undefined, 'GET', '/v1/overview');
    expect(none.status).toBe(401);
    expect(none.json.error.code).toBe('unauthenticated');
    const bad = await t.page(lee, 'GET', '/v1/overview?nope=1');
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('invalid_query');
  });
});

describe('GET /v1/agents/:id', () => {
  it('answers the agent as listed, its recent actions and its stats', async () => {
    const r = await t.page(ana, 'GET', '/v1/agents/lead-router');
    expect(r.status, r.body).toBe(200);
    const listed = (await t.page(ana, 'GET', '/v1/agents')).json.results.find(
      (a: { id: string }) => a.id === 'lead-router',
    );
    for (const k of Object.keys(listed)) expect(r.json[k], k).toEqual(listed[k]);
    expect(r.json.recent_actions).toHaveLength(5);
    expect(r.json.recent_actions[0]).toMatchObject({ agent: 'lead-router', status: expect.any(String) });
    expect(r.json.recent_actions[0].changeset).toEqual({ summary: expect.any(Object) });
    expect(r.json.stats.today).toMatchObject({ executed: 3, denied: 1, total: 4 });
    expect(r.json.stats.last_7d).toMatchObject({ executed: 4, total: 5 });
    expect(r.json.stats).toMatchObject({ override_rate: null, approvals_decided: 0, approvals_overridden: 0 });
  });

  it('computes the override rate over decided approvals (rejections, revisions and edits)', async () => {
    const sam = await t.signIn('sam');
    const rejected = await t.page(sam, 'POST', `/v1/approvals/${pendingApprovalId}/decision`, {
      decision: 'reject',
      comment: 'wrong owner',
    });
    expect(rejected.status, rejected.body).toBe(200);
    const r = await t.page(lee, 'GET', `/v1/agents/${GATED}`);
    expect(r.json.stats).toMatchObject({ approvals_decided: 1, approvals_overridden: 1, override_rate: 1 });
    expect(r.json.pending_approvals).toBe(1);
  });

  it('answers 404 agent_not_found for an unknown agent and 400 for a bad query', async () => {
    const r = await t.page(lee, 'GET', '/v1/agents/nobody');
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe('agent_not_found');
    expect((await t.page(lee, 'GET', '/v1/agents/lead-router?recent=0')).status).toBe(400);
  });
});

describe('GET /v1/governance', () => {
  it('answers the running config without secrets', async () => {
    const r = await t.page(ana, 'GET', '/v1/governance');
    expect(r.status, r.body).toBe(200);
    expect(r.json.people.find((p: { id: string }) => p.id === 'ana')).toEqual({
      id: 'ana',
      name: 'Ana Ruiz',
      email: 'ana@example.com',
      roles: ['auditor'],
    });
    expect(r.json.roles.approver.permissions).toEqual(expect.any(Array));
    expect(r.json.roles.auditor.people).toEqual(['ana']);
    expect(r.json.agents.find((a: { id: string }) => a.id === 'lead-router').grants[0]).toMatchObject({
      where: "record.country in ['US', 'CA']",
      pii: 'mask',
    });
    expect(r.json.policies.find((p: { id: string }) => p.id === 'launches-need-approval')).toMatchObject({
      when: "action.operation == 'launch'",
      effect: 'require_approval',
      approvers: { role: 'approver', count: 1 },
      checklist: ['brand-tone', 'unsubscribe-link', 'segment-correct'],
    });
    expect(r.json.checklists['brand-tone']).toEqual(expect.any(String));
    expect(r.json.approvals.escalation).toHaveLength(1);
    expect(r.json.breakers.map((b: { id: string }) => b.id)).toEqual(['ctr-drop', 'agent-errors']);
    expect(r.json.notifications).toEqual([{ type: 'webhook', target: '127.0.0.1:9000', events: null }]);
    expect(r.body).not.toContain('test-hook-secret');
    expect(r.body).not.toContain('/hooks/gatehouse');
  });
});

describe('sessions on every dashboard GET', () => {
  it('GET /v1/session carries the email and the permissions', async () => {
    const r = await t.page(lee, 'GET', '/v1/session');
    expect(r.json.person).toEqual({ id: 'lee', name: 'Lee Park', email: 'lee@example.com', roles: ['approver'] });
    expect(r.json.permissions).toEqual(['approvals.decide', 'read']);
    expect((await t.page(ana, 'GET', '/v1/session')).json.permissions).toEqual(['audit.read', 'read']);
  });

  it.each([
    '/v1/agents',
    '/v1/agents/lead-router',
    '/v1/approvals?status=pending',
    '/v1/breakers',
    '/v1/breakers/ctr-drop',
    '/v1/breakers/ctr-drop/incidents',
    '/v1/audit?limit=5',
    '/v1/audit/verify',
    '/v1/overview',
    '/v1/governance',
  ])('%s accepts the session cookie and refuses a request without one', async (url) => {
    const r = await t.page(ana, 'GET', url);
    expect(r.status, r.body).toBe(200);
    expect((await t.page(undefined, 'GET', url)).status).toBe(401);
  });

  it('publishes every dashboard route in the OpenAPI document', async () => {
    const doc = (await t.inject('GET', '/v1/openapi.json')).json;
    for (const [path, method] of [
      ['/v1/overview', 'get'],
      ['/v1/events', 'get'],
      ['/v1/governance', 'get'],
      ['/v1/agents/{id}', 'get'],
      ['/v1/approvals/{id}/preview', 'post'],
      ['/v1/breakers/{id}', 'get'],
      ['/v1/audit/export', 'get'],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    const auditParams = doc.paths['/v1/audit'].get.parameters.map((p: { name: string }) => p.name);
    expect(auditParams).toEqual(expect.arrayContaining(['agent', 'person', 'action', 'type', 'from', 'to', 'q']));
  });
});

describe('SPA fallback', () => {
  const html = { accept: 'text/html,application/xhtml+xml' };
  it('serves the dashboard page for an unknown browser path', async () => {
    const r = await t.gh.http.inject({ method: 'GET', url: '/approvals/apr_123?x=1', headers: html });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/html');
    expect(r.body).toMatch(/<html/i);
  });

  it('keeps JSON 404s for /v1 paths, missing files and non-HTML callers', async () => {
    for (const [url, headers] of [
      ['/v1/nope', html],
      ['/v1', html],
      ['/assets/missing.js', html],
      ['/approvals/apr_123', { accept: 'application/json' }],
    ] as const) {
      const r = await t.gh.http.inject({ method: 'GET', url, headers });
      expect(r.statusCode, url).toBe(404);
      expect(r.json().error.code, url).toBe('route_not_found');
    }
  });
});
