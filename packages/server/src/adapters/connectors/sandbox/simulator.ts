import { createHash } from 'node:crypto';
import type { PropertyValue } from '../../../core/ports/connector.js';
import type { SandboxStore, StoredRecord } from './store.js';

/**
 * The campaign simulator: turns the sandbox's live emails into KPI samples over simulated time,
 * so KPI breakers have real signals to watch.
 *
 * Each step reads the world as it was at the step's start, from property history: an email's
 * status, its subject line, its campaign's status. So an agent that rewrites a subject at 14:00
 * changes every step from 14:00 on, whether the simulation runs live or afterwards. Audience mix
 * (lifecycle stages of the list's reachable members; opted-out and bounced contacts excluded) is
 * read once per simulator.
 *
 * Determinism: every step's random draws come from a PRNG seeded with (seed, email, instant), so
 * the same seed, data and range give the same samples regardless of iteration order.
 */

export type KpiMetric =
  | 'email.delivered'
  | 'email.opens'
  | 'email.clicks'
  | 'email.unsubscribes'
  | 'email.bounces'
  | 'lead.created'
  | 'lead.cost';

/** A count for one period starting at `at` (the shape `POST /v1/kpis` takes). */
export interface KpiSample {
  readonly metric: KpiMetric;
  readonly value: number;
  readonly at: string;
  readonly dims: Readonly<Record<string, string>>;
}

export interface SimulatorOptions {
  readonly seed: number;
  /** Delivery attempts per sending email per hour (default 250). */
  readonly deliveriesPerHour?: number;
  /** Step length in ms (default one hour). */
  readonly stepMs?: number;
}

export interface CampaignSimulator {
  /** Samples for the period [at, at + stepMs). */
  step(at: Date | string): KpiSample[];
  /** Samples for every step from `from` (inclusive) to `to` (exclusive). */
  run(from: Date | string, to: Date | string): KpiSample[];
}

const HOUR = 3_600_000;
const BASE_OPEN_RATE = 0.24;
const BASE_CLICK_TO_OPEN = 0.11;
const NEW_BOUNCE_RATE = 0.004;
const BASE_UNSUBSCRIBE_RATE = 0.0015;
const CLICK_TO_LEAD = 0.08;
/** A campaign's budget is spent evenly over this many hours of sending. */
const BUDGET_HOURS = 30 * 24;

const SPAM_WORDS = [
  'free',
  'act now',
  'urgent',
  'guarantee',
  'winner',
  'cash',
  'risk-free',
  'risk free',
  'limited time',
  'click here',
  'buy now',
  '100%',
  '$$$',
  'no cost',
  'congratulations',
];

/**
 * How much a subject line helps an email get opened and clicked, relative to a plain good one
 * (1.0); the simulated click-through rate is proportional to it, so 0.5 means half the clicks.
 * Best around 30–50 characters; a personalization token helps; spam words, ALL CAPS and
 * excessive punctuation hurt. Range 0.15–1.25.
 */
export function subjectQuality(subject: string): number {
  const text = subject.trim();
  if (text === '') return 0.15;
  let q = 1;
  const len = text.length;
  if (len < 15) q *= 0.75;
  else if (len < 30) q *= 0.95;
  else if (len > 70) q *= 0.8;
  else if (len > 50) q *= 0.92;
  if (/\{\{\s*(contact\.)?\w+\s*\}\}/i.test(text)) q *= 1.12;
  const lower = text.toLowerCase();
  const spam = SPAM_WORDS.filter((w) => lower.includes(w)).length;
  q *= Math.max(0.4, 0.8 ** spam);
  const letters = text.replace(/\{\{[^}]*\}\}/g, '').match(/[A-Za-z]/g) ?? [];
  const upper = letters.filter((c) => c >= 'A' && c <= 'Z').length;
  if (letters.length >= 8 && upper / letters.length > 0.6) q *= 0.55;
  if (/[!?]{2,}/.test(text) || (text.match(/!/g)?.length ?? 0) > 1) q *= 0.75;
  return Math.min(1.25, Math.max(0.15, q));
}

/** Relative engagement by lifecycle stage: customers open more than cold subscribers. */
const STAGE_ENGAGEMENT: Readonly<Record<string, number>> = {
  subscriber: 0.8,
  lead: 1,
  marketingqualifiedlead: 1.25,
  salesqualifiedlead: 1.35,
  opportunity: 1.2,
  customer: 1.45,
  evangelist: 1.7,
  other: 0.6,
};

/** sfc32 seeded from SHA-256 of the key: independent, reproducible streams per key. */
function prng(key: string): () => number {
  const h = createHash('sha256').update(key).digest();
  let a = h.readUInt32LE(0);
  let b = h.readUInt32LE(4);
  let c = h.readUInt32LE(8);
  let d = h.readUInt32LE(12);
  return () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4_294_967_296;
  };
}

/** Binomial draw: exact for small n, normal approximation (clamped) for large n. */
function binomial(random: () => number, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (n <= 1000) {
    let k = 0;
    for (let i = 0; i < n; i++) if (random() < p) k++;
    return k;
  }
  const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Math.min(n, Math.max(0, Math.round(n * p + z * Math.sqrt(n * p * (1 - p)))));
}

interface Audience {
  readonly reachable: number;
  readonly engagement: number;
}

export function createCampaignSimulator(
  source: { readonly store: SandboxStore },
  options: SimulatorOptions,
): CampaignSimulator {
  const { store } = source;
  const rate = options.deliveriesPerHour ?? 250;
  const stepMs = options.stepMs ?? HOUR;
  if (!(rate >= 0) || !Number.isFinite(rate)) throw new RangeError(`deliveriesPerHour must be >= 0, got ${rate}`);
  if (!(stepMs >= 60_000) || !Number.isFinite(stepMs))
    throw new RangeError(`stepMs must be at least one minute, got ${stepMs}`);

  const all = (object: string): StoredRecord[] => {
    const out: StoredRecord[] = [];
    for (let after = 0; ;) {
      const page = store.page(object, after, 5000);
      out.push(...page);
      if (page.length < 5000) return out;
      after = page[page.length - 1]!.seq;
    }
  };

  let audiences: Map<string, Audience> | undefined;
  const audienceOf = (listId: string): Audience => {
    if (!audiences) {
      const sums = new Map<string, { n: number; e: number }>();
      for (const c of all('contacts')) {
        const p = c.properties;
        if (p['hs_email_optout'] === 'true' || p['email_bounced'] === 'true' || !p['lists']) continue;
        const e = STAGE_ENGAGEMENT[p['lifecyclestage'] ?? ''] ?? 1;
        for (const id of p['lists'].split(';')) {
          const s = sums.get(id) ?? { n: 0, e: 0 };
          s.n += 1;
          s.e += e;
          sums.set(id, s);
        }
      }
      audiences = new Map([...sums].map(([id, s]) => [id, { reachable: s.n, engagement: s.e / s.n }]));
    }
    return audiences.get(listId) ?? { reachable: 0, engagement: 0 };
  };

  /** A property as of `at`: the stored value if the record has not changed since, else from history. */
  const valueAt = (record: StoredRecord, property: string, at: string): PropertyValue | undefined => {
    if (record.createdAt > at) return undefined;
    if (record.updatedAt <= at) return record.properties[property] ?? null;
    return store.valueAt(record.object, record.id, property, at);
  };

  const step = (atIn: Date | string): KpiSample[] => {
    const at = new Date(atIn).toISOString();
    const hours = stepMs / HOUR;
    const samples: KpiSample[] = [];
    const campaigns = new Map<string, { leads: number; sending: boolean; budget: number }>();
    for (const email of all('marketing_emails')) {
      if (valueAt(email, 'status', at) !== 'sent') continue;
      const campaignId = valueAt(email, 'campaign_id', at) ?? null;
      const campaign = campaignId ? store.get('campaigns', campaignId) : undefined;
      if (campaignId) {
        const status = campaign ? valueAt(campaign, 'status', at) : undefined;
        if (status !== 'active' && status !== 'sent') continue;
      }
      const audience = audienceOf(valueAt(email, 'list_id', at) ?? '');
      if (audience.reachable === 0) continue;
      const quality = subjectQuality(valueAt(email, 'subject', at) ?? '');
      const random = prng(`${options.seed}:${email.id}:${at}`);

      const attempted = binomial(random, Math.round(rate * hours * 2), 0.5);
      const bounces = binomial(random, attempted, NEW_BOUNCE_RATE);
      const delivered = attempted - bounces;
      // Opens carry most of the subject's effect, clicks per open the rest: CTR scales with quality.
      const openRate = Math.min(0.9, BASE_OPEN_RATE * audience.engagement * quality ** 0.7);
      const clickToOpen = Math.min(0.9, BASE_CLICK_TO_OPEN * Math.sqrt(audience.engagement) * quality ** 0.3);
      const opens = binomial(random, delivered, openRate);
      const clicks = binomial(random, opens, clickToOpen);
      const unsubscribes = binomial(random, delivered, BASE_UNSUBSCRIBE_RATE / quality);
      const leads = binomial(random, clicks, CLICK_TO_LEAD * audience.engagement);

      const dims: Record<string, string> = campaignId
        ? { email_id: email.id, campaign_id: campaignId }
        : { email_id: email.id };
      const counts: [KpiMetric, number][] = [
        ['email.delivered', delivered],
        ['email.opens', opens],
        ['email.clicks', clicks],
        ['email.unsubscribes', unsubscribes],
        ['email.bounces', bounces],
      ];
      for (const [metric, value] of counts) samples.push({ metric, value, at, dims });
      if (campaignId && campaign) {
        const c = campaigns.get(campaignId) ?? {
          leads: 0,
          sending: false,
          budget: Number(campaign.properties['budget'] ?? 0),
        };
        c.leads += leads;
        c.sending = true;
        campaigns.set(campaignId, c);
      }
    }
    // Lead metrics are per campaign: samples are idempotent by (metric, dims, at), so one per campaign and step.
    for (const [campaignId, c] of campaigns) {
      samples.push({ metric: 'lead.created', value: c.leads, at, dims: { campaign_id: campaignId } });
      const cost = Number.isFinite(c.budget) ? Math.round(((c.budget * hours) / BUDGET_HOURS) * 100) / 100 : 0;
      samples.push({ metric: 'lead.cost', value: cost, at, dims: { campaign_id: campaignId } });
    }
    return samples;
  };

  return {
    step,
    run(from, to) {
      const end = new Date(to).getTime();
      const samples: KpiSample[] = [];
      for (let t = new Date(from).getTime(); t < end; t += stepMs) samples.push(...step(new Date(t)));
      return samples;
    },
  };
}
