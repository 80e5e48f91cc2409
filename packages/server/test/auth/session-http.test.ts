/**
 * Dashboard sign-in through the real HTTP app (in process): cookie attributes, CSRF on every
 * state-changing request made with the cookie, bearer keys untouched, sign-out, expiry on an
 * injected clock, shared-storage rate limits, and roles.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setPassword } from '../../src/core/auth/credentials.js';
import { hashSessionToken } from '../../src/core/auth/sessions.js';
import { createManualClock } from '../../src/core/clock.js';
import { exampleConfigText, startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';

const PASSWORDS: Record<string, string> = {
  maria: 'maria-has-a-long-passphrase',
  sam: 'sam-keeps-the-pager-at-night',
  ana: 'ana-reads-every-audit-entry',
};

const clock = createManualClock();
let t: TestGatehouse;
let day = 0;

interface Call {
  cookie?: string;
  csrf?: string;
  bearer?: string;
  body?: unknown;
  ip?: string;
}

async function call(method: string, url: string, c: Call = {}) {
  const res = await t.gh.http.inject({
    method: method as 'GET',
    url,
    remoteAddress: c.ip ?? '127.0.0.1',
    headers: {
      ...(c.cookie ? { cookie: c.cookie } : {}),
      ...(c.csrf !== undefined ? { 'x-csrf-token': c.csrf } : {}),
      ...(c.bearer ? { authorization: `Bearer ${c.bearer}` } : {}),
      ...(c.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(c.body !== undefined ? { payload: JSON.stringify(c.body) } : {}),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let json: any;
  try {
    json = res.json();
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, json, headers: res.headers };
}

const setCookieOf = (headers: Record<string, unknown>) => {
  const v = headers['set-cookie'] as string | string[] | undefined;
  return (Array.isArray(v) ? v[0] : v) ?? '';
};

/** Signs in and answers what the browser would keep: the cookie and the CSRF token. */
async function signIn(person: string, ip?: string) {
  const r = await call('POST', '/v1/session', { body: { person, password: PASSWORDS[person] }, ...(ip ? { ip } : {}) });
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  const token = /^gh_session=([^;]+)/.exec(setCookieOf(r.headers))![1]!;
  return { cookie: `gh_session=${token}`, token, csrf: r.json.csrf_token as string, json: r.json };
}

const mode = async (agent: string) =>
  (await call('GET', '/v1/agents', { bearer: t.keys.maria })).json.results.find((a: { id: string }) => a.id === agent)
    .mode as string;

async function auditTypes(type: string) {
  const rows = await t.gh.storage.audit.list({ limit: 10_000 });
  return rows.filter((e) => e.type === type);
}

beforeAll(async () => {
  t = await startTestGatehouse({ clock, contacts: 60 });
  const deps = { storage: t.gh.storage, clock, personIds: new Set(t.config.people.map((p) => p.id)) };
  for (const [personId, password] of Object.entries(PASSWORDS))
    await setPassword(deps, { personId, password, actor: 'system:test' });
});
afterAll(async () => t?.close());

// A fresh day per test: earlier sessions have expired and every rate-limit window is new.
beforeEach(() => {
  day += 1;
  clock.set(new Date(Date.UTC(2026, 0, 5 + day, 9, 0, 0)));
});

describe('POST /v1/session', () => {
  it('signs in and sets an HttpOnly, SameSite=Strict session cookie; storage keeps only its hash', async () => {
    const r = await call('POST', '/v1/session', { body: { person: 'maria', password: PASSWORDS.maria } });
    expect(r.status).toBe(200);
    const cookie = setCookieOf(r.headers);
    expect(cookie).toMatch(/^gh_session=[A-Za-z0-9_-]{43}; /);
    const attrs = cookie.split('; ').slice(1);
    expect(attrs).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/', 'Max-Age=43200']));
    expect(attrs).not.toContain('Secure'); // public_url is http in the example
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.json).toEqual({
      person: { id: 'maria', name: 'Maria Lopez', email: 'maria@example.com', roles: ['admin', 'approver'] },
      permissions: ['agents.mode', 'approvals.decide', 'audit.read', 'read'],
      csrf_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expires_at: new Date(clock.now().getTime() + 12 * 3600_000).toISOString(),
    });
    const token = /^gh_session=([^;]+)/.exec(cookie)![1]!;
    expect(await t.gh.storage.sessions.getActive(token, clock.now().toISOString())).toBeUndefined();
    const row = await t.gh.storage.sessions.getActive(hashSessionToken(token), clock.now().toISOString());
    expect(row).toMatchObject({ personId: 'maria', csrfToken: r.json.csrf_token });
    const logins = await auditTypes('session.login');
    expect(logins.at(-1)).toMatchObject({ actor: 'person:maria', subject: 'maria' });
    expect(JSON.stringify(logins.at(-1))).not.toContain(token);
  });

  it('answers the same 401 invalid_credentials for a wrong password, an unknown person and a person without a password', async () => {
    const answers = [
      await call('POST', '/v1/session', { body: { person: 'maria', password: 'not-marias-password' } }),
      await call('POST', '/v1/session', { body: { person: 'nobody', password: 'whatever-it-is-123' } }),
      await call('POST', '/v1/session', { body: { person: 'lee', password: 'lee-never-set-one-1' } }),
    ];
    for (const r of answers) {
      expect(r.status).toBe(401);
      expect(r.json.error.code).toBe('invalid_credentials');
      expect(r.headers['set-cookie']).toBeUndefined();
    }
    expect(new Set(answers.map((r) => r.json.error.message)).size).toBe(1);
    const failed = (await auditTypes('session.login_failed')).slice(-3);
    expect(failed.map((e) => e.data.reason)).toEqual(['wrong_password', 'unknown_person', 'no_password']);
    expect(JSON.stringify(failed)).not.toContain('not-marias-password');
  });

  it('takes JSON only (a cross-site HTML form cannot sign a browser in)', async () => {
    const r = await t.gh.http.inject({
      method: 'POST',
      url: '/v1/session',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `person=maria&password=${encodeURIComponent(PASSWORDS.maria!)}`,
    });
    expect(r.statusCode).toBe(415);
    expect(r.headers['set-cookie']).toBeUndefined();
  });
});

describe('cookie-authenticated requests', () => {
  it('GET works with the cookie alone, and GET /v1/session returns the person and CSRF token', async () => {
    const s = await signIn('ana');
    const agents = await call('GET', '/v1/agents', { cookie: s.cookie });
    expect(agents.status).toBe(200);
    expect(agents.json.results.length).toBeGreaterThan(0);
    const me = await call('GET', '/v1/session', { cookie: s.cookie });
    expect(me.status).toBe(200);
    expect(me.json).toEqual(s.json);
    expect((await call('GET', '/v1/session')).status).toBe(401);
    expect((await call('GET', '/v1/agents')).json.error.code).toBe('unauthenticated');
  });

  it('a state-changing request needs the matching x-csrf-token: missing or wrong → 403 csrf_failed and nothing changes', async () => {
    const s = await signIn('maria');
    const other = await signIn('sam');
    const before = await mode('lead-router');
    const body = { mode: 'paused', comment: 'csrf test' };
    for (const csrf of [undefined, '', 'x'.repeat(43), other.csrf, s.csrf.slice(0, -1)]) {
      const r = await call('POST', '/v1/agents/lead-router/mode', {
        cookie: s.cookie,
        body,
        ...(csrf !== undefined ? { csrf } : {}),
      });
      expect(r.status, String(csrf)).toBe(403);
      expect(r.json.error.code).toBe('csrf_failed');
    }
    expect(await mode('lead-router')).toBe(before);

    const ok = await call('POST', '/v1/agents/lead-router/mode', { cookie: s.cookie, csrf: s.csrf, body });
    expect(ok.status, JSON.stringify(ok.json)).toBe(200);
    expect(await mode('lead-router')).toBe('paused');
    expect((await auditTypes('agent.mode_changed')).at(-1)).toMatchObject({ actor: 'person:maria' });
    await call('POST', '/v1/agents/lead-router/mode', { cookie: s.cookie, csrf: s.csrf, body: { mode: before } });
  });

  it('bearer person keys need no CSRF token, and a bearer key wins over a cookie', async () => {
    const before = await mode('campaign-runner');
    const r = await call('POST', '/v1/agents/campaign-runner/mode', { bearer: t.keys.maria, body: { mode: 'paused' } });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    // ana's session cookie is ignored when maria's key is sent: the change is maria's.
    const ana = await signIn('ana');
    const back = await call('POST', '/v1/agents/campaign-runner/mode', {
      bearer: t.keys.maria,
      cookie: ana.cookie,
      body: { mode: before },
    });
    expect(back.status).toBe(200);
    expect((await auditTypes('agent.mode_changed')).at(-1)).toMatchObject({ actor: 'person:maria' });
  });

  it('an auditor cannot change modes, even with a valid session and CSRF token (403)', async () => {
    const s = await signIn('ana');
    const before = await mode('subject-optimizer');
    const r = await call('POST', '/v1/agents/subject-optimizer/mode', {
      cookie: s.cookie,
      csrf: s.csrf,
      body: { mode: 'autonomous' },
    });
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe('forbidden');
    expect(await mode('subject-optimizer')).toBe(before);
    // ...and reads the audit log, which an approver-only person cannot.
    expect((await call('GET', '/v1/audit?limit=1', { cookie: s.cookie })).status).toBe(200);
    expect((await call('GET', '/v1/audit?limit=1', { bearer: t.keys.lee })).status).toBe(403);
  });
});

describe('session lifetime', () => {
  it('DELETE /v1/session needs CSRF, then ends the session everywhere and clears the cookie', async () => {
    const s = await signIn('sam');
    const refused = await call('DELETE', '/v1/session', { cookie: s.cookie });
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('csrf_failed');
    expect((await call('GET', '/v1/agents', { cookie: s.cookie })).status).toBe(200);

    const out = await call('DELETE', '/v1/session', { cookie: s.cookie, csrf: s.csrf });
    expect(out.status).toBe(200);
    expect(setCookieOf(out.headers)).toMatch(/^gh_session=; .*Max-Age=0/);
    const after = await call('GET', '/v1/agents', { cookie: s.cookie });
    expect(after.status).toBe(401);
    expect(after.json.error.code).toBe('unauthenticated');
    expect((await call('DELETE', '/v1/session', { cookie: s.cookie, csrf: s.csrf })).status).toBe(401);
    expect((await auditTypes('session.logout')).at(-1)).toMatchObject({ actor: 'person:sam', subject: 'sam' });
  });

  it('a session is refused once its 12 hours are over (injected clock)', async () => {
    const s = await signIn('ana');
    clock.advance(12 * 3600_000 - 1000);
    expect((await call('GET', '/v1/agents', { cookie: s.cookie })).status).toBe(200);
    clock.advance(1000);
    const r = await call('GET', '/v1/agents', { cookie: s.cookie });
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe('unauthenticated');
    expect((await call('GET', '/v1/session', { cookie: s.cookie })).status).toBe(401);
  });

  it('setting a new password signs the person out of every session', async () => {
    const a = await signIn('ana');
    const b = await signIn('ana');
    const deps = { storage: t.gh.storage, clock, personIds: new Set(['ana']) };
    const r = await setPassword(deps, { personId: 'ana', password: PASSWORDS.ana!, actor: 'system:test' });
    expect(r.sessionsRevoked).toBeGreaterThanOrEqual(2);
    for (const s of [a, b]) expect((await call('GET', '/v1/agents', { cookie: s.cookie })).status).toBe(401);
    await signIn('ana');
  });

  it('a forged or malformed cookie authenticates nobody', async () => {
    for (const cookie of ['gh_session=', 'gh_session=abc', `gh_session=${'A'.repeat(43)}`, 'other=1']) {
      expect((await call('GET', '/v1/agents', { cookie })).status, cookie).toBe(401);
    }
  });
});

describe('sign-in rate limits (shared storage)', () => {
  it('after 10 attempts for one person, even the right password gets 429 until the window ends', async () => {
    for (let i = 0; i < 10; i++) {
      const r = await call('POST', '/v1/session', {
        body: { person: 'sam', password: `guess-number-${i}-xx` },
        ip: `10.0.0.${i}`,
      });
      expect(r.status).toBe(401);
    }
    const limited = await call('POST', '/v1/session', {
      body: { person: 'sam', password: PASSWORDS.sam },
      ip: '10.0.1.1',
    });
    expect(limited.status).toBe(429);
    expect(limited.json.error.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBe(15 * 60);
    expect(limited.headers['set-cookie']).toBeUndefined();
    // Other people are not locked out by it.
    await signIn('maria');
    clock.advance(15 * 60_000);
    await signIn('sam', '10.0.1.1');
  });

  it('after 30 attempts from one address, that address is refused for anyone; other addresses are not', async () => {
    const people = ['maria', 'sam', 'ana', 'lee', 'nobody'];
    for (let i = 0; i < 30; i++) {
      const r = await call('POST', '/v1/session', {
        body: { person: people[i % 5], password: 'wrong-password-1' },
        ip: '192.0.2.7',
      });
      expect(r.status).toBe(401);
    }
    const r = await call('POST', '/v1/session', { body: { person: 'ana', password: PASSWORDS.ana }, ip: '192.0.2.7' });
    expect(r.status).toBe(429);
    expect(r.json.error.details.limit).toBe('ip');
    await signIn('ana', '192.0.2.8');
  });
});

describe('API document', () => {
  it('publishes the three session routes and the sign-in error codes', async () => {
    const doc = (await call('GET', '/v1/openapi.json')).json;
    expect(Object.keys(doc.paths['/v1/session']).sort()).toEqual(['delete', 'get', 'post']);
    expect(doc.components['x-error-codes']).toMatchObject({
      invalid_credentials: { status: 401 },
      csrf_failed: { status: 403 },
    });
  });
});

describe('Secure cookies', () => {
  it('are marked Secure when public_url is https', async () => {
    const text = exampleConfigText({ contacts: 30 }).replace(
      /public_url:\s*\S+/,
      'public_url: https://gatehouse.example.com',
    );
    const https = await startTestGatehouse({ configText: text, contacts: 30 });
    try {
      await setPassword(
        { storage: https.gh.storage, clock: https.gh.pipeline.clock, personIds: new Set(['maria']) },
        { personId: 'maria', password: PASSWORDS.maria!, actor: 'system:test' },
      );
      const r = await https.gh.http.inject({
        method: 'POST',
        url: '/v1/session',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ person: 'maria', password: PASSWORDS.maria }),
      });
      expect(r.statusCode).toBe(200);
      expect(setCookieOf(r.headers).split('; ')).toContain('Secure');
    } finally {
      await https.close();
    }
  });
});
