import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../../core/clock.js';
import { describeConnectorContract } from '../connector.case.js';
import type { Filter } from '../../../core/ports/connector.js';
import { createSandboxConnector, type SandboxConnector } from './index.js';

const SMALL = { contacts: 60, companies: 10, deals: 15 };

describeConnectorContract('sandbox (:memory:)', async () => {
  const clock = createManualClock();
  const connector = await createSandboxConnector({ id: 'crm', seed: 7, size: SMALL, clock });
  return { connector, clock, cleanup: () => connector.close() };
});

// The same contract on a file in WAL mode: the seeding and storage path real deployments use.
describeConnectorContract('sandbox (file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sandbox-contract-'));
  const clock = createManualClock();
  const connector = await createSandboxConnector({ id: 'crm', seed: 7, size: SMALL, clock, path: join(dir, 'crm.db') });
  return {
    connector,
    clock,
    cleanup: async () => {
      await connector.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('sandbox', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sandbox-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('same seed gives the same data byte for byte; another seed, other data', async () => {
    const build = async (seed: number, path = ':memory:') => {
      const c = await createSandboxConnector({ id: 'crm', seed, size: SMALL, path });
      const hash = c.dumpHash();
      await c.close();
      return hash;
    };
    const a = await build(42);
    expect(await build(42, join(dir, 'nested', 'dir', 'a.db'))).toBe(a); // a file build in a directory that did not exist
    expect(await build(43)).not.toBe(a);
  });
});

describe('sandbox storage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sandbox-file-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a file is seeded once: reopening keeps earlier writes; another seed or size is refused', async () => {
    const path = join(dir, 'crm.db');
    const clock = createManualClock();
    const first = await createSandboxConnector({ id: 'crm', seed: 5, size: SMALL, path, clock });
    const plan = await first.plan({
      object: 'contacts',
      operation: 'update',
      records: [{ id: 'c_1', changes: { city: 'Persisted' } }],
    });
    expect(
      (await first.apply(plan, { idempotencyKey: 'k1', actor: { kind: 'person', id: 'p' }, source: 'test' })).type,
    ).toBe('applied');
    await first.close();

    const again = await createSandboxConnector({ id: 'crm', seed: 5, size: SMALL, path, clock });
    expect((await again.get('contacts', 'c_1'))?.properties['city']).toBe('Persisted');
    await again.close();
    await expect(createSandboxConnector({ id: 'crm', seed: 6, size: SMALL, path })).rejects.toMatchObject({
      code: 'sandbox_seed_mismatch',
      message: expect.stringContaining('seed 5'),
    });
    await expect(
      createSandboxConnector({ id: 'crm', seed: 5, size: { ...SMALL, contacts: 61 }, path }),
    ).rejects.toMatchObject({
      code: 'sandbox_seed_mismatch',
    });
  });

  it('a closed connector fails with connector_closed', async () => {
    const c = await createSandboxConnector({ id: 'crm', seed: 1, size: SMALL });
    await c.close();
    await expect(c.get('contacts', 'c_1')).rejects.toMatchObject({ code: 'connector_closed' });
    expect((await c.health()).ok).toBe(false);
  });

  it('rejects sizes that are not small non-negative integers, naming the field', async () => {
    await expect(createSandboxConnector({ id: 'crm', seed: 1, size: { ...SMALL, deals: -1 } })).rejects.toMatchObject({
      code: 'invalid_config',
      message: expect.stringContaining('size.deals'),
    });
  });
});

describe('seeded data', () => {
  let c: SandboxConnector;
  beforeAll(async () => {
    c = await createSandboxConnector({ id: 'crm', seed: 42, size: { contacts: 3000, companies: 480, deals: 720 } });
  });
  afterAll(() => c.close());

  const count = async (object: string, filters: Filter[]) => (await c.search(object, { filters, limit: 1 })).total;
  const share = async (filters: Filter[]) => (await count('contacts', filters)) / 3000;

  it('has a lifecycle funnel: many subscribers and leads, fewer MQLs, SQLs, opportunities and customers', async () => {
    const stage = (s: string) => share([{ property: 'lifecyclestage', operator: 'EQ', value: s }]);
    const [sub, lead, mql, sql, opp, cust] = await Promise.all(
      ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer'].map(stage),
    );
    expect(sub! + lead!).toBeGreaterThan(0.55);
    expect(lead!).toBeGreaterThan(mql!);
    expect(mql!).toBeGreaterThan(sql!);
    expect(sql!).toBeGreaterThan(opp!);
    expect(cust!).toBeGreaterThan(0.03);
    expect(cust!).toBeLessThan(0.1);
    // MQLs are those at or above the scoring model's threshold.
    const model = await c.get('lead_scoring', 'ls_1');
    const threshold = model!.properties['mql_threshold']!;
    expect(
      await count('contacts', [
        { property: 'lifecyclestage', operator: 'EQ', value: 'marketingqualifiedlead' },
        { property: 'lead_score', operator: 'LT', value: threshold },
      ]),
    ).toBe(0);
  });

  it('has about 3% opt-outs and 2% bounces, and US as the largest market', async () => {
    const optout = await share([{ property: 'hs_email_optout', operator: 'EQ', value: 'true' }]);
    const bounced = await share([{ property: 'email_bounced', operator: 'EQ', value: 'true' }]);
    expect(optout).toBeGreaterThan(0.015);
    expect(optout).toBeLessThan(0.045);
    expect(bounced).toBeGreaterThan(0.01);
    expect(bounced).toBeLessThan(0.035);
    const us = await share([{ property: 'country', operator: 'EQ', value: 'US' }]);
    for (const other of ['CA', 'GB', 'DE', 'FR'])
      expect(us).toBeGreaterThan(await share([{ property: 'country', operator: 'EQ', value: other }]));
  });

  it('assigns owners by territory', async () => {
    const owners = new Map(
      (await c.list('owners', { limit: 100 })).results.map((o) => [o.id, o.properties['territory']!.split(';')]),
    );
    const owned = await c.search('contacts', {
      filters: [{ property: 'owner_id', operator: 'HAS_PROPERTY' }],
      limit: 500,
    });
    expect(owned.total).toBeGreaterThan(500);
    for (const contact of owned.results)
      expect(owners.get(contact.properties['owner_id']!)).toContain(contact.properties['country']);
  });

  it('has emails with unsubscribe links except a few seeded defects, campaigns in several states, accurate list counts', async () => {
    const emails = (await c.list('marketing_emails', { limit: 1000 })).results;
    const defects = emails.filter((e) => !e.properties['body']!.includes('{{unsubscribe_link}}'));
    expect(defects.length).toBeGreaterThan(0);
    expect(defects.length).toBeLessThan(emails.length / 5);
    const campaigns = (await c.list('campaigns', { limit: 1000 })).results;
    expect(new Set(campaigns.map((x) => x.properties['status'])).size).toBeGreaterThanOrEqual(3);
    for (const list of (await c.list('lists', { limit: 100 })).results) {
      const members = await count('contacts', [{ property: 'lists', operator: 'CONTAINS_TOKEN', value: list.id }]);
      expect(Number(list.properties['member_count'])).toBe(members);
    }
  });

  it('records initial values as history by the seed integration, walking up the funnel', async () => {
    const [customer] = (
      await c.search('contacts', {
        filters: [{ property: 'lifecyclestage', operator: 'EQ', value: 'customer' }],
        limit: 1,
      })
    ).results;
    const stages = await c.history('contacts', customer!.id, 'lifecyclestage');
    expect(stages.map((e) => e.value)).toEqual([
      'customer',
      'opportunity',
      'salesqualifiedlead',
      'marketingqualifiedlead',
      'lead',
    ]);
    expect(stages.every((e) => e.source === 'import' && e.actor.kind === 'integration' && e.actor.id === 'seed')).toBe(
      true,
    );
    const email = await c.history('contacts', customer!.id, 'email');
    expect(email).toEqual([
      expect.objectContaining({ value: customer!.properties['email'], timestamp: customer!.createdAt }),
    ]);
  });
});
