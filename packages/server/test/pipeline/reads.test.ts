/**
 * Agent reads through the HTTP API: only in-scope records, only readable fields, PII masked.
 * Answers are compared with the raw records read from the sandbox behind Gatehouse's back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrmRecord } from '../../src/core/ports/connector.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { allRecords, crmOf, inUsCa } from '../helpers/sandbox.js';

const READ_FIELDS = ['email', 'firstname', 'lifecyclestage', 'country', 'owner_id', 'lead_score'];

let t: TestGatehouse;
let raw: Map<string, CrmRecord>;
let inScopeIds: string[];
const get = (url: string, key = t.keys['lead-router']) => t.inject('GET', url, key);

interface View {
  id: string;
  properties: Record<string, string | null>;
}

/** Walks every page of a list URL; answers all results in order. */
async function walk(url: string): Promise<View[]> {
  const out: View[] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 200; pages++) {
    const r = await get(`${url}${after ? `&after=${encodeURIComponent(after)}` : ''}`);
    expect(r.status, r.body).toBe(200);
    out.push(...(r.json.results as View[]));
    after = r.json.paging?.next?.after;
    if (!after) return out;
  }
  throw new Error('paging did not end within 200 pages');
}

beforeAll(async () => {
  t = await startTestGatehouse();
  const all = await allRecords(crmOf(t.gh), 'contacts');
  raw = new Map(all.map((r) => [r.id, r]));
  inScopeIds = all.filter(inUsCa).map((r) => r.id);
  // Both sides of the segment must exist for these tests to mean anything.
  expect(inScopeIds.length).toBeGreaterThan(20);
  expect(all.length - inScopeIds.length).toBeGreaterThan(20);
});
afterAll(async () => {
  await t?.close();
});

describe('listing records', () => {
  it('pages only in-scope records, only read_fields, emails masked (never raw)', async () => {
    const r = await get('/v1/records/crm/contacts?limit=50');
    expect(r.status, r.body).toBe(200);
    expect(r.json.results).toHaveLength(50);
    expect(r.json.paging?.next?.after).toEqual(expect.any(String));
    for (const v of r.json.results as View[]) {
      const rec = raw.get(v.id);
      expect(rec, v.id).toBeDefined();
      expect(['US', 'CA']).toContain(rec?.properties.country);
      expect(Object.keys(v.properties).sort()).toEqual([...READ_FIELDS].sort());
      const email = rec?.properties.email;
      if (email) {
        expect(v.properties.email).not.toBe(email);
        expect(v.properties.email).toBe(`${email[0]}***@${email.split('@')[1]}`);
        expect(r.body).not.toContain(email);
      }
      const first = rec?.properties.firstname;
      if (first) expect(r.body).not.toContain(`"${first}"`);
      expect(v.properties.owner_id).toBe(rec?.properties.owner_id ?? null);
    }
  });

  it('walking `after` visits every in-scope record exactly once', async () => {
    const seen = (await walk('/v1/records/crm/contacts?limit=37')).map((v) => v.id);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...inScopeIds].sort());
  });

  it('filter narrows within the scope', async () => {
    const ca = (await walk('/v1/records/crm/contacts?limit=100&filter=country:EQ:CA')).map((v) => v.id);
    const expected = inScopeIds.filter((id) => raw.get(id)?.properties.country === 'CA');
    expect(expected.length).toBeGreaterThan(0);
    expect([...ca].sort()).toEqual([...expected].sort());
  });

  it('a filter cannot reach outside the scope', async () => {
    const de = await get('/v1/records/crm/contacts?limit=100&filter=country:EQ:DE');
    expect(de.status, de.body).toBe(200);
    expect(de.json.results).toEqual([]);
  });

  it.each([
    ['an unreadable field', 'city:EQ:Berlin'],
    ['a PII field, even if readable (masked values must not be probed)', 'email:EQ:someone@example.com'],
  ])('refuses a filter on %s', async (_what, filter) => {
    const r = await get(`/v1/records/crm/contacts?filter=${encodeURIComponent(filter)}`);
    expect(r.status, r.body).toBe(403);
    expect(r.json.error.code).toBe('field_not_readable');
  });

  it('a malformed filter is a 400 naming the part', async () => {
    const r = await get('/v1/records/crm/contacts?filter=country:LIKE:US');
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('invalid_filter');
    expect(r.json.error.message).toContain('country:LIKE:US');
  });

  it('search (POST) answers the same scoped, projected records', async () => {
    const r = await t.inject('POST', '/v1/records/crm/contacts/search', t.keys['lead-router'], {
      filters: [{ property: 'lifecyclestage', operator: 'IN', values: ['lead', 'subscriber'] }],
      limit: 500,
    });
    expect(r.status, r.body).toBe(200);
    const expected = inScopeIds.filter((id) =>
      ['lead', 'subscriber'].includes(raw.get(id)?.properties.lifecyclestage ?? ''),
    );
    const ids = (r.json.results as View[]).map((v) => v.id);
    expect([...ids].sort()).toEqual([...expected].sort());
    for (const v of r.json.results as View[]) expect(Object.keys(v.properties).sort()).toEqual([...READ_FIELDS].sort());
  });
});

describe('one record', () => {
  it('in scope: the projected record', async () => {
    const id = inScopeIds[0]!;
    const r = await get(`/v1/records/crm/contacts/${id}`);
    expect(r.status, r.body).toBe(200);
    expect(r.json.id).toBe(id);
    expect(Object.keys(r.json.properties).sort()).toEqual([...READ_FIELDS].sort());
    expect(r.json.properties.email).not.toBe(raw.get(id)?.properties.email);
  });

  it('out of scope: 404 record_not_found, exactly like a record that does not exist', async () => {
    const outside = [...raw.values()].find((r) => !inUsCa(r));
    const a = await get(`/v1/records/crm/contacts/${outside?.id}`);
    const b = await get('/v1/records/crm/contacts/c_999999');
    expect(a.status).toBe(404);
    expect(a.json.error.code).toBe('record_not_found');
    expect(b.status).toBe(404);
    expect(b.json.error.code).toBe('record_not_found');
    expect(a.body).not.toContain(outside?.properties.country ?? '??');
  });

  it('an ungranted object: 403 object_not_granted, for lists and single records', async () => {
    const list = await get('/v1/records/crm/companies');
    const one = await get('/v1/records/crm/companies/co_1');
    for (const r of [list, one]) {
      expect(r.status, r.body).toBe(403);
      expect(r.json.error.code).toBe('object_not_granted');
    }
  });

  it('a person key cannot read records as an agent', async () => {
    const r = await get('/v1/records/crm/contacts', t.keys.maria);
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe('forbidden');
  });
});
