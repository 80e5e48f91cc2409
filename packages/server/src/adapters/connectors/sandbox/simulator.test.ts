import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock, type ManualClock } from '../../../core/clock.js';
import {
  createCampaignSimulator,
  createSandboxConnector,
  subjectQuality,
  type KpiSample,
  type SandboxConnector,
} from './index.js';

const HOUR = 3_600_000;
const GOOD = '{{ contact.firstname }}, your January product update';
const BAD = 'FREE TRIAL!!! ACT NOW, CLICK HERE';

/** Totals of one metric for one email over samples in [from, to). */
const total = (samples: KpiSample[], metric: string, email: string, from: number, to: number) =>
  samples
    .filter(
      (s) => s.metric === metric && s.dims['email_id'] === email && Date.parse(s.at) >= from && Date.parse(s.at) < to,
    )
    .reduce((sum, s) => sum + s.value, 0);

describe('subjectQuality', () => {
  it('prefers a personalized, mid-length subject; spam words, ALL CAPS and !!! each cost', () => {
    expect(subjectQuality(GOOD)).toBeGreaterThan(1);
    expect(subjectQuality('Your January product update is here')).toBeGreaterThan(
      subjectQuality('YOUR JANUARY PRODUCT UPDATE IS HERE'),
    );
    expect(subjectQuality('Your January product update is here')).toBeGreaterThan(
      subjectQuality('Your January product update is here!!!'),
    );
    expect(subjectQuality('Your January product update is here')).toBeGreaterThan(
      subjectQuality('Your free January update, act now'),
    );
    expect(subjectQuality(BAD)).toBeLessThan(0.35);
    expect(subjectQuality('')).toBe(0.15);
  });
});

describe('campaign simulator', () => {
  let clock: ManualClock;
  let crm: SandboxConnector;
  beforeEach(async () => {
    clock = createManualClock('2026-01-12T00:00:00.000Z');
    crm = await createSandboxConnector({
      id: 'crm',
      seed: 42,
      size: { contacts: 2000, companies: 300, deals: 400 },
      clock,
    });
  });
  afterEach(() => crm.close());

  const live = async () => {
    const campaign = await crm.get('campaigns', 'cmp_1');
    expect(campaign?.properties['status']).toBe('active');
    const [email] = campaign!.properties['email_ids']!.split(';');
    expect((await crm.get('marketing_emails', email!))?.properties['status']).toBe('sent');
    return email!;
  };
  const setSubject = async (email: string, subject: string) => {
    const plan = await crm.plan({
      object: 'marketing_emails',
      operation: 'update',
      records: [{ id: email, changes: { subject } }],
    });
    expect(
      (
        await crm.apply(plan, {
          idempotencyKey: `subject-${subject}`,
          actor: { kind: 'agent', id: 'subject-optimizer' },
          source: 'gatehouse',
        })
      ).type,
    ).toBe('applied');
  };

  it('a bad subject line written mid-run cuts click-through from that hour on, clearly beyond noise', async () => {
    const email = await live();
    await setSubject(email, GOOD);
    clock.advance(24 * HOUR);
    const changedAt = clock.now().getTime();
    await setSubject(email, BAD);
    const samples = createCampaignSimulator(crm, { seed: 1, deliveriesPerHour: 400 }).run(
      new Date(changedAt - 24 * HOUR),
      new Date(changedAt + 24 * HOUR),
    );

    const before = {
      d: total(samples, 'email.delivered', email, changedAt - 24 * HOUR, changedAt),
      c: total(samples, 'email.clicks', email, changedAt - 24 * HOUR, changedAt),
    };
    const after = {
      d: total(samples, 'email.delivered', email, changedAt, changedAt + 24 * HOUR),
      c: total(samples, 'email.clicks', email, changedAt, changedAt + 24 * HOUR),
    };
    expect(before.d).toBeGreaterThan(8000);
    expect(after.d).toBeGreaterThan(8000);
    const ctrBefore = before.c / before.d;
    const ctrAfter = after.c / after.d;
    expect(ctrBefore).toBeGreaterThan(0.015);
    expect(ctrAfter).toBeLessThan(ctrBefore * 0.6);
    // Two-proportion z-test: the drop is far outside binomial noise.
    const pooled = (before.c + after.c) / (before.d + after.d);
    const z = (ctrBefore - ctrAfter) / Math.sqrt(pooled * (1 - pooled) * (1 / before.d + 1 / after.d));
    expect(z).toBeGreaterThan(5);
  });

  it('pausing the campaign stops its traffic from the pause on', async () => {
    const email = await live();
    clock.advance(6 * HOUR);
    const pausedAt = clock.now().getTime();
    const plan = await crm.plan({ object: 'campaigns', operation: 'pause', target: 'cmp_1' });
    expect(
      (await crm.apply(plan, { idempotencyKey: 'pause', actor: { kind: 'person', id: 'maria' }, source: 'test' })).type,
    ).toBe('applied');
    const samples = createCampaignSimulator(crm, { seed: 1 }).run(
      new Date(pausedAt - 6 * HOUR),
      new Date(pausedAt + 6 * HOUR),
    );
    expect(total(samples, 'email.delivered', email, pausedAt - 6 * HOUR, pausedAt)).toBeGreaterThan(1000);
    expect(total(samples, 'email.delivered', email, pausedAt, pausedAt + 6 * HOUR)).toBe(0);
    const leads = samples.filter((s) => s.metric === 'lead.cost' && s.dims['campaign_id'] === 'cmp_1');
    expect(leads.every((s) => Date.parse(s.at) < pausedAt)).toBe(true);
    expect(leads.length).toBe(6);
  });

  it('is deterministic for a seed, differs across seeds, and emits one lead sample per campaign and step', async () => {
    const from = new Date('2026-01-12T00:00:00.000Z');
    const to = new Date('2026-01-12T12:00:00.000Z');
    const a = createCampaignSimulator(crm, { seed: 7 }).run(from, to);
    expect(createCampaignSimulator(crm, { seed: 7 }).run(from, to)).toEqual(a);
    expect(createCampaignSimulator(crm, { seed: 8 }).run(from, to)).not.toEqual(a);
    const keys = a.map((s) => `${s.metric}|${JSON.stringify(s.dims)}|${s.at}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(a.every((s) => Number.isFinite(s.value) && s.value >= 0)).toBe(true);
    const metrics = new Set(a.map((s) => s.metric));
    for (const m of [
      'email.delivered',
      'email.opens',
      'email.clicks',
      'email.unsubscribes',
      'email.bounces',
      'lead.created',
      'lead.cost',
    ]) {
      expect(metrics).toContain(m);
    }
    // Opens ≤ delivered and clicks ≤ opens in every sample group.
    for (const d of a.filter((s) => s.metric === 'email.delivered')) {
      const opens = a.find(
        (s) => s.metric === 'email.opens' && s.at === d.at && s.dims['email_id'] === d.dims['email_id'],
      )!;
      const clicks = a.find(
        (s) => s.metric === 'email.clicks' && s.at === d.at && s.dims['email_id'] === d.dims['email_id'],
      )!;
      expect(opens.value).toBeLessThanOrEqual(d.value);
      expect(clicks.value).toBeLessThanOrEqual(opens.value);
    }
  });
});
