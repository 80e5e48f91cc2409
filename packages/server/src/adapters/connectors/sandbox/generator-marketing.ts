import type { PropertyValue } from '../../../core/ports/connector.js';
import type { Rng, SeedRecord } from './generator-kit.js';
import { GOOD_SUBJECTS, WEAK_SUBJECTS } from './generator-data.js';
import type { LifecycleStage } from './schema.js';

/**
 * Marketing objects of the seeded sandbox: lists (segments) with their members, campaigns and their
 * emails in every state, sequences with some enrolled contacts, the lead-scoring model, routing
 * rules and the price book. Drawn from the same Rng as the CRM records, after them.
 */

interface ContactFacts {
  readonly id: string;
  readonly stage: LifecycleStage;
  readonly country: string;
  readonly owner: string | null;
  readonly updated: number;
}

type RecordFactory = (
  object: string,
  id: string,
  createdMs: number,
  updatedMs: number,
  values: Record<string, PropertyValue>,
  timeline?: SeedRecord['timeline'],
) => SeedRecord;

const DAY = 86_400_000;
const EMEA = ['GB', 'DE', 'FR', 'NL', 'ES', 'IT', 'SE'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));

interface ListTemplate {
  readonly name: string;
  readonly segment: string;
  readonly description: string;
  readonly type: 'static' | 'dynamic';
  /** `draw` is a random number drawn for every contact and template, used by static lists. */
  readonly member: (c: ContactFacts, draw: number, base: number) => boolean;
}

const inStages = (c: ContactFacts, ...stages: LifecycleStage[]) => stages.includes(c.stage);

const LIST_TEMPLATES: readonly ListTemplate[] = [
  {
    name: 'Newsletter subscribers',
    segment: 'newsletter',
    description: 'lifecyclestage is subscriber, lead or MQL',
    type: 'dynamic',
    member: (c) => inStages(c, 'subscriber', 'lead', 'marketingqualifiedlead'),
  },
  {
    name: 'North America leads',
    segment: 'na-leads',
    description: 'country in US, CA and lifecyclestage is lead or MQL',
    type: 'dynamic',
    member: (c) => ['US', 'CA'].includes(c.country) && inStages(c, 'lead', 'marketingqualifiedlead'),
  },
  {
    name: 'EMEA MQLs',
    segment: 'emea-mql',
    description: 'country in EMEA and lifecyclestage is MQL',
    type: 'dynamic',
    member: (c) => EMEA.includes(c.country) && inStages(c, 'marketingqualifiedlead'),
  },
  {
    name: 'Customers',
    segment: 'customers',
    description: 'lifecyclestage is customer or evangelist',
    type: 'dynamic',
    member: (c) => inStages(c, 'customer', 'evangelist'),
  },
  {
    name: 'Open opportunities',
    segment: 'opportunities',
    description: 'lifecyclestage is SQL or opportunity',
    type: 'dynamic',
    member: (c) => inStages(c, 'salesqualifiedlead', 'opportunity'),
  },
  {
    name: 'Webinar attendees',
    segment: 'webinar',
    description: 'attended a 2025 webinar (imported)',
    type: 'static',
    member: (c, draw) => c.stage !== 'subscriber' && draw < 0.1,
  },
  {
    name: 'Trial sign-ups',
    segment: 'trial',
    description: 'started a product trial (imported)',
    type: 'static',
    member: (c, draw) => inStages(c, 'lead', 'marketingqualifiedlead') && draw < 0.06,
  },
  {
    name: 'DACH prospects',
    segment: 'dach',
    description: 'country is DE and not yet a customer',
    type: 'dynamic',
    member: (c) => c.country === 'DE' && !inStages(c, 'customer', 'evangelist', 'other'),
  },
  {
    name: 'APAC subscribers',
    segment: 'apac',
    description: 'country in AU, IN and lifecyclestage is subscriber or lead',
    type: 'dynamic',
    member: (c) => ['AU', 'IN'].includes(c.country) && inStages(c, 'subscriber', 'lead'),
  },
  {
    name: 'Re-engagement (inactive 180 days)',
    segment: 'reengagement',
    description: 'subscriber or lead, not modified in 180 days',
    type: 'dynamic',
    member: (c, _draw, base) => inStages(c, 'subscriber', 'lead') && c.updated < base - 180 * DAY,
  },
];

const FIRST_CAMPAIGN_STATES = ['active', 'draft', 'scheduled', 'paused', 'sent'] as const;

const THEMES = [
  'Product launch',
  'Webinar series',
  'Customer onboarding',
  'Win-back',
  'Trial conversion',
  'Monthly newsletter',
  'Roadshow',
  'Partner spotlight',
  'Pricing update',
  'Year-end promo',
];

const PREVIEWS = [
  'Three minutes, one chart, zero spreadsheets.',
  'Save your seat — it takes ten seconds.',
  'Here is what shipped this month.',
  'Real numbers from teams like yours.',
  'No slides, just a live walkthrough.',
];

const PRICE_BOOK: readonly [string, string, number, string, number][] = [
  ['NW-STARTER-M', 'Starter plan', 49, 'monthly', 10],
  ['NW-STARTER-A', 'Starter plan', 490, 'annual', 15],
  ['NW-PRO-M', 'Pro plan', 199, 'monthly', 10],
  ['NW-PRO-A', 'Pro plan', 1990, 'annual', 20],
  ['NW-ENT-A', 'Enterprise plan', 12000, 'annual', 30],
  ['NW-SEAT-M', 'Extra seat', 25, 'monthly', 10],
  ['NW-API-M', 'API add-on', 99, 'monthly', 15],
  ['NW-DATA-A', 'Data enrichment', 2400, 'annual', 20],
  ['NW-ONB-1', 'Guided onboarding', 1500, 'one_time', 25],
  ['NW-SUP-A', 'Premium support', 3000, 'annual', 15],
];

const SEQUENCE_NAMES = [
  'Inbound MQL follow-up',
  'Demo no-show',
  'Trial day-7 nudge',
  'Re-engage stalled opportunity',
  'Webinar follow-up',
  'Event meeting request',
];

export function generateMarketing(
  rng: Rng,
  input: {
    base: number;
    contacts: readonly ContactFacts[];
    owners: readonly { id: string; countries: readonly string[] }[];
    record: RecordFactory;
  },
): { records: SeedRecord[]; membership: Map<string, string>; enrollment: Map<string, string> } {
  const { base, contacts, owners, record } = input;
  const iso = (ms: number) => new Date(ms).toISOString();
  const ago = (maxDays: number, minDays = 1) => base - rng.int(minDays * 24, maxDays * 24) * 3_600_000;
  const between = (from: number, to: number) => from + Math.floor(rng.float() * Math.max(0, to - from));
  /** Spread a chain of values between two instants: the record's history walking through its states. */
  const walk = (values: readonly string[], from: number, to: number) =>
    values.map((value, k) => ({ value, at: iso(from + Math.floor(((to - from) * k) / Math.max(1, values.length))) }));
  const records: SeedRecord[] = [];

  // Lists and their members.
  const templates = LIST_TEMPLATES.slice(0, clamp(Math.ceil(contacts.length / 500), 5, LIST_TEMPLATES.length));
  const members = templates.map(() => [] as string[]);
  const membership = new Map<string, string>();
  for (const c of contacts) {
    const ids: string[] = [];
    templates.forEach((t, k) => {
      if (t.member(c, rng.float(), base)) {
        members[k]!.push(c.id);
        ids.push(`l_${k + 1}`);
      }
    });
    if (ids.length) membership.set(c.id, ids.join(';'));
  }
  templates.forEach((t, k) => {
    const created = ago(900, 200);
    records.push(
      record('lists', `l_${k + 1}`, created, between(created, base), {
        name: t.name,
        segment: t.segment,
        filter_description: t.description,
        list_type: t.type,
        member_count: String(members[k]!.length),
      }),
    );
  });

  // Campaigns, each with about three emails. The first five cover every state (the first is live, so
  // the simulator has traffic); the rest are drawn.
  const emailCount = clamp(Math.ceil(contacts.length / 200), 15, 250);
  const campaignCount = Math.ceil(emailCount / 3);
  const campaigns: { id: string; status: string; list: number; created: number }[] = [];
  for (let k = 1; k <= campaignCount; k++) {
    const status =
      k <= FIRST_CAMPAIGN_STATES.length
        ? FIRST_CAMPAIGN_STATES[k - 1]!
        : rng.weighted([
            ['draft', 20],
            ['scheduled', 15],
            ['active', 35],
            ['paused', 10],
            ['sent', 20],
          ] as const);
    const list = k === 1 ? 0 : rng.int(0, templates.length - 1);
    const created = ago(150, 10);
    campaigns.push({ id: `cmp_${k}`, status, list, created });
    const chain = {
      draft: ['draft'],
      scheduled: ['draft', 'scheduled'],
      active: ['draft', 'scheduled', 'active'],
      paused: ['draft', 'scheduled', 'active', 'paused'],
      sent: ['draft', 'scheduled', 'active', 'sent'],
    }[status];
    const updated = between(created, base);
    const emailIds: string[] = [];
    for (let j = k; j <= emailCount; j += campaignCount) emailIds.push(`em_${j}`);
    const start = created + rng.int(1, 9) * DAY;
    records.push(
      record(
        'campaigns',
        `cmp_${k}`,
        created,
        updated,
        {
          name: `${MONTHS[new Date(created).getUTCMonth()]} ${THEMES[(k - 1) % THEMES.length]}`,
          status,
          email_ids: emailIds.join(';'),
          list_id: `l_${list + 1}`,
          budget: String(rng.int(2, 50) * 500),
          currency: 'USD',
          start_date: iso(start),
          end_date: iso(start + rng.int(14, 90) * DAY),
        },
        chain.length > 1 ? { status: walk(chain, created, updated) } : undefined,
      ),
    );
  }

  // Marketing emails; a few seeded defects lack the unsubscribe link (email 6, 19, 32, ...).
  for (let j = 1; j <= emailCount; j++) {
    const campaign = campaigns[(j - 1) % campaignCount]!;
    const nth = Math.floor((j - 1) / campaignCount);
    const status =
      campaign.status === 'draft' || campaign.status === 'scheduled'
        ? campaign.status
        : campaign.status === 'active' && nth > 0 && rng.chance(0.5)
          ? 'scheduled'
          : 'sent';
    const created = between(campaign.created, campaign.created + 5 * DAY);
    const updated = between(created, base);
    const month = MONTHS[new Date(created).getUTCMonth()]!;
    const subject = (rng.chance(1 / 12) ? rng.pick(WEAK_SUBJECTS) : rng.pick(GOOD_SUBJECTS)) as string;
    const unsubscribe =
      j % 13 === 6 ? '' : '<p style="font-size:12px"><a href="{{unsubscribe_link}}">Unsubscribe</a></p>';
    const template = templates[campaign.list]!;
    const chain = { draft: ['draft'], scheduled: ['draft', 'scheduled'], sent: ['draft', 'scheduled', 'sent'] }[status];
    records.push(
      record(
        'marketing_emails',
        `em_${j}`,
        created,
        updated,
        {
          name: `${template.name} — ${month} #${nth + 1}`,
          subject: subject.replace('{month}', month),
          preview_text: rng.pick(PREVIEWS),
          body: `<p>Hi {{ contact.firstname }},</p><p>${rng.faker.lorem.sentences(2)}</p>${unsubscribe}`,
          status,
          list_id: `l_${campaign.list + 1}`,
          segment: template.segment,
          campaign_id: campaign.id,
          from_name: 'Northwind Analytics',
        },
        chain.length > 1 ? { status: walk(chain, created, updated) } : undefined,
      ),
    );
  }

  // Sequences and a share of sales-ready contacts enrolled in them.
  const sequenceCount = clamp(Math.ceil(contacts.length / 2500), 3, 20);
  for (let k = 1; k <= sequenceCount; k++) {
    const created = ago(700, 60);
    records.push(
      record('sequences', `seq_${k}`, created, between(created, base), {
        name: `${SEQUENCE_NAMES[(k - 1) % SEQUENCE_NAMES.length]}${k > SEQUENCE_NAMES.length ? ` ${k}` : ''}`,
        owner_id: owners.length ? rng.pick(owners).id : null,
        steps: String(rng.int(3, 7)),
        active: rng.chance(0.85) ? 'true' : 'false',
      }),
    );
  }
  const enrollment = new Map<string, string>();
  for (const c of contacts) {
    if (c.owner && inStages(c, 'marketingqualifiedlead', 'salesqualifiedlead') && rng.chance(0.15)) {
      enrollment.set(c.id, `seq_${rng.int(1, sequenceCount)}`);
    }
  }

  const modelCreated = ago(400, 200);
  records.push(
    record('lead_scoring', 'ls_1', modelCreated, between(modelCreated, base), {
      name: 'Default MQL model',
      mql_threshold: '60',
      weight_email_open: '2',
      weight_email_click: '5',
      weight_form_submission: '15',
      weight_pricing_page_visit: '20',
      weight_job_title_match: '10',
      weight_company_size_match: '10',
      decay_days: '90',
    }),
  );

  owners.forEach((owner, k) => {
    const created = ago(600, 100);
    records.push(
      record('routing_rules', `rr_${k + 1}`, created, between(created, base), {
        name: `Route ${owner.countries.join('/')} sales-ready leads to ${owner.id}`,
        countries: owner.countries.join(';'),
        lifecyclestages: 'marketingqualifiedlead;salesqualifiedlead',
        owner_id: owner.id,
        priority: String(k + 1),
        active: 'true',
      }),
    );
  });

  PRICE_BOOK.forEach(([sku, name, price, period, discount], k) => {
    const created = ago(800, 300);
    records.push(
      record('price_book', `pb_${k + 1}`, created, between(created, base), {
        sku,
        name,
        unit_price: String(price),
        currency: 'USD',
        billing_period: period,
        max_discount_pct: String(discount),
        active: 'true',
      }),
    );
  });

  return { records, membership, enrollment };
}
