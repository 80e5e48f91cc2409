/**
 * `GET /v1/breakers/:id`: a healthy week of CTR, the subject-optimizer rewrites an email, the next
 * day's CTR collapses and ctr-drop trips. The detail shows the hourly series against its baseline,
 * the trip point, and the incident with its evidence and rollback result; the overview's sparkline
 * and the agent's light follow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { exampleConfigText, startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { allRecords, crmOf } from '../helpers/sandbox.js';

const AGENT = 'subject-optimizer';
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const clock = createManualClock(new Date(T0 + 7 * DAY).toISOString());
let t: TestGatehouse;

function hourly(emailId: string, from: number, hours: number, delivered: number, clicks: number) {
  const samples = [];
  for (let h = 0; h < hours; h++) {
    const at = new Date(from + h * HOUR).toISOString();
    samples.push({ metric: 'email.delivered', value: delivered, at, dims: { email_id: emailId } });
    samples.push({ metric: 'email.clicks', value: clicks, at, dims: { email_id: emailId } });
  }
  return samples;
}

beforeAll(async () => {
  const text = exampleConfigText({ contacts: 120 }).replace(
    /(- id: subject-optimizer\n(?:.*\n)*?\s+mode: )observe/,
    '$1autonomous',
  );
  t = await startTestGatehouse({ configText: text, clock });
  const [email, other] = (await allRecords(crmOf(t.gh), 'marketing_emails')).filter(
    (e) => e.properties.status !== 'sent',
  );
  if (!email || !other) throw new Error('too few unsent emails in the sandbox');
  // An email the agent never touched, with a very different CTR: not the agent's scope.
  const untouched = await t.inject('POST', '/v1/kpis', t.keys.maria, {
    samples: hourly(other.id, T0, 8 * 24, 250, 125),
  });
  expect(untouched.status, untouched.body).toBe(200);
  expect(
    (await t.inject('POST', '/v1/kpis', t.keys.maria, { samples: hourly(email.id, T0, 7 * 24, 250, 8) })).status,
  ).toBe(200);
  clock.advance(60_000);
  const a = await t.inject('POST', '/v1/actions', t.keys[AGENT], {
    connector: 'crm',
    object: 'marketing_emails',
    operation: 'update',
    records: [{ id: email.id, changes: { subject: 'YOU WILL NOT BELIEVE THIS' } }],
    reason: 'better subject',
  });
  expect(a.json.status, a.body).toBe('executed');
  clock.set(new Date(T0 + 8 * DAY).toISOString());
  const r = await t.inject('POST', '/v1/kpis', t.keys.maria, { samples: hourly(email.id, T0 + 7 * DAY, 24, 250, 2) });
  expect(r.status, r.body).toBe(200);
}, 60_000);

afterAll(() => t?.close());

describe('GET /v1/breakers/:id', () => {
  it('answers the breaker row, the series against its baseline, the trip point and the incident', async () => {
    const r = await t.inject('GET', '/v1/breakers/ctr-drop', t.keys.ana);
    expect(r.status, r.body).toBe(200);
    const b = r.json;
    expect(b).toMatchObject({ id: 'ctr-drop', metric: 'email.ctr', state: 'open', tripped: true });
    expect(b.scopes[0]).toMatchObject({ scope: `agent:${AGENT}`, state: 'open' });
    expect(b.last_verdict).toMatchObject({ outcome: 'fail' });
    expect(b.series_scope).toBe(`agent:${AGENT}`);

    expect(b.series).toHaveLength(7 * 24);
    const last = b.series.at(-1);
    expect(last.at).toBe(new Date(T0 + 8 * DAY).toISOString());
    expect(last.value).toBeCloseTo(2 / 250, 6); // the collapsed day, the agent's email only
    expect(last.baseline).toBeCloseTo(8 / 250, 6); // the healthy week before it
    expect(b.series[0].value).toBeCloseTo(8 / 250, 6);

    expect(b.tripped_at).toBe(new Date(T0 + 8 * DAY).toISOString());
    expect(b.trip_point.value).toBeCloseTo(2 / 250, 6);
    expect(b.trip_point.baseline).toBeCloseTo(8 / 250, 6);

    expect(b.incidents).toHaveLength(1);
    const inc = b.incidents[0];
    expect(inc).toMatchObject({ id: expect.stringMatching(/^inc_/), opened_at: b.tripped_at });
    expect(inc.evidence).toMatchObject({ metric: 'email.ctr', paused: [AGENT] });
    expect(inc.rollback).toMatchObject({ restored: 1, conflicts: 0, irreversible: 0, details: [] });
  });

  it('shows the trip on the overview: the light, the breaker state and the sparkline', async () => {
    const r = await t.inject('GET', '/v1/overview', t.keys.sam);
    const agent = r.json.agents.find((a: { id: string }) => a.id === AGENT);
    expect(agent.status).toBe('breaker_open');
    expect(agent.breakers).toContainEqual({ id: 'ctr-drop', state: 'open', scope: `agent:${AGENT}` });
    const kpi = r.json.kpis.find((k: { breaker_id: string }) => k.breaker_id === 'ctr-drop');
    expect(kpi.metric).toBe('email.ctr');
    // The overview's sparkline counts every sample (both emails); the breaker page, the scope's.
    expect(kpi.points.at(-1).value).toBeCloseTo((2 + 125) / 500, 6);
  });

  it('answers 404 breaker_not_found, 400 for a bad query, 403 for agents', async () => {
    const none = await t.inject('GET', '/v1/breakers/nope', t.keys.ana);
    expect(none.status).toBe(404);
    expect(none.json.error.code).toBe('breaker_not_found');
    expect((await t.inject('GET', '/v1/breakers/ctr-drop?days=99', t.keys.ana)).status).toBe(400);
    const scope = await t.inject('GET', '/v1/breakers/ctr-drop?scope=agent:nobody', t.keys.ana);
    expect(scope.status).toBe(400);
    expect(scope.json.error.code).toBe('invalid_query');
    expect((await t.inject('GET', '/v1/breakers/ctr-drop', t.keys[AGENT])).status).toBe(403);
  });

  it('reset stays a responder’s: an approver and an auditor are refused, the responder resets', async () => {
    for (const who of ['lee', 'ana']) {
      const r = await t.inject('POST', '/v1/breakers/ctr-drop/reset', t.keys[who], { comment: 'looked at it' });
      expect(r.status, who).toBe(403);
    }
    const ok = await t.inject('POST', '/v1/breakers/ctr-drop/reset', t.keys.sam, { comment: 'subject reverted' });
    expect(ok.status, ok.body).toBe(200);
  });
});
