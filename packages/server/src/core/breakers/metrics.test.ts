import { describe, expect, it } from 'vitest';
import type { KpiSample } from '../ports/storage.js';
import {
  aggregate,
  DERIVED_METRICS,
  formatChange,
  formatSpan,
  formatValue,
  kpiComponents,
  metricDefinition,
  operationalCounts,
} from './metrics.js';

const at = (h: number) => new Date(Date.UTC(2026, 0, 12, h)).toISOString();
const sample = (metric: string, value: number, h: number, dims: Record<string, string> = {}): KpiSample => ({
  metric,
  value,
  at: at(h),
  dims,
});

const EM1 = { email_id: 'em_1', campaign_id: 'cmp_1' };
const EM2 = { email_id: 'em_2', campaign_id: 'cmp_1' };
const samples: KpiSample[] = [
  sample('email.delivered', 1000, 0, EM1),
  sample('email.clicks', 25, 0, EM1),
  sample('email.bounces', 4, 0, EM1),
  sample('email.delivered', 900, 1, EM1),
  sample('email.clicks', 18, 1, EM1),
  sample('email.bounces', 6, 1, EM1),
  sample('email.delivered', 500, 1, EM2),
  sample('email.clicks', 40, 1, EM2),
  sample('email.delivered', 800, 2, EM1),
  sample('email.clicks', 10, 2, EM1),
  sample('lead.created', 12, 1, { campaign_id: 'cmp_1' }),
  sample('lead.cost', 300, 1, { campaign_id: 'cmp_1' }),
];

describe('aggregate', () => {
  it('CTR counts: clicks over deliveries in [from, to), matching dims only', () => {
    expect(aggregate('email.ctr', samples, { from: at(0), to: at(2), dims: { email_id: 'em_1' } })).toEqual({
      numerator: 43,
      denominator: 1900,
    });
    // Partial match on campaign_id takes both emails; `to` is exclusive, so hour 2 is out.
    expect(aggregate('email.ctr', samples, { from: at(1), to: at(2), dims: { campaign_id: 'cmp_1' } })).toEqual({
      numerator: 58,
      denominator: 1400,
    });
  });

  it('bounce rate is over attempts: delivered + bounced', () => {
    expect(aggregate('email.bounce_rate', samples, { from: at(0), to: at(3), dims: { email_id: 'em_1' } })).toEqual({
      numerator: 10,
      denominator: 2710,
    });
  });

  it('cost per lead: spend over leads', () => {
    expect(aggregate('lead.cost', samples, { from: at(0), to: at(3) })).toEqual({ numerator: 300, denominator: 12 });
  });

  it('a raw metric is a count; its denominator counts the samples, so silence is told from zero', () => {
    expect(aggregate('email.clicks', samples, { from: at(0), to: at(3), dims: { email_id: 'em_1' } })).toEqual({
      numerator: 53,
      denominator: 3,
    });
    expect(aggregate('email.clicks', samples, { from: at(5), to: at(6) })).toEqual({ numerator: 0, denominator: 0 });
  });

  it('no samples in range: 0 / 0 (the evaluator answers no_data)', () => {
    expect(aggregate('email.ctr', samples, { from: at(10), to: at(12) })).toEqual({ numerator: 0, denominator: 0 });
  });

  it('refuses operational and unknown metrics: they are not built from KPI samples', () => {
    expect(() => aggregate('agent.error_rate', samples, { from: at(0), to: at(1) })).toThrow(RangeError);
    expect(() => aggregate('email.nope', samples, { from: at(0), to: at(1) })).toThrow(RangeError);
  });
});

describe('operational metrics', () => {
  const counts = { submitted: 50, executed: 30, failed: 10, denied: 5, approved: 6, rejected: 2 };
  it('error rate is failed over settled (executed + failed); denials and rejections over their own totals', () => {
    expect(operationalCounts('agent.error_rate', counts)).toEqual({ numerator: 10, denominator: 40 });
    expect(operationalCounts('agent.denial_rate', counts)).toEqual({ numerator: 5, denominator: 50 });
    expect(operationalCounts('agent.approval_rejection_rate', counts)).toEqual({ numerator: 2, denominator: 8 });
    expect(operationalCounts('agent.action_volume', counts)).toEqual({ numerator: 50, denominator: 1 });
  });
});

describe('definitions', () => {
  it('every derived metric is built from metrics a KPI feed sends', () => {
    for (const name of Object.keys(DERIVED_METRICS)) {
      for (const part of kpiComponents(name)) expect(metricDefinition(part)).toBeDefined();
    }
    expect(kpiComponents('email.bounce_rate')).toEqual(['email.bounces', 'email.delivered']);
    expect(kpiComponents('agent.error_rate')).toEqual([]);
    expect(metricDefinition('email.clicks')?.kind).toBe('count');
    expect(metricDefinition('lead.cost')?.kind).toBe('ratio');
    expect(metricDefinition('nope')).toBeUndefined();
  });

  it('values read as people write them', () => {
    expect(formatValue('rate', 0.0112)).toBe('1.1%');
    expect(formatValue('rate', 0.0015)).toBe('0.15%');
    expect(formatValue('rate', 0.2)).toBe('20%');
    expect(formatValue('ratio', 42.1)).toBe('42.10');
    expect(formatValue('count', 12_040)).toBe('12,040');
    expect(formatChange(-0.607)).toBe('\u221261%');
    expect(formatChange(0.35)).toBe('+35%');
    expect(formatSpan(86_400_000)).toBe('24h');
    expect(formatSpan(7 * 86_400_000)).toBe('7d');
    expect(formatSpan(600_000)).toBe('10m');
  });
});
