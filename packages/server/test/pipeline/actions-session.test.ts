/**
 * Reading actions with a dashboard session cookie: `GET /v1/actions` and `GET /v1/actions/:id`
 * take a person's session as well as keys. Agents keep seeing only their own actions; ingest keys
 * none; a signed-out cookie is 401.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setPassword } from '../../src/core/auth/credentials.js';
import { createManualClock } from '../../src/core/clock.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { allRecords, crmOf, inUsCa } from '../helpers/sandbox.js';

const PASSWORD = 'ana-reads-every-audit-entry';
const clock = createManualClock('2026-03-02T10:00:30.000Z');
let t: TestGatehouse;
let cookie: string;
let actionId: string;

async function get(url: string, headers: Record<string, string>) {
  const res = await t.gh.http.inject({ method: 'GET', url, headers });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.statusCode, json: res.json<any>() };
}

beforeAll(async () => {
  t = await startTestGatehouse({ clock, contacts: 60 });
  await setPassword(
    { storage: t.gh.storage, clock, personIds: new Set(t.config.people.map((p) => p.id)) },
    { personId: 'ana', password: PASSWORD, actor: 'system:test' },
  );
  const signIn = await t.gh.http.inject({
    method: 'POST',
    url: '/v1/session',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ person: 'ana', password: PASSWORD }),
  });
  expect(signIn.statusCode, signIn.body).toBe(200);
  const setCookie = signIn.headers['set-cookie'];
  cookie = /^(gh_session=[^;]+)/.exec((Array.isArray(setCookie) ? setCookie[0] : setCookie) ?? '')![1]!;

  const contact = (await allRecords(crmOf(t.gh), 'contacts')).find(inUsCa)!;
  const r = await t.inject('POST', '/v1/actions', t.keys['lead-router'], {
    connector: 'crm',
    object: 'contacts',
    operation: 'update',
    records: [{ id: contact.id, changes: { owner_id: 'u_session_test' } }],
    reason: 'session read test',
  });
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  actionId = r.json.id as string;
});
afterAll(async () => {
  await t?.close();
});

describe('actions read with a dashboard session cookie', () => {
  it('GET /v1/actions lists every agent’s actions to a signed-in person (no CSRF token needed for GET)', async () => {
    const r = await get('/v1/actions?limit=10', { cookie });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.results.map((a: { id: string }) => a.id)).toContain(actionId);
    const filtered = await get('/v1/actions?agent=subject-optimizer', { cookie });
    expect(filtered.status).toBe(200);
    expect(filtered.json.results).toEqual([]);
  });

  it('GET /v1/actions/:id answers the action with its change set', async () => {
    const r = await get(`/v1/actions/${actionId}`, { cookie });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toMatchObject({ id: actionId, agent: 'lead-router', status: 'executed' });
    expect(r.json.changeset.records).toHaveLength(1);
  });

  it('without a key or cookie, or with a cookie that is not a live session, answers 401', async () => {
    expect((await get('/v1/actions', {})).status).toBe(401);
    const bad = await get(`/v1/actions/${actionId}`, { cookie: 'gh_session=not-a-session' });
    expect(bad.status).toBe(401);
    expect(bad.json.error.code).toBe('unauthenticated');
  });

  it('agents still see only their own actions; ingest keys see none', async () => {
    const other = await get(`/v1/actions/${actionId}`, { authorization: `Bearer ${t.keys['subject-optimizer']}` });
    expect(other.status).toBe(404);
    expect(other.json.error.code).toBe('action_not_found');
    const list = await get('/v1/actions?agent=lead-router', {
      authorization: `Bearer ${t.keys['subject-optimizer']}`,
    });
    expect(list.status).toBe(200);
    expect(list.json.results.every((a: { agent: string }) => a.agent === 'subject-optimizer')).toBe(true);
    const own = await get(`/v1/actions/${actionId}`, { authorization: `Bearer ${t.keys['lead-router']}` });
    expect(own.status).toBe(200);
  });
});
