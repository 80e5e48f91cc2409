/**
 * A gatehouse for the dashboard API tests: the approvals test config (the example plus the gated
 * `gated-router` owned by maria, so sam and lee may approve its writes), passwords for the
 * example's people, and a browser-like client that signs in and sends the session cookie.
 */
import { expect } from 'vitest';
import { setPassword } from '../../src/core/auth/credentials.js';
import type { ManualClock } from '../../src/core/clock.js';
import type { CrmRecord } from '../../src/core/ports/connector.js';
import { approvalsConfigText, GATED } from '../approvals/harness.js';
import { startTestGatehouse, type InjectResult, type TestGatehouse } from '../helpers/gatehouse.js';
import { allRecords, crmOf, inUsCa } from '../helpers/sandbox.js';

export { GATED };

export const PASSWORDS: Readonly<Record<string, string>> = {
  maria: 'maria-has-a-long-passphrase',
  sam: 'sam-keeps-the-pager-at-night',
  lee: 'lee-approves-with-great-care',
  ana: 'ana-reads-every-audit-entry',
};

export interface Browser {
  readonly person: string;
  readonly cookie: string;
  readonly csrf: string;
}

export interface DashboardHarness extends TestGatehouse {
  signIn(person: string): Promise<Browser>;
  /** A request as the dashboard page makes it: cookie, and the CSRF header on state changes. */
  page(b: Browser | undefined, method: string, url: string, body?: unknown): Promise<InjectResult>;
  /** Contacts the lead-router (US/CA) and gated-router may write, each handed out once. */
  nextContact(): CrmRecord;
}

export async function startDashboardHarness(opts: { clock?: ManualClock } = {}): Promise<DashboardHarness> {
  const t = await startTestGatehouse({
    configText: approvalsConfigText({ contacts: 120 }),
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  const deps = {
    storage: t.gh.storage,
    clock: t.gh.pipeline.clock,
    personIds: new Set(t.config.people.map((p) => p.id)),
  };
  for (const [personId, password] of Object.entries(PASSWORDS))
    await setPassword(deps, { personId, password, actor: 'system:test' });
  const contacts = (await allRecords(crmOf(t.gh), 'contacts')).filter(inUsCa);
  let next = 0;

  const page = async (b: Browser | undefined, method: string, url: string, body?: unknown) => {
    const res = await t.gh.http.inject({
      method: method as 'GET',
      url,
      headers: {
        ...(b ? { cookie: b.cookie } : {}),
        ...(b && method !== 'GET' ? { 'x-csrf-token': b.csrf } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    let json: unknown;
    try {
      json = res.json();
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, json, headers: res.headers, body: res.body };
  };

  return {
    ...t,
    page,
    async signIn(person) {
      const r = await page(undefined, 'POST', '/v1/session', { person, password: PASSWORDS[person] });
      expect(r.status, r.body).toBe(200);
      const set = r.headers['set-cookie'];
      const cookie = /^(gh_session=[^;]+)/.exec((Array.isArray(set) ? set[0] : (set as string)) ?? '')![1]!;
      return { person, cookie, csrf: (r.json as { csrf_token: string }).csrf_token };
    },
    nextContact() {
      const c = contacts[next++];
      if (!c) throw new Error('ran out of contacts');
      return c;
    },
  };
}

/** A one-record owner change; the gated-router's always waits for an approver. */
export function submitUpdate(t: TestGatehouse, agent: string, contactId: string, owner: string) {
  return t.inject('POST', '/v1/actions', t.keys[agent], {
    connector: 'crm',
    object: 'contacts',
    operation: 'update',
    records: [{ id: contactId, changes: { owner_id: owner } }],
    reason: 'dashboard test',
  });
}
