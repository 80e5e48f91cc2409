/**
 * Replays hourly email KPIs through a breaker's trip rule, the way the breaker runner would:
 * evaluated at the end of every hour over the last `windowHours`, against the `baselineHours`
 * before that window (trailing_7d: the 7 days that end where the 24h window starts).
 *
 * The series come from the sandbox's campaign simulator (real subjects, audiences and binomial
 * noise; one series per sending email). A CTR drop is injected by thinning clicks — each click
 * after the change kept with probability 1 − drop — which is exactly what a subject line with
 * that much less pull does to a binomial click count, and lands on the drop exactly.
 */
import {
  createCampaignSimulator,
  type SandboxConnector,
} from '../../packages/server/src/adapters/connectors/sandbox/index.js';
import { debounce, type TripOutcome } from '../../packages/server/src/core/breakers/evaluate.js';
import type { RatioCounts } from '../../packages/server/src/core/breakers/metrics.js';

export const HOUR_MS = 3_600_000;

export interface HourlySeries {
  readonly emailId: string;
  readonly delivered: Float64Array;
  readonly clicks: Float64Array;
}

/** Per sending email, hourly deliveries and clicks for `hours` hours from `start`. */
export function simulateEmails(
  crm: SandboxConnector,
  options: { readonly seed: number; readonly deliveriesPerHour: number; readonly start: Date; readonly hours: number },
): HourlySeries[] {
  const { seed, deliveriesPerHour, start, hours } = options;
  const simulator = createCampaignSimulator({ store: crm.store }, { seed, deliveriesPerHour });
  const t0 = start.getTime();
  const byEmail = new Map<string, HourlySeries>();
  for (const s of simulator.run(start, new Date(t0 + hours * HOUR_MS))) {
    if (s.metric !== 'email.delivered' && s.metric !== 'email.clicks') continue;
    const id = s.dims['email_id'] ?? '';
    let series = byEmail.get(id);
    if (!series) {
      series = { emailId: id, delivered: new Float64Array(hours), clicks: new Float64Array(hours) };
      byEmail.set(id, series);
    }
    const h = Math.round((Date.parse(s.at) - t0) / HOUR_MS);
    (s.metric === 'email.delivered' ? series.delivered : series.clicks)[h] = s.value;
  }
  return [...byEmail.values()].sort((a, b) => a.emailId.localeCompare(b.emailId, 'en', { numeric: true }));
}

/** mulberry32: small, seeded, good enough for thinning and picking change hours. */
export function prng(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The series with CTR cut by `drop` (0.4 = −40%) from hour `from` on. */
export function injectDrop(series: HourlySeries, from: number, drop: number, seed: number): HourlySeries {
  const random = prng(seed);
  const clicks = Float64Array.from(series.clicks);
  for (let h = from; h < clicks.length; h++) {
    let kept = 0;
    for (let i = 0; i < clicks[h]!; i++) if (random() >= drop) kept++;
    clicks[h] = kept;
  }
  return { ...series, clicks };
}

/** One evaluation: counts in the window and in the baseline → an outcome. */
export type Judge = (window: RatioCounts, baseline: RatioCounts) => TripOutcome;

export interface ReplayOptions {
  readonly windowHours: number;
  readonly baselineHours: number;
  /** The rule's `consecutive`. */
  readonly consecutive: number;
  /**
   * After a trip the breaker is open; a responder is assumed to look and reset it this many hours
   * later (the streak starts again from 0). Trips while open are not counted again.
   */
  readonly resetAfterHours: number;
  /** Evaluate at the end of hours [from, to). */
  readonly from: number;
  readonly to: number;
}

export interface ReplayResult {
  /** Hours at whose end the breaker tripped. */
  readonly trips: number[];
  readonly outcomes: Record<TripOutcome, number>;
}

export function replay(series: HourlySeries, judge: Judge, options: ReplayOptions): ReplayResult {
  const { windowHours: w, baselineHours: b, consecutive, resetAfterHours, from, to } = options;
  if (from + 1 < w + b) throw new RangeError(`the first evaluation at hour ${from} has no full baseline`);
  const n = series.delivered.length;
  const cumDelivered = new Float64Array(n + 1);
  const cumClicks = new Float64Array(n + 1);
  for (let h = 0; h < n; h++) {
    cumDelivered[h + 1] = cumDelivered[h]! + series.delivered[h]!;
    cumClicks[h + 1] = cumClicks[h]! + series.clicks[h]!;
  }
  const sum = (cum: Float64Array, start: number, end: number) => cum[end]! - cum[start]!;
  const outcomes: Record<TripOutcome, number> = { pass: 0, fail: 0, inconclusive: 0, no_data: 0, error: 0 };
  const trips: number[] = [];
  let state = { consecutiveFails: 0 };
  let openUntil = -1;
  for (let t = from; t < Math.min(to, n); t++) {
    const windowStart = t + 1 - w;
    const window = {
      numerator: sum(cumClicks, windowStart, t + 1),
      denominator: sum(cumDelivered, windowStart, t + 1),
    };
    const baselineStart = windowStart - b;
    const baseline = {
      numerator: sum(cumClicks, baselineStart, windowStart),
      denominator: sum(cumDelivered, baselineStart, windowStart),
    };
    const outcome = judge(window, baseline);
    outcomes[outcome]++;
    if (t < openUntil) continue;
    const { trip, consecutiveFails } = debounce(state, outcome, consecutive);
    state = { consecutiveFails: trip ? 0 : consecutiveFails };
    if (trip) {
      trips.push(t);
      openUntil = t + resetAfterHours;
    }
  }
  return { trips, outcomes };
}

/** Nearest-rank quantile; Infinity entries (not detected) sort last. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * A markdown table, for the second table a bench prints in its notes. Same layout as run.ts's
 * formatTable; not imported from there because a bench that value-imports run.ts while run.ts is
 * importing it (in its top-level await) never settles.
 */
export function markdownTable(rows: readonly Record<string, string | number>[]): string {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: string | number | undefined) =>
    v === undefined ? '' : typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : v;
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => `| ${values.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    line(cols),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map((r) => line(cols.map((c) => cell(r[c])))),
  ].join('\n');
}
