/**
 * Breakers end to end on a real Gatehouse (SQLite, seeded sandbox, the whole HTTP app, a manual
 * clock): KPI samples for an email the subject-optimizer rewrote collapse, and the POST that
 * brings them halts the agent before it answers, pauses it, opens an incident with the evidence
 * and rolls its subject changes back. Then the operational breaker, and people's controls.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { evaluateBreakers } from '../../src/core/breakers/service.js';
import { createManualClock, type ManualClock } from '../../src/core/clock.js';
import type { Connector, CrmRecord } from '../../src/core/ports/connector.js';
import { exampleConfigText, startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { allRecords, crmOf } from '../helpers/sandbox.js';

const AGENT = 'subject-optimizer';
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function configText(): string {
  const text = exampleConfigText({ contacts: 120 });
  const re = /(- id: subject-optimizer\n(?:.*\n)*?\s+mode: )observe/;
  if (!re.test(text)) throw new Error('example config changed: subject-optimizer mode');
  return text.replace(re, '$1autonomous');
}

interface World {
  t: TestGatehouse;
  clock: ManualClock;
  crm: Connector;
  emails: CrmRecord[];
}

let world: World | undefined;
afterEach(async () => {
  await world?.t.close();
  world = undefined;
});

async function start(): Promise<World> {
  const clock = createManualClock(new Date(T0 + 7 * DAY).toISOString());
  const t = await startTestGatehouse({ configText: configText(), clock });
  const crm = crmOf(t.gh);
  const emails = (await allRecords(crm, 'marketing_emails')).filter((e) => e.properties.status !== 'sent');
  world = { t, clock, crm, emails };
  return world;
}

/** Hourly delivered/clicks samples for one email over [from, from + hours). */
function hourly(emailId: string, from: number, hours: number, delivered: number, clicks: number) {
  const samples = [];
  for (let h = 0; h < hours; h++) {
    const at = new Date(from + h * HOUR).toISOString();
    samples.push({ metric: 'email.delivered', value: delivered, at, dims: { email_id: emailId } });
    samples.push({ metric: 'email.clicks', value: clicks, at, dims: { email_id: emailId } });
  }
  return samples;
}

async function pushKpis(w: World, samples: unknown[]) {
  const r = await w.t.inject('POST', '/v1/kpis', w.t.keys.maria, { samples });
  expect(r.status, r.body).toBe(200);
  return r;
}

async function rewrite(w: World, emailId: string, subject: string) {
  w.clock.advance(60_000);
  return w.t.inject('POST', '/v1/actions', w.t.keys[AGENT], {
    connector: 'crm',
    object: 'marketing_emails',
    operation: 'update',
    records: [{ id: emailId, changes: { subject } }],
    reason: 'better subject',
  });
}

async function scopeState(w: World, breakerId: string, scope: string) {
  const r = await w.t.inject('GET', '/v1/breakers', w.t.keys.sam);
  expect(r.status, r.body).toBe(200);
  const b = r.json.results.find((x: { id: string }) => x.id === breakerId);
  return b.scopes.find((s: { scope: string }) => s.scope === scope);
}

/** A healthy week for `emailId`, then the agent rewrites it; answers the action id. */
async function healthyWeekThenRewrite(w: World, emailId: string) {
  await pushKpis(w, hourly(emailId, T0, 7 * 24, 250, 8)); // 3.2% CTR
  const a = await rewrite(w, emailId, 'YOU WILL NOT BELIEVE THIS');
  expect(a.status, a.body).toBe(200);
  expect(a.json.status).toBe('executed');
  return a.json.id as string;
}

describe('ctr-drop: a KPI breach halts, pauses, records and rolls back', () => {
  it('trips on the POST that brings the collapsed window, and everything a responder needs follows', async () => {
    const w = await start();
    const [email, other] = w.emails;
    if (!email || !other) throw new Error('the sandbox has too few unsent emails');
    const original = email.properties.subject;
    const actionId = await healthyWeekThenRewrite(w, email.id);
    expect((await w.crm.get('marketing_emails', email.id))?.properties.subject).toBe('YOU WILL NOT BELIEVE THIS');

    // Nothing attributed to the agent collapsed yet: still closed after the healthy week.
    expect((await scopeState(w, 'ctr-drop', `agent:${AGENT}`)).state).toBe('closed');

    w.clock.set(new Date(T0 + 8 * DAY).toISOString());
    const started = performance.now();
    await pushKpis(w, hourly(email.id, T0 + 7 * DAY, 24, 250, 2)); // 0.8% CTR
    const refused = await rewrite(w, other.id, 'Another try');
    const ms = performance.now() - started;
    console.log(`breaching POST /v1/kpis → first refused write: ${ms.toFixed(1)} ms (incl. pause, incident, rollback)`);

    expect(refused.status, refused.body).toBe(423);
    // The trip pauses the agent too; the pipeline checks breakers first, so the answer says why.
    expect(refused.json.error.code).toBe('breaker_open');
    expect((await w.crm.get('marketing_emails', other.id))?.properties.subject).toBe(other.properties.subject);

    const s = await scopeState(w, 'ctr-drop', `agent:${AGENT}`);
    expect(s.state).toBe('open');
    expect(s.pending_trip).toBe(true);
    expect(s.last_evaluation.outcome).toBe('fail');
    expect(s.last_evaluation.reason).toMatch(/CTR 0\.8% vs baseline 3\.2%/);

    expect((await w.t.gh.storage.agents.get(AGENT))?.mode).toBe('paused');
    expect((await w.t.gh.storage.agents.get(AGENT))?.updatedBy).toBe('breaker:ctr-drop');

    const inc = await w.t.inject('GET', '/v1/breakers/ctr-drop/incidents', w.t.keys.sam);
    expect(inc.status, inc.body).toBe(200);
    expect(inc.json.results).toHaveLength(1);
    const incident = inc.json.results[0];
    expect(incident.scope).toBe(`agent:${AGENT}`);
    expect(incident.evidence.value).toBeCloseTo(0.008, 6);
    expect(incident.evidence.baseline_value).toBeCloseTo(0.032, 6);
    expect(incident.evidence.test.kind).toBe('beta_binomial');
    expect(incident.evidence.test.upper).toBeLessThan(incident.evidence.test.tolerance);
    expect(incident.evidence.attributed.email_id).toEqual([email.id]);
    expect(incident.evidence.recent_actions).toContain(actionId);
    expect(incident.evidence.paused).toEqual([AGENT]);
    expect(incident.rollback.restored).toBe(1);
    expect(incident.rollback.conflicts).toBe(0);
    expect(incident.rollback.rolled_back).toEqual([actionId]);

    // The sandbox holds the subject from before the agent's change again.
    expect((await w.crm.get('marketing_emails', email.id))?.properties.subject).toBe(original);
    expect((await w.t.gh.storage.actions.get(actionId))?.status).toBe('rolled_back');

    // The halt does not depend on the pause: unpaused by an admin, the agent is still refused.
    const unpause = await w.t.inject('POST', `/v1/agents/${AGENT}/mode`, w.t.keys.maria, { mode: 'autonomous' });
    expect(unpause.status, unpause.body).toBe(200);
    const still = await rewrite(w, other.id, 'Another try');
    expect(still.status).toBe(423);
    expect(still.json.error.code).toBe('breaker_open');

    // Evaluation keeps running while open: a later verdict is recorded, the state holds.
    w.clock.advance(60_000);
    const again = await evaluateBreakers({ ...w.t.gh.pipeline, breakers: w.t.config.breakers });
    const mine = again.find((e) => e.breakerId === 'ctr-drop');
    expect(mine).toMatchObject({ outcome: 'fail', from: 'open', to: 'open', tripped: false });
    expect((await scopeState(w, 'ctr-drop', `agent:${AGENT}`)).last_evaluation.at).toBe(w.clock.now().toISOString());
    expect((await w.t.inject('GET', '/v1/breakers/ctr-drop/incidents', w.t.keys.sam)).json.results).toHaveLength(1);

    const verify = await w.t.inject('GET', '/v1/audit/verify', w.t.keys.ana);
    expect(verify.status, verify.body).toBe(200);
    expect(verify.json.ok).toBe(true);
    const types = new Set<string>();
    for await (const e of w.t.gh.storage.audit.iterate()) types.add(e.type);
    for (const t of ['breaker.tripped', 'breaker.incident', 'rollback.finished', 'agent.mode_changed'])
      expect(types).toContain(t);
  });

  it('a collapse on an email the agent never touched does not trip the agent’s breaker', async () => {
    const w = await start();
    const [email, untouched] = w.emails;
    if (!email || !untouched) throw new Error('the sandbox has too few unsent emails');
    await healthyWeekThenRewrite(w, email.id);
    await pushKpis(w, hourly(untouched.id, T0, 7 * 24, 250, 8));
    w.clock.set(new Date(T0 + 8 * DAY).toISOString());
    await pushKpis(w, [
      ...hourly(email.id, T0 + 7 * DAY, 24, 250, 8),
      ...hourly(untouched.id, T0 + 7 * DAY, 24, 250, 1),
    ]);
    const s = await scopeState(w, 'ctr-drop', `agent:${AGENT}`);
    expect(s.state).toBe('closed');
    expect(s.last_evaluation.outcome).toBe('pass');
    expect((await rewrite(w, untouched.id, 'fine')).status).toBe(200);
  });
});

describe('people’s controls', () => {
  async function tripped(): Promise<World> {
    const w = await start();
    const [email] = w.emails;
    if (!email) throw new Error('no unsent email');
    await healthyWeekThenRewrite(w, email.id);
    w.clock.set(new Date(T0 + 8 * DAY).toISOString());
    await pushKpis(w, hourly(email.id, T0 + 7 * DAY, 24, 250, 2));
    expect((await scopeState(w, 'ctr-drop', `agent:${AGENT}`)).state).toBe('open');
    return w;
  }

  it('only a responder resets, with a comment; the reset is audited', async () => {
    const w = await tripped();
    const reset = (key: string | undefined, body: unknown) =>
      w.t.inject('POST', '/v1/breakers/ctr-drop/reset', key, body);

    const byApprover = await reset(w.t.keys.lee, { comment: 'looks fine' });
    expect(byApprover.status).toBe(403);
    expect(byApprover.json.error.code).toBe('forbidden');
    const byAdmin = await reset(w.t.keys.maria, { comment: 'looks fine' });
    expect(byAdmin.status).toBe(403);
    const noComment = await reset(w.t.keys.sam, { comment: '  ' });
    expect(noComment.status).toBe(422);
    expect(noComment.json.error.code).toBe('comment_required');
    expect((await scopeState(w, 'ctr-drop', `agent:${AGENT}`)).state).toBe('open');

    const ok = await reset(w.t.keys.sam, { comment: 'subject reverted, CTR checked with marketing' });
    expect(ok.status, ok.body).toBe(200);
    expect(ok.json.results).toEqual([
      expect.objectContaining({ scope: `agent:${AGENT}`, from: 'open', state: 'closed' }),
    ]);
    const s = await scopeState(w, 'ctr-drop', `agent:${AGENT}`);
    expect(s.state).toBe('closed');
    expect(s.updated_by).toBe('person:sam');

    const twice = await reset(w.t.keys.sam, { comment: 'again' });
    expect(twice.status).toBe(409);
    expect(twice.json.error.code).toBe('invalid_transition');
    expect((await w.t.inject('GET', '/v1/audit/verify', w.t.keys.ana)).json.ok).toBe(true);
  });

  it('force-open halts a healthy scope at once; unknown breakers are 404', async () => {
    const w = await start();
    const [email] = w.emails;
    if (!email) throw new Error('no unsent email');
    const r = await w.t.inject('POST', '/v1/breakers/ctr-drop/force-open', w.t.keys.maria, {
      comment: 'holding the optimizer during the launch',
    });
    expect(r.status, r.body).toBe(200);
    expect(r.json.state).toBe('forced_open');
    const list = await w.t.inject('GET', '/v1/breakers', w.t.keys.ana);
    expect(list.json.results.find((b: { id: string }) => b.id === 'ctr-drop').state).toBe('forced_open');
    const refused = await rewrite(w, email.id, 'nope');
    expect(refused.status).toBe(423);
    expect(refused.json.error.code).toBe('breaker_open');
    expect((await w.t.inject('POST', '/v1/breakers/nope/reset', w.t.keys.sam, { comment: 'x' })).status).toBe(404);
  });
});

describe('agent-errors: operational signals from the actions table', () => {
  async function insertActions(w: World, agentId: string, executed: number, failed: number) {
    const at = w.clock.now().getTime();
    let i = 0;
    for (const status of [...Array<string>(executed).fill('executed'), ...Array<string>(failed).fill('failed')]) {
      const createdAt = new Date(at - 5 * 60_000 + i * 1000).toISOString();
      await w.t.gh.storage.actions.insert({
        id: `act_test_${agentId}_${status}_${i++}`,
        agentId,
        connector: 'crm',
        object: 'contacts',
        operation: 'update',
        status,
        request: { reason: 'test' },
        createdAt,
        updatedAt: createdAt,
      });
    }
  }

  it('passes on a low error rate, trips the `all` scope on a high one and pauses every agent', async () => {
    const w = await start();
    const deps = { ...w.t.gh.pipeline, breakers: w.t.config.breakers };
    await insertActions(w, 'lead-router', 24, 1);
    const healthy = (await evaluateBreakers(deps)).find((e) => e.breakerId === 'agent-errors');
    expect(healthy).toMatchObject({ scopeKey: 'all', outcome: 'pass', to: 'closed' });

    await insertActions(w, 'campaign-runner', 10, 10);
    const bad = (await evaluateBreakers(deps)).find((e) => e.breakerId === 'agent-errors');
    expect(bad).toMatchObject({ scopeKey: 'all', outcome: 'fail', from: 'closed', to: 'open', tripped: true });
    expect(bad?.reason).toMatch(/error rate 24\.4%/);
    for (const a of w.t.config.agents) expect((await w.t.gh.storage.agents.get(a.id))?.mode).toBe('paused');
    const inc = await w.t.inject('GET', '/v1/breakers/agent-errors/incidents', w.t.keys.sam);
    expect(inc.json.results).toHaveLength(1);
    expect(inc.json.results[0].evidence.counts.window).toEqual({ numerator: 11, denominator: 45 });
    expect(inc.json.results[0].rollback).toBeNull();
  });
});
