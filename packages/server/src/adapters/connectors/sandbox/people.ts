import type { Actor, PropertyValue } from '../../../core/ports/connector.js';
import { iso } from './generator.js';
import { subjectQuality } from './simulator.js';
import type { SandboxStore, StoredRecord } from './store.js';

/**
 * Simulated people: the ground truth that shadow scoring compares agents against.
 *
 * Sales ops reps and marketers work the sandbox CRM over simulated time by HIDDEN RULES, writing
 * through the store with actor kind `person`, so `connector.changes({ actorKinds: ['person'] })`
 * returns what they did, when:
 *
 * - **Reps route contacts by territory.** Each simulated working day they take the next contacts
 *   (in a fixed, seeded queue order) whose `owner_id` differs from `territoryOwner(contact)` and
 *   set it — except for a seeded share (`noise`, default 5%) where they pick another owner, as
 *   people do. A share of contacts (`untouchedShare`, default 15%) is never worked at all, and a
 *   contact a person already routed is not routed again.
 * - **Marketers fix weak subject lines.** Each day they take the next draft or scheduled marketing
 *   emails for which `marketerSubject(email)` proposes a new subject, and write it.
 *
 * The rules are exported as pure functions (`territoryTable`, `territoryOwner`, `marketerSubject`)
 * so a "good" test agent can follow the same rules and a bench can compare. Every draw is keyed
 * by (seed, purpose, record id), never by iteration order, so the same seed, data and period give
 * the same history byte for byte.
 */

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Working hours, UTC: people write between 08:00 and 18:00 of a simulated day. */
const WORK_START_HOUR = 8;
const WORK_HOURS = 10;

export const REP_ACTORS: readonly Actor[] = Object.freeze(
  ['salesops-ava', 'salesops-ben', 'salesops-cruz'].map((id) => Object.freeze({ kind: 'person' as const, id })),
);
export const MARKETER_ACTORS: readonly Actor[] = Object.freeze(
  ['marketing-dee', 'marketing-eli'].map((id) => Object.freeze({ kind: 'person' as const, id })),
);
/** History `source` of every simulated person's write (HubSpot records CRM_UI for edits in the app). */
export const PEOPLE_SOURCE = 'CRM_UI';

// ---------------------------------------------------------------------------------------------
// Hidden rule 1: territories.

/** Country (ISO code) → owner id: the fixed routing table the reps follow. */
export type TerritoryTable = ReadonlyMap<string, string>;

interface OwnerLike {
  readonly id: string;
  readonly properties: Readonly<Record<string, PropertyValue>>;
}

const ownerNumber = (id: string) => {
  const m = /(\d+)$/.exec(id);
  return m ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
};

/**
 * The reps' routing table, from the `owners` object: owners sharing a territory (their
 * `territory`, `;`-separated countries) are taken in id order, and the territory's countries in
 * the order listed go to them round-robin. So every country has exactly one owner; big territories
 * with more owners than countries leave the extra owners without routed contacts.
 */
export function territoryTable(owners: readonly OwnerLike[]): TerritoryTable {
  const byTerritory = new Map<string, OwnerLike[]>();
  const sorted = [...owners].sort((a, b) => ownerNumber(a.id) - ownerNumber(b.id) || a.id.localeCompare(b.id));
  for (const owner of sorted) {
    const territory = owner.properties['territory'];
    if (!territory) continue;
    byTerritory.set(territory, [...(byTerritory.get(territory) ?? []), owner]);
  }
  const table = new Map<string, string>();
  for (const [territory, members] of byTerritory) {
    territory
      .split(';')
      .filter(Boolean)
      .forEach((country, i) => {
        if (!table.has(country)) table.set(country, members[i % members.length]!.id);
      });
  }
  return table;
}

/** The owner the reps route `record` (a contact) to, or null when its country has none. */
export function territoryOwner(
  record: { readonly properties: Readonly<Record<string, PropertyValue>> },
  table: TerritoryTable,
): string | null {
  const country = record.properties['country'];
  return country ? (table.get(country) ?? null) : null;
}

// ---------------------------------------------------------------------------------------------
// Hidden rule 2: subject lines.

const SPAM = [
  'act now',
  'limited time',
  'click here',
  'buy now',
  'risk-free',
  'risk free',
  'no cost',
  '100%',
  '$$$',
  'free',
  'urgent',
  'guarantee',
  'winner',
  'cash',
  'congratulations',
];
const TOKEN = /\{\{\s*(contact\.)?\w+\s*\}\}/i;
const GOOD_ENOUGH = 0.9;

/** Unsent emails only: a sent email's subject is history. */
const editable = (status: PropertyValue) => status === 'draft' || status === 'scheduled';

/**
 * The subject a marketer would give `email`, or null when they leave it alone (sent, or already
 * personalised and good: a `{{ contact.firstname }}`-style token and `subjectQuality` ≥ 0.9). The
 * rewrite drops spam words and shouting punctuation, turns ALL CAPS into sentence case, lengthens
 * very short subjects and adds the first-name token.
 */
export function marketerSubject(email: {
  readonly properties: Readonly<Record<string, PropertyValue>>;
}): string | null {
  const subject = email.properties['subject'];
  if (!editable(email.properties['status'] ?? null) || subject === null || subject === undefined) return null;
  if (TOKEN.test(subject) && subjectQuality(subject) >= GOOD_ENOUGH) return null;
  let text = subject;
  for (const word of SPAM) {
    const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // Whole words only where the word starts or ends with a letter: "free" goes, "freedom" stays.
    const pattern = `${/^\w/.test(word) ? '\\b' : ''}${escaped}${/\w$/.test(word) ? '\\b' : ''}`;
    text = text.replace(new RegExp(pattern, 'gi'), ' ');
  }
  text = text.replace(/[!?]+/g, ' ');
  const letters = text.replace(/\{\{[^}]*\}\}/g, '').match(/[A-Za-z]/g) ?? [];
  if (letters.length > 0 && letters.filter((c) => c >= 'A' && c <= 'Z').length / letters.length > 0.6) {
    text = text.toLowerCase();
  }
  text = text
    .replace(/\s+/g, ' ')
    .replace(/^[\s:;,.—–-]+|[\s:;,—–-]+$/g, '')
    .replace(/\s+([:;,])/g, '$1');
  if (text === '') text = 'Your update from Northwind Analytics';
  if (text.length < 15) text = `${text}: the highlights you missed`;
  if (!TOKEN.test(text)) text = `{{ contact.firstname }}, ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
  return text === subject ? null : text;
}

// ---------------------------------------------------------------------------------------------
// Seeded draws.

/** 32-bit FNV-1a of a string, finished with a murmur mix: fast, stable, well spread. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform draw in [0, 1) keyed by (seed, purpose, id). */
export const draw = (seed: number, purpose: string, id: string) => hash32(`${seed}|${purpose}|${id}`) / 4_294_967_296;

/** mulberry32: a seeded stream for bulk generation. */
function stream(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

// ---------------------------------------------------------------------------------------------
// The simulator.

export interface PeopleOptions {
  readonly seed: number;
  /** Share of reassignments that deviate from the territory rule (default 0.05). */
  readonly noise?: number;
  /** Share of contacts no rep ever works (default 0.15). */
  readonly untouchedShare?: number;
  /** Contacts the reps route per simulated day (default 2% of contacts, at least 1). */
  readonly contactsPerDay?: number;
  /** Subject lines the marketers fix per simulated day (default 2). */
  readonly subjectsPerDay?: number;
}

/** One person's write, as recorded. */
export interface PersonChange {
  readonly object: string;
  readonly id: string;
  readonly property: string;
  readonly before: PropertyValue;
  readonly value: PropertyValue;
  readonly at: string;
  readonly actor: Actor;
  /** For owner changes: whether the rep followed the territory rule. */
  readonly followedRule: boolean;
}

export interface PeopleWorkSummary {
  readonly from: string;
  readonly to: string;
  readonly days: number;
  readonly changes: readonly PersonChange[];
  readonly ownerChanges: number;
  readonly deviations: number;
  readonly subjectChanges: number;
}

export interface PeopleSimulator {
  /** Country → owner, built from the sandbox's owners. */
  readonly territory: TerritoryTable;
  /** Whether a rep will ever work this contact (seeded; ~1 − untouchedShare of contacts). */
  workable(contactId: string): boolean;
  /**
   * The people work `days` simulated days starting at `from` (a day is [from + k·24h, +24h),
   * writes between 08:00 and 18:00 UTC of it), in one transaction. Each day reads the data as it
   * is then, so agents' executed writes in between are seen.
   */
  work(from: Date | string, days: number): PeopleWorkSummary;
}

function sandboxOwners(store: SandboxStore): StoredRecord[] {
  const out: StoredRecord[] = [];
  for (let after = 0; ;) {
    const page = store.page('owners', after, 1000);
    out.push(...page);
    const last = page[page.length - 1];
    if (!last || page.length < 1000) return out;
    after = last.seq;
  }
}

function* allRecords(store: SandboxStore, object: string): Generator<StoredRecord> {
  for (let after = 0; ;) {
    const page = store.page(object, after, 2000);
    yield* page;
    const last = page[page.length - 1];
    if (!last || page.length < 2000) return;
    after = last.seq;
  }
}

export function createPeopleSimulator(
  source: { readonly store: SandboxStore },
  options: PeopleOptions,
): PeopleSimulator {
  const { store } = source;
  const seed = options.seed;
  const noise = options.noise ?? 0.05;
  const untouchedShare = options.untouchedShare ?? 0.15;
  if (!Number.isSafeInteger(seed)) throw new Error(`people simulator seed must be an integer, got ${seed}`);
  for (const [name, v] of [
    ['noise', noise],
    ['untouchedShare', untouchedShare],
  ] as const) {
    if (!(v >= 0 && v <= 1)) throw new Error(`people simulator ${name} must be in [0, 1], got ${v}`);
  }
  const owners = sandboxOwners(store);
  const ownerIds = owners.map((o) => o.id).sort((a, b) => ownerNumber(a) - ownerNumber(b));
  const territory = territoryTable(owners);
  const contactsPerDay = options.contactsPerDay ?? Math.max(1, Math.round(store.countObject('contacts') * 0.02));
  const subjectsPerDay = options.subjectsPerDay ?? 2;
  const workable = (id: string) => draw(seed, 'untouched', id) >= untouchedShare;

  /** A deviation: any owner but the rule's, picked by a seeded draw. */
  const otherOwner = (id: string, rule: string): string => {
    const candidates = ownerIds.filter((o) => o !== rule);
    if (candidates.length === 0) return rule;
    return candidates[Math.floor(draw(seed, 'deviate-to', id) * candidates.length)]!;
  };
  const timeIn = (dayStart: number, purpose: string, id: string) =>
    dayStart + WORK_START_HOUR * HOUR + Math.floor(draw(seed, purpose, id) * WORK_HOURS * HOUR);
  const pick = <T>(list: readonly T[], purpose: string, id: string) =>
    list[Math.floor(draw(seed, purpose, id) * list.length)]!;

  const alreadyRouted = () =>
    new Set(
      (
        store.db
          .prepare(
            `SELECT DISTINCT record_id AS id FROM history
             WHERE object = 'contacts' AND property = 'owner_id' AND actor_kind = 'person'`,
          )
          .all() as { id: string }[]
      ).map((r) => r.id),
    );

  return {
    territory,
    workable,
    work(fromIn, days) {
      const fromMs = new Date(fromIn).getTime();
      if (!Number.isFinite(fromMs)) throw new Error(`work: from must be a date, got ${String(fromIn)}`);
      if (!Number.isSafeInteger(days) || days < 0)
        throw new Error(`work: days must be a whole number ≥ 0, got ${days}`);
      const changes: PersonChange[] = [];
      store.transaction(() => {
        const routed = alreadyRouted();
        const fixedSubjects = new Set<string>();
        // The reps' queue: every workable contact not yet routed by a person whose owner breaks the
        // rule, in seeded order. Each day re-reads the next ones, so a contact fixed meanwhile is skipped.
        const queue: { id: string; rank: number; seq: number; rule: string }[] = [];
        for (const contact of allRecords(store, 'contacts')) {
          if (contact.archived || routed.has(contact.id) || !workable(contact.id)) continue;
          const rule = territoryOwner(contact, territory);
          if (rule === null || contact.properties['owner_id'] === rule) continue;
          queue.push({ id: contact.id, rank: draw(seed, 'queue', contact.id), seq: contact.seq, rule });
        }
        queue.sort((a, b) => a.rank - b.rank || a.seq - b.seq);
        let next = 0;
        for (let d = 0; d < days; d++) {
          const dayStart = fromMs + d * DAY;
          const day: {
            at: number;
            record: StoredRecord;
            property: string;
            value: string;
            actor: Actor;
            ok: boolean;
          }[] = [];

          // Reps: the next contacts of the queue that (still) break the rule, read as they are now.
          let taken = 0;
          while (taken < contactsPerDay && next < queue.length) {
            const { id, rule } = queue[next++]!;
            const record = store.get('contacts', id);
            if (!record || record.archived || record.properties['owner_id'] === rule) continue;
            taken++;
            const follows = draw(seed, 'deviate', record.id) >= noise;
            const value = follows ? rule : otherOwner(record.id, rule);
            if (value === record.properties['owner_id']) continue;
            day.push({
              at: timeIn(dayStart, 'route-time', record.id),
              record,
              property: 'owner_id',
              value,
              actor: pick(REP_ACTORS, 'rep', record.id),
              ok: follows,
            });
          }

          // Marketers: the next unsent emails whose subject they would rewrite.
          const emails: { record: StoredRecord; rank: number; subject: string }[] = [];
          for (const email of allRecords(store, 'marketing_emails')) {
            if (email.archived || fixedSubjects.has(email.id)) continue;
            const subject = marketerSubject(email);
            if (subject !== null) emails.push({ record: email, rank: draw(seed, 'subject-queue', email.id), subject });
          }
          emails.sort((a, b) => a.rank - b.rank || a.record.seq - b.record.seq);
          for (const { record, subject } of emails.slice(0, subjectsPerDay)) {
            fixedSubjects.add(record.id);
            day.push({
              at: timeIn(dayStart, `subject-time-${d}`, record.id),
              record,
              property: 'subject',
              value: subject,
              actor: pick(MARKETER_ACTORS, 'marketer', record.id),
              ok: true,
            });
          }

          day.sort((a, b) => a.at - b.at || a.record.seq - b.record.seq);
          for (const w of day) {
            const at = iso(w.at);
            const current = store.get(w.record.object, w.record.id) ?? w.record;
            const write: Record<string, PropertyValue> = { [w.property]: w.value };
            if ('lastmodifieddate' in current.properties) write['lastmodifieddate'] = at;
            store.writeProperties(current, write, at, PEOPLE_SOURCE, w.actor);
            changes.push({
              object: w.record.object,
              id: w.record.id,
              property: w.property,
              before: current.properties[w.property] ?? null,
              value: w.value,
              at,
              actor: w.actor,
              followedRule: w.ok,
            });
          }
        }
      });
      const owner = changes.filter((c) => c.property === 'owner_id');
      return {
        from: iso(fromMs),
        to: iso(fromMs + days * DAY),
        days,
        changes,
        ownerChanges: owner.length,
        deviations: owner.filter((c) => !c.followedRule).length,
        subjectChanges: changes.length - owner.length,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Bulk history for benchmarks.

export interface BulkPeopleOptions {
  readonly seed: number;
  /** Person history entries to write (owner_id changes on contacts). */
  readonly entries: number;
  /** Inclusive start and exclusive end of the period the timestamps spread over. */
  readonly from: Date | string;
  readonly to: Date | string;
  /** Share of entries that deviate from the territory rule (default 0.05). */
  readonly noise?: number;
}

/**
 * Writes `entries` person `owner_id` changes over [from, to) in one transaction, for benches that
 * score proposals against a large history (a million entries in seconds: multi-row inserts, the
 * history indexes rebuilt once afterwards). Contacts are cycled in a seeded order; each entry
 * follows the territory rule except for a `noise` share; every touched contact ends with its last
 * written owner, so records and history agree. Returns the entries written and the period.
 */
export function generatePeopleHistory(
  source: { readonly store: SandboxStore },
  options: BulkPeopleOptions,
): { entries: number; contacts: number; from: string; to: string } {
  const { store } = source;
  const fromMs = new Date(options.from).getTime();
  const toMs = new Date(options.to).getTime();
  if (!(Number.isFinite(fromMs) && Number.isFinite(toMs) && toMs > fromMs)) {
    throw new Error('generatePeopleHistory: from and to must be dates with from < to');
  }
  if (!Number.isSafeInteger(options.entries) || options.entries < 0) {
    throw new Error(`generatePeopleHistory: entries must be a whole number ≥ 0, got ${options.entries}`);
  }
  const noise = options.noise ?? 0.05;
  const owners = sandboxOwners(store);
  const ownerIds = owners.map((o) => o.id);
  const table = territoryTable(owners);
  const contacts = [...allRecords(store, 'contacts')]
    .filter((c) => !c.archived)
    .map((c) => ({ c, rank: draw(options.seed, 'bulk-order', c.id) }))
    .sort((a, b) => a.rank - b.rank || a.c.seq - b.c.seq)
    .map(({ c }) => c);
  if (contacts.length === 0 || ownerIds.length === 0 || options.entries === 0) {
    return { entries: 0, contacts: 0, from: iso(fromMs), to: iso(toMs) };
  }
  const rules = contacts.map((c) => territoryOwner(c, table));
  const random = stream(options.seed);
  const span = toMs - fromMs;
  const step = span / options.entries;
  const last = new Map<string, { owner: string; at: string }>();
  store.db.exec('DROP INDEX IF EXISTS history_record; DROP INDEX IF EXISTS history_ts;');
  store.transaction(() => {
    // Constant columns are literals, so each row binds four values: half the binding work.
    const one = `('contacts', 'owner_id', '${PEOPLE_SOURCE}', 'person', ?, ?, ?, ?)`;
    const insert = (n: number) =>
      store.db.prepare<unknown[]>(
        `INSERT INTO history (object, property, source, actor_kind, record_id, value, ts, actor_id) VALUES ${Array<string>(n).fill(one).join(', ')}`,
      );
    const PER = 250;
    const full = insert(PER);
    let buffer: unknown[] = [];
    const rows = {
      push(...row: unknown[]) {
        for (const v of row) buffer.push(v);
        if (buffer.length === PER * 4) {
          full.run(buffer);
          buffer = [];
        }
      },
      flush() {
        if (buffer.length > 0) insert(buffer.length / 4).run(buffer);
        buffer = [];
      },
    };
    for (let i = 0; i < options.entries; i++) {
      const contact = contacts[i % contacts.length]!;
      const rule = rules[i % contacts.length]!;
      const owner = rule !== null && random() >= noise ? rule : ownerIds[Math.floor(random() * ownerIds.length)]!;
      // Monotonic timestamps: the i-th entry lands in the i-th slice of the period.
      const at = iso(Math.min(toMs - 1, Math.floor(fromMs + i * step + random() * step)));
      const actor = REP_ACTORS[Math.floor(random() * REP_ACTORS.length)]!;
      rows.push(contact.id, owner, at, actor.id);
      last.set(contact.id, { owner, at });
    }
    rows.flush();
    const update = store.db.prepare<[string, string, string]>(
      "UPDATE records SET properties = ?, updated_at = ? WHERE object = 'contacts' AND id = ?",
    );
    for (const contact of contacts) {
      const w = last.get(contact.id);
      if (!w) continue;
      const properties = { ...contact.properties, owner_id: w.owner };
      update.run(JSON.stringify(properties), w.at, contact.id);
    }
  });
  store.ensureIndexes();
  return { entries: options.entries, contacts: last.size, from: iso(fromMs), to: iso(toMs) };
}
