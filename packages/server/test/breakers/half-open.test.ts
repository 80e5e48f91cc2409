/**
 * Half-open probation end to end (SQLite, the whole HTTP app, a manual clock): ctr-drop trips on
 * collapsed KPIs, sam resets it into half_open with `probe_actions: 2`, and the pipeline lets
 * exactly two writes through as probes before refusing with breaker_open. A failing evaluation
 * while half open re-trips; a passing one after the probes closes. Every move is audited.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { evaluateBreakers } from '../../src/core/breakers/service.js';
import { createManualClock, type ManualClock } from '../../src/core/clock.js';
import type { CrmRecord } from '../../src/core/ports/connector.js';
import { exampleConfigText, startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { allRecords, crmOf } from '../helpers/sandbox.js';

const AGENT = 'subject-optimizer';
const SCOPE = `agent:${AGENT}`;
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function configText(): string {
  let text = exampleConfigText({ contacts: 120 });
  const mode = /(- id: subject-optimizer\n(?:.*\n)*?\s+mode: )observe/;
  const probes = /(\n {4}scope: \{ agents: \[subject-optimizer\] \}\n)/;
  if (!mode.test(text) || !probes.test(text)) throw new Error('example config changed: subject-optimizer/ctr-drop');
  text = text.replace(mode, '$1autonomous');
  return text.replace(probes, '$1    half_open: { probe_actions: 2 }\n');
}

interface World {
  t: TestGatehouse;
  clock: ManualClock;
  emails: CrmRecord[];
}

let world: World | undefined;
afterEach(async () => {
  await world?.t.close();
  world = undefined;
});

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

async function scopeState(w: World) {
  const r = await w.t.inject('GET', '/v1/breakers', w.t.keys.sam);
  expect(r.status, r.body).toBe(200);
  const b = r.json.results.find((x: { id: string }) => x.id === 'ctr-drop');
  return b.scopes.find((s: { scope: string }) => s.scope === SCOPE);
}

async function breakerAudit(w: World): Promise<{ type: string; actor: string; data: Record<string, unknown> }[]> {
  const out = [];
  for await (const e of w.t.gh.storage.audit.iterate()) {
    if (e.subject === `ctr-drop/${SCOPE}`) out.push({ type: e.type, actor: e.actor, data: e.data as never });
  }
  return out;
}

/** Tripped by a KPI collapse, reset by sam into half_open (budget 2), unpaused by maria. */
async function onProbation(): Promise<World> {
  const clock = createManualClock(new Date(T0 + 7 * DAY).toISOString());
  const t = await startTestGatehouse({ configText: configText(), clock });
  const emails = (await allRecords(crmOf(t.gh), 'marketing_emails')).filter((e) => e.properties.status !== 'sent');
  if (emails.length < 6) throw new Error('the sandbox has too few unsent emails');
  const w: World = { t, clock, emails };
  world = w;
  const email = emails[0]!;
  await pushKpis(w, hourly(email.id, T0, 7 * 24, 250, 8)); // 3.2% CTR
  expect((await rewrite(w, email.id, 'YOU WILL NOT BELIEVE THIS')).json.status).toBe('executed');
  clock.set(new Date(T0 + 8 * DAY).toISOString());
  await pushKpis(w, hourly(email.id, T0 + 7 * DAY, 24, 250, 2)); // 0.8% CTR: trips
  expect((await scopeState(w)).state).toBe('open');

  const reset = await t.inject('POST', '/v1/breakers/ctr-drop/reset', t.keys.sam, { comment: 'subject reverted' });
  expect(reset.status, reset.body).toBe(200);
  expect(reset.json.results).toEqual([expect.objectContaining({ scope: SCOPE, from: 'open', state: 'half_open' })]);
  expect(await scopeState(w)).toMatchObject({ state: 'half_open', probe_budget: 2 });

  // The trip paused the agent: its refused writes spend no probe.
  const paused = await rewrite(w, emails[1]!.id, 'while paused');
  expect(paused.json.error.code, paused.body).toBe('agent_paused');
  expect((await scopeState(w)).probe_budget).toBe(2);
  const unpause = await t.inject('POST', `/v1/agents/${AGENT}/mode`, t.keys.maria, { mode: 'autonomous' });
  expect(unpause.status, unpause.body).toBe(200);
  return w;
}

describe('half_open: a budget of probe actions', () => {
  it('lets exactly probe_actions writes through, refuses the next with breaker_open, and a pass closes', async () => {
    const w = await onProbation();
    const [, a, b, c, d] = w.emails;

    const first = await rewrite(w, a!.id, 'probe one');
    expect(first.status, first.body).toBe(200);
    expect(first.json.status).toBe('executed');
    expect(await scopeState(w)).toMatchObject({ state: 'half_open', probe_budget: 1 });
    const second = await rewrite(w, b!.id, 'probe two');
    expect(second.json.status, second.body).toBe('executed');
    expect(await scopeState(w)).toMatchObject({ state: 'half_open', probe_budget: 0 });

    const third = await rewrite(w, c!.id, 'one too many');
    expect(third.status, third.body).toBe(423);
    expect(third.json.error.code).toBe('breaker_open');
    expect((await crmOf(w.t.gh).get('marketing_emails', c!.id))?.properties.subject).toBe(c!.properties.subject);
    expect((await scopeState(w)).state).toBe('half_open');

    // A healthy day after the probes: the evaluation the KPI push runs passes and closes.
    w.clock.set(new Date(T0 + 9 * DAY).toISOString());
    await pushKpis(w, hourly(w.emails[0]!.id, T0 + 8 * DAY, 24, 250, 8));
    expect(await scopeState(w)).toMatchObject({ state: 'closed', probe_budget: 0 });
    expect((await rewrite(w, d!.id, 'back to normal')).json.status).toBe('executed');

    const audit = await breakerAudit(w);
    expect(audit.map((e) => e.type)).toEqual([
      'breaker.evaluated',
      'breaker.tripped',
      'breaker.reset',
      'breaker.probe_used',
      'breaker.probe_used',
      'breaker.closed',
    ]);
    const probes = audit.filter((e) => e.type === 'breaker.probe_used');
    expect(probes.map((e) => e.actor)).toEqual([`agent:${AGENT}`, `agent:${AGENT}`]);
    expect(probes.map((e) => e.data.probe_budget)).toEqual([1, 0]);
    expect(audit.find((e) => e.type === 'breaker.reset')?.actor).toBe('person:sam');
    expect((await w.t.inject('GET', '/v1/audit/verify', w.t.keys.ana)).json.ok).toBe(true);
  });

  it('a failing evaluation while half open re-trips at once and writes are refused again', async () => {
    const w = await onProbation();
    const [, a, b] = w.emails;
    expect((await rewrite(w, a!.id, 'probe one')).json.status).toBe('executed');

    w.clock.advance(60_000);
    const deps = { ...w.t.gh.pipeline, breakers: w.t.config.breakers };
    const evaluated = (await evaluateBreakers(deps)).find((e) => e.breakerId === 'ctr-drop');
    expect(evaluated).toMatchObject({ outcome: 'fail', from: 'half_open', to: 'open', tripped: true });
    expect(await scopeState(w)).toMatchObject({ state: 'open', probe_budget: 0, pending_trip: true });

    await w.t.inject('POST', `/v1/agents/${AGENT}/mode`, w.t.keys.maria, { mode: 'autonomous' });
    const refused = await rewrite(w, b!.id, 'after the re-trip');
    expect(refused.status, refused.body).toBe(423);
    expect(refused.json.error.code).toBe('breaker_open');

    const audit = await breakerAudit(w);
    expect(audit.map((e) => e.type)).toEqual([
      'breaker.evaluated',
      'breaker.tripped',
      'breaker.reset',
      'breaker.probe_used',
      'breaker.tripped',
    ]);
    expect(audit.at(-1)?.data).toMatchObject({ from: 'half_open', to: 'open', retrip: true });
  });
});
