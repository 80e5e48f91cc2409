import type { KpiSample } from '../ports/storage.js';

/**
 * What a breaker can watch, and how its value is built from counts. KPI feeds send counts per
 * period (API.md: `email.delivered`, `email.clicks`, … per email); ratios such as CTR are derived
 * here, never sent, so every ratio is judged with the counts behind it — a 40% "drop" on 200
 * deliveries is noise, on 20,000 it is news.
 *
 * Kinds, and what numerator / denominator mean for each:
 * - `rate`: numerator events out of denominator trials (clicks of deliveries); 0 ≤ num ≤ den.
 * - `ratio`: an amount per counted event (cost per lead): numerator is the amount, denominator
 *   the count; the count carries the noise.
 * - `count`: numerator is the number of events in the window; denominator is the number of
 *   periods observed (samples), so 0 means "no data", not "zero events".
 */
export type MetricKind = 'rate' | 'ratio' | 'count';

export interface MetricDefinition {
  readonly kind: MetricKind;
  /** Short name used in reasons ("CTR 1.1% vs baseline 2.8%"). */
  readonly label: string;
  /** KPI metric(s) or action-count field(s) summed into the numerator. */
  readonly numerator: string;
  /** Summed into the denominator; several are added (bounces + delivered = attempts). */
  readonly denominator?: string | readonly string[];
  /** What `min_events` counts, plural ("clicks", "deliveries"). */
  readonly events: string;
  /** What the denominator counts, plural, for rates and ratios. */
  readonly trials?: string;
}

export const DERIVED_METRICS = {
  'email.ctr': {
    kind: 'rate',
    label: 'CTR',
    numerator: 'email.clicks',
    denominator: 'email.delivered',
    events: 'clicks',
    trials: 'deliveries',
  },
  'email.open_rate': {
    kind: 'rate',
    label: 'open rate',
    numerator: 'email.opens',
    denominator: 'email.delivered',
    events: 'opens',
    trials: 'deliveries',
  },
  'email.unsubscribe_rate': {
    kind: 'rate',
    label: 'unsubscribe rate',
    numerator: 'email.unsubscribes',
    denominator: 'email.delivered',
    events: 'unsubscribes',
    trials: 'deliveries',
  },
  // Bounced mail is never delivered: the rate is over attempts, delivered + bounced.
  'email.bounce_rate': {
    kind: 'rate',
    label: 'bounce rate',
    numerator: 'email.bounces',
    denominator: ['email.delivered', 'email.bounces'],
    events: 'bounces',
    trials: 'send attempts',
  },
  'lead.cost': {
    kind: 'ratio',
    label: 'cost per lead',
    numerator: 'lead.cost',
    denominator: 'lead.created',
    events: 'leads',
    trials: 'leads',
  },
} as const satisfies Record<string, MetricDefinition>;

/** Counts of one scope's actions in a window; the caller (the breaker runner) takes them from storage. */
export interface ActionCounts {
  /** Actions submitted, whatever their outcome. */
  readonly submitted: number;
  readonly executed: number;
  readonly failed: number;
  readonly denied: number;
  /** Approval requests decided by a person. */
  readonly approved: number;
  readonly rejected: number;
}

type ActionCountField = keyof ActionCounts;

interface OperationalDefinition extends MetricDefinition {
  readonly numerator: ActionCountField;
  readonly denominator?: readonly ActionCountField[];
}

export const OPERATIONAL_METRICS = {
  // Settled = executed or failed: pending, denied and shadowed actions never reached the CRM.
  'agent.error_rate': {
    kind: 'rate',
    label: 'error rate',
    numerator: 'failed',
    denominator: ['executed', 'failed'],
    events: 'failures',
    trials: 'settled actions',
  },
  'agent.denial_rate': {
    kind: 'rate',
    label: 'denial rate',
    numerator: 'denied',
    denominator: ['submitted'],
    events: 'denials',
    trials: 'actions',
  },
  'agent.action_volume': { kind: 'count', label: 'action volume', numerator: 'submitted', events: 'actions' },
  'agent.approval_rejection_rate': {
    kind: 'rate',
    label: 'approval rejection rate',
    numerator: 'rejected',
    denominator: ['approved', 'rejected'],
    events: 'rejections',
    trials: 'decided approvals',
  },
} as const satisfies Record<string, OperationalDefinition>;

/** The KPI metrics a feed sends (API.md); a breaker on one of them watches its count. */
export const RAW_KPI_METRICS = [
  'email.delivered',
  'email.opens',
  'email.clicks',
  'email.unsubscribes',
  'email.bounces',
  'lead.created',
  'lead.cost',
] as const;

export type DerivedMetricName = keyof typeof DERIVED_METRICS;
export type OperationalMetricName = keyof typeof OPERATIONAL_METRICS;

/** The counts a metric's value is built from; see {@link MetricKind} for their meaning. */
export interface RatioCounts {
  readonly numerator: number;
  readonly denominator: number;
}

const has = <T extends object>(table: T, key: string): key is Extract<keyof T, string> => Object.hasOwn(table, key);

export const isOperationalMetric = (metric: string): metric is OperationalMetricName =>
  has(OPERATIONAL_METRICS, metric);

/**
 * The definition of any metric a breaker may name: derived ratios, operational metrics, and the
 * raw KPI metrics as counts. `lead.cost` names the derived cost per lead, not the raw spend.
 */
export function metricDefinition(metric: string): MetricDefinition | undefined {
  if (has(DERIVED_METRICS, metric)) return DERIVED_METRICS[metric];
  if (has(OPERATIONAL_METRICS, metric)) return OPERATIONAL_METRICS[metric];
  if ((RAW_KPI_METRICS as readonly string[]).includes(metric)) {
    return { kind: 'count', label: metric, numerator: metric, events: metric.split('.')[1] ?? metric };
  }
  return undefined;
}

const list = (names: string | readonly string[] | undefined): readonly string[] =>
  names === undefined ? [] : typeof names === 'string' ? [names] : names;

/** The raw KPI metrics to load for a KPI metric (empty for operational or unknown metrics). */
export function kpiComponents(metric: string): readonly string[] {
  if (isOperationalMetric(metric)) return [];
  const def = metricDefinition(metric);
  return def ? [...new Set([def.numerator, ...list(def.denominator)])] : [];
}

/** Operational counts → numerator / denominator for `metric` (an operational metric name). */
export function operationalCounts(metric: OperationalMetricName, counts: ActionCounts): RatioCounts {
  const def: OperationalDefinition = OPERATIONAL_METRICS[metric];
  const numerator = counts[def.numerator];
  if (def.kind === 'count') return { numerator, denominator: 1 };
  return { numerator, denominator: (def.denominator ?? []).reduce((sum, field) => sum + counts[field], 0) };
}

export interface AggregateRange {
  /** Inclusive, ISO 8601. */
  readonly from: string;
  /** Exclusive, ISO 8601. */
  readonly to: string;
  /** Partial match, as KpisRepo.query: a sample counts when its dims include each of these. */
  readonly dims?: Readonly<Record<string, string>>;
}

/**
 * Sums the samples of a KPI metric's components over [from, to). Samples of other metrics are
 * ignored, so the caller may pass everything it loaded. Values are summed as given: rejecting
 * negative or non-finite values is the evaluator's job, which reports them as `error`.
 * Throws RangeError for a metric without KPI components (operational or unknown).
 */
export function aggregate(metric: string, samples: readonly KpiSample[], range: AggregateRange): RatioCounts {
  const def = metricDefinition(metric);
  if (!def || isOperationalMetric(metric)) throw new RangeError(`${metric} is not built from KPI samples`);
  const from = Date.parse(range.from);
  const to = Date.parse(range.to);
  const dims = Object.entries(range.dims ?? {});
  const denominators = new Set(list(def.denominator));
  let numerator = 0;
  let denominator = 0;
  for (const s of samples) {
    const isNumerator = s.metric === def.numerator;
    if (!isNumerator && !denominators.has(s.metric)) continue;
    const at = Date.parse(s.at);
    if (!(at >= from && at < to)) continue;
    if (!dims.every(([k, v]) => s.dims[k] === v)) continue;
    if (isNumerator) numerator += s.value;
    if (def.kind === 'count') denominator += 1;
    else if (denominators.has(s.metric)) denominator += s.value;
  }
  return { numerator, denominator };
}

// --- how values read in reasons: "CTR 1.1%", "cost per lead 42.10", "action volume 1,204" ---

const MINUS = '\u2212';

// Formatters are built once: toLocaleString builds one per call, ~20 µs each in a hot loop.
const COUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const AMOUNT = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** A count with thousands separators: 2,410. */
export const formatCount = (n: number): string => COUNT.format(n);

/** A metric value as people read it: rates in percent, ratios to 2 decimals, counts whole. */
export function formatValue(kind: MetricKind, value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? '∞' : String(value);
  if (kind === 'count') return formatCount(value);
  if (kind === 'ratio') return AMOUNT.format(value);
  const pct = value * 100;
  const digits = pct === 0 || pct >= 1 ? 1 : Math.min(4, 1 - Math.floor(Math.log10(pct)));
  return `${Number(pct.toFixed(digits))}%`;
}

/** A relative change: −61%, +35%, ±0%. */
export function formatChange(effect: number): string {
  if (!Number.isFinite(effect)) return effect > 0 ? '+∞' : String(effect);
  const pct = Math.round(effect * 100);
  return pct === 0 ? '±0%' : pct < 0 ? `${MINUS}${-pct}%` : `+${pct}%`;
}

/** A ratio or probability to 2 decimals. */
export const formatRatio = (r: number): string => (Number.isFinite(r) ? r.toFixed(2) : '∞');

/** A window length: 24h, 10m, 7d, 90s. */
export function formatSpan(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ];
  // Days only from 2: "24h" reads better than "1d" and is what configs say.
  for (const [size, unit] of units)
    if (ms >= (unit === 'd' ? 2 : 1) * size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
