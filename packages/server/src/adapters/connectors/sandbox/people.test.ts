import { afterEach, describe, expect, it } from 'vitest';
import type { CrmRecord, PropertyHistoryEntry } from '../../../core/ports/connector.js';
import {
  createPeopleSimulator,
  createSandboxConnector,
  generatePeopleHistory,
  marketerSubject,
  subjectQuality,
  territoryOwner,
  territoryTable,
  SANDBOX_BASE_DATE,
  type SandboxConnector,
} from './index.js';

const SIZE = { contacts: 1500, companies: 200, deals: 300 };
const DAY = 86_400_000;
const START = '2026-01-05T00:00:00.000Z';

const opened: SandboxConnector[] = [];
afterEach(async () => {
  for (const c of opened.splice(0)) await c.close();
});
const sandbox = async (seed = 42, size = SIZE) => {
  const c = await createSandboxConnector({ id: 'crm', seed, size });
  opened.push(c);
  return c;
};

async function all<T>(fetch: (after?: string) => Promise<{ results: T[]; nextAfter?: string }>): Promise<T[]> {
  const out: T[] = [];
  let after: string | undefined;
  do {
    const page = await fetch(after);
    out.push(...page.results);
    after = page.nextAfter;
  } while (after);
  return out;
}
const personChanges = (c: SandboxConnector, from: string, to: string) =>
  all<PropertyHistoryEntry>((after) =>
    c.changes({ from, to, actorKinds: ['person'], limit: 1000, ...(after ? { after } : {}) }),
  );
const records = (c: SandboxConnector, object: string) =>
  all<CrmRecord>((after) => c.list(object, { limit: 1000, ...(after ? { after } : {}) }));

describe('territory rule', () => {
  it('maps every country of every territory to exactly one owner of that territory, in id order', () => {
    const owner = (id: string, territory: string) => ({ id, properties: { territory } });
    const table = territoryTable([
      owner('u_3', 'DE;FR'),
      owner('u_1', 'US;CA'),
      owner('u_2', 'US;CA'),
      owner('u_9', 'BR'),
    ]);
    expect(Object.fromEntries(table)).toEqual({ US: 'u_1', CA: 'u_2', DE: 'u_3', FR: 'u_3', BR: 'u_9' });
    expect(territoryOwner({ properties: { country: 'CA' } }, table)).toBe('u_2');
    expect(territoryOwner({ properties: { country: 'JP' } }, table)).toBeNull();
    expect(territoryOwner({ properties: { country: null } }, table)).toBeNull();
  });
});

describe('marketer rule', () => {
  const email = (subject: string, status = 'draft') => ({ properties: { subject, status } });
  it('rewrites weak subjects of unsent emails into better ones and leaves good or sent ones alone', () => {
    for (const weak of [
      'FREE TRIAL!!! ACT NOW',
      'Newsletter',
      'URGENT: limited time offer — 100% free, click here!!!',
    ]) {
      const better = marketerSubject(email(weak));
      expect(better, weak).not.toBeNull();
      expect(subjectQuality(better!)).toBeGreaterThan(subjectQuality(weak));
      expect(subjectQuality(better!)).toBeGreaterThanOrEqual(0.9);
      expect(marketerSubject(email(better!))).toBeNull(); // a fixed point: nobody rewrites it again
    }
    expect(marketerSubject(email('{{ contact.firstname }}, your March product update'))).toBeNull();
    expect(marketerSubject(email('Newsletter', 'sent'))).toBeNull();
    expect(marketerSubject(email('Freedom to report, FREE for teams!!!'))).toBe(
      '{{ contact.firstname }}, freedom to report, for teams',
    );
  });
});

describe('people simulator', () => {
  it('is deterministic: the same seed, data and period give byte-identical history', async () => {
    const a = await sandbox();
    const b = await sandbox();
    createPeopleSimulator(a, { seed: 7 }).work(START, 10);
    createPeopleSimulator(b, { seed: 7 }).work(START, 10);
    expect(a.dumpHash()).toBe(b.dumpHash());
    const c = await sandbox();
    createPeopleSimulator(c, { seed: 8 }).work(START, 10);
    expect(c.dumpHash()).not.toBe(a.dumpHash());
  });

  it('routes by the hidden territory rule with ~5% noise, over simulated working hours, as persons', async () => {
    const c = await sandbox();
    const people = createPeopleSimulator(c, { seed: 1 });
    const to = new Date(Date.parse(START) + 20 * DAY).toISOString();
    const summary = people.work(START, 20);
    expect(summary.ownerChanges).toBeGreaterThan(200);
    expect(summary.subjectChanges).toBeGreaterThan(0);

    const changes = await personChanges(c, START, to);
    expect(changes.map((e) => `${e.id}:${e.property}:${e.value}`)).toEqual(
      expect.arrayContaining(summary.changes.map((w) => `${w.id}:${w.property}:${w.value}`)),
    );
    const table = territoryTable(await records(c, 'owners'));
    const contacts = new Map((await records(c, 'contacts')).map((r) => [r.id, r]));
    const owners = changes.filter((e) => e.object === 'contacts' && e.property === 'owner_id');
    expect(owners).toHaveLength(summary.ownerChanges);
    const agree = owners.filter((e) => e.value === territoryOwner(contacts.get(e.id)!, table)).length;
    const share = agree / owners.length;
    expect(share).toBeGreaterThan(0.9);
    expect(share).toBeLessThan(0.99);
    for (const e of changes) {
      expect(e.actor.kind).toBe('person');
      expect(e.source).toBe('CRM_UI');
      const hour = new Date(e.timestamp).getUTCHours();
      expect(hour).toBeGreaterThanOrEqual(8);
      expect(hour).toBeLessThan(18);
    }
    // Spread over the period, not bunched at its start.
    const days = new Set(owners.map((e) => e.timestamp.slice(0, 10)));
    expect(days.size).toBe(20);
    // Some contacts are never touched, and nobody routes a contact twice.
    const touched = new Set(owners.map((e) => e.id));
    expect(touched.size).toBe(owners.length);
    expect([...contacts.keys()].filter((id) => !people.workable(id)).length).toBeGreaterThan(100);
    expect(owners.some((e) => !people.workable(e.id))).toBe(false);
    // Records hold what the people wrote last.
    for (const e of owners.slice(0, 50)) expect(contacts.get(e.id)!.properties['owner_id']).toBe(e.value);

    // Marketers: only unsent emails, and the rule's subject.
    const subjects = changes.filter((e) => e.property === 'subject');
    expect(subjects.length).toBe(summary.subjectChanges);
    expect(subjects.every((e) => e.object === 'marketing_emails' && e.actor.id.startsWith('marketing-'))).toBe(true);

    // Work continues where it stopped: a later period routes other contacts.
    const later = people.work(to, 5);
    expect(later.changes.every((w) => !touched.has(w.id) || w.property !== 'owner_id')).toBe(true);
    // Before the period: no person writes at all (the seed is an integration).
    expect(await personChanges(c, SANDBOX_BASE_DATE.replace('2026', '2020'), START)).toEqual([]);
  });

  it('sees agents’ writes made meanwhile: a contact already routed correctly is skipped', async () => {
    const c = await sandbox();
    const people = createPeopleSimulator(c, { seed: 3, noise: 0, contactsPerDay: 10_000 });
    const table = people.territory;
    const contacts = await records(c, 'contacts');
    const wrong = contacts.filter(
      (r) => people.workable(r.id) && territoryOwner(r, table) && r.properties['owner_id'] !== territoryOwner(r, table),
    );
    expect(wrong.length).toBeGreaterThan(10);
    const fixedByAgent = wrong[0]!;
    c.store.writeProperties(
      c.store.get('contacts', fixedByAgent.id)!,
      { owner_id: territoryOwner(fixedByAgent, table) },
      '2026-01-04T12:00:00.000Z',
      'gatehouse',
      { kind: 'agent', id: 'lead-router' },
    );
    const summary = people.work(START, 1);
    expect(summary.deviations).toBe(0);
    expect(summary.ownerChanges).toBe(wrong.length - 1);
    expect(summary.changes.some((w) => w.id === fixedByAgent.id)).toBe(false);
  });

  it('bulk: a million person history entries in seconds, readable through changes()', async () => {
    const c = await sandbox(5, { contacts: 2000, companies: 200, deals: 200 });
    const from = '2026-02-01T00:00:00.000Z';
    const to = '2026-03-01T00:00:00.000Z';
    const started = performance.now();
    const r = generatePeopleHistory(c, { seed: 9, entries: 1_000_000, from, to });
    const ms = performance.now() - started;
    expect(r.entries).toBe(1_000_000);
    expect(ms).toBeLessThan(20_000);
    const count = c.store.db
      .prepare("SELECT count(*) AS n FROM history WHERE actor_kind = 'person' AND ts >= ? AND ts < ?")
      .get(from, to) as { n: number };
    expect(count.n).toBe(1_000_000);
    const page = await c.changes({ from, to, actorKinds: ['person'], limit: 1000 });
    expect(page.results).toHaveLength(1000);
    expect(page.nextAfter).toBeDefined();
    const sorted = page.results.map((e) => e.timestamp);
    expect(sorted).toEqual([...sorted].sort());
    // Records end with the last owner written.
    const [first] = page.results;
    const history = await c.history('contacts', first!.id, 'owner_id');
    expect((await c.get('contacts', first!.id))!.properties['owner_id']).toBe(history[0]!.value);
    console.log(`generatePeopleHistory: 1,000,000 entries in ${Math.round(ms)} ms`);
  }, 60_000);
});
