import { GatehouseError } from '../../../core/errors.js';
import type { PropertyValue } from '../../../core/ports/connector.js';
import { fullProperties, type LifecycleStage } from './schema.js';
import { generateMarketing } from './generator-marketing.js';
import { BASE_MS, createRng, type SeedRecord } from './generator-kit.js';
import {
  ANALYTICS_SOURCE_WEIGHTS,
  COUNTRIES,
  INDUSTRIES,
  JOB_TITLES,
  LIFECYCLE_WEIGHTS,
  REGIONS,
  STAGE_PROFILE,
  type Country,
} from './generator-data.js';

/**
 * The seeded data generator. Determinism is the contract: the same seed and size produce the same
 * records, ids, timestamps and history, byte for byte. So it uses a fresh Faker instance seeded
 * once, a fixed reference date (never the wall clock), and draws random numbers in one fixed order.
 */

export { SANDBOX_BASE_DATE, type SeedRecord } from './generator-kit.js';

export interface SandboxSize {
  readonly contacts: number;
  readonly companies: number;
  readonly deals: number;
}

const BASE = BASE_MS;
const DAY = 86_400_000;

export const iso = (ms: number) => new Date(ms).toISOString();

export function validateSize(size: SandboxSize): SandboxSize {
  for (const key of ['contacts', 'companies', 'deals'] as const) {
    const n = size[key];
    if (!Number.isSafeInteger(n) || n < 0 || n > 2_000_000) {
      throw new GatehouseError('invalid_config', `sandbox size.${key} must be an integer from 0 to 2000000, got ${n}`, {
        details: { field: `size.${key}` },
      });
    }
  }
  return Object.freeze({ contacts: size.contacts, companies: size.companies, deals: size.deals });
}

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));
const slug = (s: string) =>
  s
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '');

interface Owner {
  readonly id: string;
  readonly countries: readonly string[];
}

/** Owners per region: at least one each, the rest by region weight (largest remainder). */
function ownerSlots(count: number): number[] {
  const total = REGIONS.reduce((s, r) => s + r.weight, 0);
  const extra = count - REGIONS.length;
  const raw = REGIONS.map((r) => (extra * r.weight) / total);
  const slots = raw.map((x) => 1 + Math.floor(x));
  let left = count - slots.reduce((s, n) => s + n, 0);
  const order = raw.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    slots[i]! += 1;
  }
  return slots;
}

export function generateSandbox(seed: number, sizeIn: SandboxSize): SeedRecord[] {
  const size = validateSize(sizeIn);
  const rng = createRng(seed);
  const { faker } = rng;
  const out: SeedRecord[] = [];
  const since = (maxDays: number, minDays = 1) => BASE - rng.int(minDays * 24, maxDays * 24) * 3_600_000;
  const between = (from: number, to: number) => from + Math.floor(rng.float() * Math.max(0, to - from));
  const record = (
    object: string,
    id: string,
    createdMs: number,
    updatedMs: number,
    values: Record<string, PropertyValue>,
    timeline?: SeedRecord['timeline'],
  ): SeedRecord => {
    const createdAt = iso(createdMs);
    const updatedAt = iso(updatedMs);
    const properties = fullProperties(object, { ...values, createdate: createdAt, lastmodifieddate: updatedAt });
    return timeline
      ? { object, id, createdAt, updatedAt, properties, timeline }
      : { object, id, createdAt, updatedAt, properties };
  };

  // Owners, grouped into regional territories.
  const ownerCount = clamp(Math.round(size.contacts / 400), REGIONS.length, 60);
  const owners: Owner[] = [];
  const ownersByCountry = new Map<string, Owner[]>();
  ownerSlots(ownerCount).forEach((slots, r) => {
    const region = REGIONS[r]!;
    for (let k = 0; k < slots; k++) {
      const owner = { id: `u_${owners.length + 1}`, countries: region.countries };
      owners.push(owner);
      for (const c of region.countries) ownersByCountry.set(c, [...(ownersByCountry.get(c) ?? []), owner]);
      const firstname = faker.person.firstName();
      const lastname = faker.person.lastName();
      const created = since(1500, 400);
      out.push(
        record('owners', owner.id, created, created, {
          email: `${slug(firstname)}.${slug(lastname)}@northwind-analytics.com`,
          firstname,
          lastname,
          team: region.name,
          territory: region.countries.join(';'),
        }),
      );
    }
  });
  const ownerFor = (country: string) => rng.pick(ownersByCountry.get(country) ?? owners).id;
  const countryPick = () => rng.weighted(COUNTRIES.map((c) => [c, c.weight] as const));
  const cityPick = (c: Country) => rng.pick(c.cities);

  // Companies.
  const companies: { id: string; name: string; domain: string; country: Country; owner: string }[] = [];
  const companyById = new Map<string, (typeof companies)[number]>();
  const domains = new Set<string>();
  for (let i = 1; i <= size.companies; i++) {
    const name = faker.company.name();
    let domain = `${slug(name).slice(0, 24) || 'company'}.com`;
    if (domains.has(domain)) domain = `${slug(name).slice(0, 20)}${i}.com`;
    domains.add(domain);
    const country = countryPick();
    const employees = Math.round(Math.exp(Math.log(5) + rng.float() * (Math.log(20_000) - Math.log(5))));
    const owner = ownerFor(country.code);
    const created = since(1800, 30);
    const facts = { id: `co_${i}`, name, domain, country, owner };
    companies.push(facts);
    companyById.set(facts.id, facts);
    out.push(
      record('companies', `co_${i}`, created, between(created, BASE), {
        name,
        domain,
        industry: rng.pick(INDUSTRIES),
        country: country.code,
        city: cityPick(country),
        numberofemployees: String(employees),
        annualrevenue: String(Math.round((employees * rng.int(80, 260)) / 10) * 10_000),
        lifecyclestage: rng.weighted([
          ['lead', 60],
          ['opportunity', 15],
          ['customer', 25],
        ] as const),
        owner_id: owner,
      }),
    );
  }

  // Contacts: a lifecycle funnel, stage history walking up the funnel, weighted countries.
  const emails = new Set<string>();
  const contactFacts: {
    id: string;
    stage: LifecycleStage;
    country: string;
    owner: string | null;
    company?: string;
    updated: number;
  }[] = [];
  const contactRecords: SeedRecord[] = [];
  for (let i = 1; i <= size.contacts; i++) {
    const stage = rng.weighted(LIFECYCLE_WEIGHTS);
    const profile = STAGE_PROFILE[stage];
    const company = size.companies > 0 && rng.chance(0.85) ? companies[rng.int(0, companies.length - 1)] : undefined;
    const country = company && rng.chance(0.8) ? company.country : countryPick();
    const firstname = faker.person.firstName();
    const lastname = faker.person.lastName();
    const local = `${slug(firstname)}.${slug(lastname)}`;
    let email = `${local}@${company ? company.domain : rng.pick(['gmail.com', 'outlook.com', 'yahoo.com', 'icloud.com'])}`;
    if (emails.has(email)) email = email.replace('@', `${i}@`);
    emails.add(email);
    const created = since(profile.maxAgeDays, profile.minAgeDays);
    const updated = between(created, BASE);
    const owner = rng.chance(profile.ownedShare) ? ownerFor(country.code) : null;
    const timeline: Record<string, { value: PropertyValue; at: string }[]> = {};
    if (profile.path.length > 1) {
      const step = (updated - created) / profile.path.length;
      timeline['lifecyclestage'] = profile.path.map((value, k) => ({ value, at: iso(created + Math.floor(step * k)) }));
    }
    contactFacts.push({ id: `c_${i}`, stage, country: country.code, owner, company: company?.id, updated });
    contactRecords.push(
      record(
        'contacts',
        `c_${i}`,
        created,
        updated,
        {
          email,
          firstname,
          lastname,
          phone: `${country.dial} ${rng.int(200_000_000, 999_999_999)}`,
          jobtitle: rng.chance(0.8) ? rng.pick(JOB_TITLES) : null,
          company_id: company?.id ?? null,
          country: country.code,
          city: cityPick(country),
          lifecyclestage: stage,
          lead_status: profile.statuses.length ? rng.weighted(profile.statuses) : null,
          owner_id: owner,
          lead_score: String(rng.int(profile.score[0], profile.score[1])),
          hs_email_optout: rng.chance(0.03) ? 'true' : 'false',
          email_bounced: rng.chance(0.02) ? 'true' : 'false',
          hs_analytics_source: rng.weighted(ANALYTICS_SOURCE_WEIGHTS),
        },
        profile.path.length > 1 ? timeline : undefined,
      ),
    );
  }

  // Deals hang off contacts that reached sales stages, so the funnel stays coherent.
  const dealContacts = contactFacts.filter((c) =>
    ['salesqualifiedlead', 'opportunity', 'customer', 'evangelist'].includes(c.stage),
  );
  const dealRecords: SeedRecord[] = [];
  for (let i = 1; i <= size.deals; i++) {
    const contact = dealContacts.length
      ? rng.pick(dealContacts)
      : contactFacts.length
        ? rng.pick(contactFacts)
        : undefined;
    const won = contact?.stage === 'customer' || contact?.stage === 'evangelist';
    const stage = won
      ? rng.weighted([
          ['closedwon', 85],
          ['closedlost', 15],
        ] as const)
      : contact?.stage === 'opportunity'
        ? rng.weighted([
            ['presentationscheduled', 35],
            ['decisionmakerboughtin', 30],
            ['contractsent', 20],
            ['closedlost', 15],
          ] as const)
        : rng.weighted([
            ['appointmentscheduled', 55],
            ['qualifiedtobuy', 35],
            ['closedlost', 10],
          ] as const);
    const created = since(540, 2);
    const closed = stage === 'closedwon' || stage === 'closedlost';
    const company = contact?.company ? companyById.get(contact.company) : undefined;
    const amount =
      Math.round(Math.exp(Math.log(2_000) + rng.float() * (Math.log(150_000) - Math.log(2_000))) / 100) * 100;
    dealRecords.push(
      record('deals', `d_${i}`, created, between(created, BASE), {
        dealname: `${company?.name ?? 'Self-serve'} — ${rng.pick(['Pro plan', 'Enterprise plan', 'Seat expansion', 'Annual renewal', 'Data add-on'])}`,
        amount: String(amount),
        dealstage: stage,
        pipeline: 'default',
        closedate: iso(closed ? between(created, BASE) : BASE + rng.int(7, 120) * DAY),
        company_id: company?.id ?? null,
        contact_id: contact?.id ?? null,
        owner_id: contact?.owner ?? (contact ? ownerFor(contact.country) : (owners[0]?.id ?? null)),
      }),
    );
  }

  const marketing = generateMarketing(rng, {
    base: BASE,
    contacts: contactFacts,
    owners: owners.map((o) => ({ id: o.id, countries: o.countries })),
    record,
  });
  const listsOf = marketing.membership;
  for (const c of contactRecords) {
    c.properties['lists'] = listsOf.get(c.id) ?? null;
    const seq = marketing.enrollment.get(c.id);
    if (seq) {
      c.properties['hs_sequences_is_enrolled'] = 'true';
      c.properties['hs_latest_sequence_enrolled'] = seq;
    }
  }
  return [...out, ...contactRecords, ...dealRecords, ...marketing.records];
}
