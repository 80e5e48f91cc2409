/**
 * Hourly series of the metrics breakers watch, for the dashboard's sparklines and breaker charts.
 * Values are built with the breakers' own metric code (core/breakers/metrics.ts: `aggregate` for
 * KPI samples, `operationalCounts` for action counts), so a point reads what the breaker would
 * have judged at that hour: the metric over the breaker's window ending then, and its baseline.
 *
 * Data is read once per series (KPI samples of the metric's components; one GROUP BY of action
 * counts per hour) and bucketed by hour; windows are sums of buckets. Windows shorter than an
 * hour are shown per hour.
 */
import type { BreakerConfig } from '../../config/types.js';
import {
  aggregate,
  isOperationalMetric,
  kpiComponents,
  metricDefinition,
  operationalCounts,
  type ActionCounts,
  type RatioCounts,
} from '../../core/breakers/metrics.js';
import { parseScopeKey } from '../../core/breakers/scope.js';
import { attributedDims } from '../../core/breakers/signals.js';
import type { ActionCountRow, KpiSample, Repos } from '../../core/ports/storage.js';

export const HOUR_MS = 3_600_000;
const WEEK_MS = 7 * 86_400_000;

export interface SeriesPoint {
  /** End of the window the value covers (an hour boundary; the last point is the current hour's end). */
  readonly at: string;
  /** `null` when there is no data (no denominator). */
  readonly value: number | null;
  readonly baseline: number | null;
  /** The counts behind the value, so a reader can judge the noise. */
  readonly numerator: number;
  readonly denominator: number;
}

type SeriesBreaker = Pick<BreakerConfig, 'metric' | 'window_ms' | 'baseline'>;

const ZERO_COUNTS: ActionCounts = { submitted: 0, executed: 0, failed: 0, denied: 0, approved: 0, rejected: 0 };

/** One action-count row as the breaker runner counts actions (signals.ts `countActions`). */
function addRow(c: ActionCounts, r: ActionCountRow): ActionCounts {
  const n = r.count;
  return {
    submitted: c.submitted + n,
    executed: c.executed + (r.status === 'executed' || r.status === 'rolled_back' ? n : 0),
    failed: c.failed + (r.status === 'failed' ? n : 0),
    denied: c.denied + (r.status === 'denied' ? n : 0),
    rejected: c.rejected + (r.status === 'rejected' ? n : 0),
    approved:
      c.approved + (r.viaApproval && ['executing', 'executed', 'failed', 'rolled_back'].includes(r.status) ? n : 0),
  };
}

const addCounts = (a: ActionCounts, b: ActionCounts): ActionCounts => ({
  submitted: a.submitted + b.submitted,
  executed: a.executed + b.executed,
  failed: a.failed + b.failed,
  denied: a.denied + b.denied,
  approved: a.approved + b.approved,
  rejected: a.rejected + b.rejected,
});

function valueOf(metric: string, c: RatioCounts, operational: boolean): number | null {
  const kind = metricDefinition(metric)?.kind ?? 'count';
  if (kind === 'count') return operational || c.denominator > 0 ? c.numerator : null;
  return c.denominator > 0 ? c.numerator / c.denominator : null;
}

/** Hours spanned by the breaker's window (at least one) and where its baseline lies, in hours. */
function shape(b: SeriesBreaker) {
  const windowH = Math.max(1, Math.ceil(b.window_ms / HOUR_MS));
  const base = b.baseline;
  if (!base) return { windowH };
  if (base.kind === 'trailing') {
    const spanH = Math.max(1, Math.ceil(base.window_ms / HOUR_MS));
    return { windowH, baseline: { endOffsetH: windowH, spanH } };
  }
  return { windowH, baseline: { endOffsetH: WEEK_MS / HOUR_MS, spanH: windowH } };
}

/**
 * The KPI samples an `agent:<id>` scope judges, as the breaker runner attributes them (signals.ts):
 * samples naming the agent, or the emails and campaigns its executed changes touched since
 * `since`. Answers `undefined` (every sample) for the `all` scope.
 */
export async function scopeFilter(
  repos: Pick<Repos, 'actions' | 'changesets'>,
  scopeKey: string,
  since: string,
  until: string,
): Promise<((s: KpiSample) => boolean) | undefined> {
  const scope = parseScopeKey(scopeKey);
  if (scope?.type !== 'agent') return undefined;
  const dims = await attributedDims(repos, scope.agentId, since, until);
  return (s) => s.dims.agent === scope.agentId || [...dims].some(([k, ids]) => ids.has(s.dims[k] ?? '\u0000'));
}

/** The hour boundary at or after `now`: the end of the current hour. */
export const hourCeil = (now: Date) => Math.ceil(now.getTime() / HOUR_MS) * HOUR_MS;

/**
 * `points` hourly points ending at the current hour's end. `agentIds` narrows operational metrics
 * (action counts) to the breaker's scope; KPI metrics use every sample of their components.
 */
export async function metricSeries(
  repos: Pick<Repos, 'kpis' | 'insights'>,
  breaker: SeriesBreaker,
  opts: {
    readonly now: Date;
    readonly points: number;
    readonly agentIds?: readonly string[];
    /** KPI samples to count (an agent scope's attribution); default every sample. */
    readonly keep?: (s: KpiSample) => boolean;
  },
): Promise<SeriesPoint[]> {
  const { windowH, baseline } = shape(breaker);
  const end = hourCeil(opts.now);
  // Enough hours for the first point's window and baseline.
  const hours = opts.points - 1 + Math.max(windowH, baseline ? baseline.endOffsetH + baseline.spanH : 0);
  const start = end - hours * HOUR_MS;
  const iso = (ms: number) => new Date(ms).toISOString();
  const operational = isOperationalMetric(breaker.metric);

  // Per-hour counts, combined over a range of buckets by `sum`.
  let sum: (fromIdx: number, toIdx: number) => RatioCounts;
  if (operational) {
    const metric = breaker.metric;
    const buckets: ActionCounts[] = Array.from({ length: hours }, () => ZERO_COUNTS);
    const rows = await repos.insights.actionCounts({ since: iso(start), before: iso(end), byHour: true });
    const agents = opts.agentIds ? new Set(opts.agentIds) : undefined;
    for (const r of rows) {
      if (agents && !agents.has(r.agentId)) continue;
      const i = Math.floor((Date.parse(r.hour ?? '') - start) / HOUR_MS);
      if (i >= 0 && i < hours) buckets[i] = addRow(buckets[i]!, r);
    }
    sum = (from, to) => {
      let c = ZERO_COUNTS;
      for (let i = Math.max(0, from); i < Math.min(hours, to); i++) c = addCounts(c, buckets[i]!);
      return operationalCounts(metric, c);
    };
  } else {
    const samples: KpiSample[][] = Array.from({ length: hours }, () => []);
    for (const component of kpiComponents(breaker.metric)) {
      for (const s of await repos.kpis.query({ metric: component, from: iso(start), to: iso(end) })) {
        if (opts.keep && !opts.keep(s)) continue;
        const i = Math.floor((Date.parse(s.at) - start) / HOUR_MS);
        if (i >= 0 && i < hours) samples[i]!.push(s);
      }
    }
    const buckets = samples.map((list, i) =>
      aggregate(breaker.metric, list, { from: iso(start + i * HOUR_MS), to: iso(start + (i + 1) * HOUR_MS) }),
    );
    sum = (from, to) => {
      let numerator = 0;
      let denominator = 0;
      for (let i = Math.max(0, from); i < Math.min(hours, to); i++) {
        numerator += buckets[i]!.numerator;
        denominator += buckets[i]!.denominator;
      }
      return { numerator, denominator };
    };
  }

  const out: SeriesPoint[] = [];
  for (let p = 0; p < opts.points; p++) {
    const endIdx = hours - (opts.points - 1 - p);
    const w = sum(endIdx - windowH, endIdx);
    const b = baseline ? sum(endIdx - baseline.endOffsetH - baseline.spanH, endIdx - baseline.endOffsetH) : undefined;
    out.push({
      at: iso(start + endIdx * HOUR_MS),
      value: valueOf(breaker.metric, w, operational),
      baseline: b ? valueOf(breaker.metric, b, operational) : null,
      numerator: w.numerator,
      denominator: w.denominator,
    });
  }
  return out;
}
