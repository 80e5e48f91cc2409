import type { BreakerConfig } from '../../config/types.js';
import {
  formatChange,
  formatCount,
  formatRatio,
  formatSpan,
  formatValue,
  metricDefinition,
  type MetricDefinition,
  type RatioCounts,
} from './metrics.js';
import {
  betaPosterior,
  binomialLowerTail,
  binomialUpperTail,
  gammaPosterior,
  ratioQuantiles,
  type RatioMethod,
} from './stats.js';

/**
 * One evaluation of a breaker's trip rule over counts the caller already summed (see metrics.ts).
 * Pure: no clock, no storage; the runner picks the windows and persists the verdict.
 *
 * Outcomes (Argo Rollouts' measurement states): `fail`, `pass`, `inconclusive` (not enough
 * evidence either way — never a pass), `no_data` (nothing to judge) and `error` (the inputs or the
 * rule cannot be judged: NaN, negative counts, more clicks than deliveries). `no_data` and `error`
 * are reported as such, never as a pass (argo-rollouts #4479).
 *
 * Relative rules (`drop_pct` d, `spike_pct` s) judge the ratio window / baseline of the metric's
 * value with a posterior per side: Beta(1 + x, 1 + n − x) for rates, Gamma(1 + x) per exposure for
 * counts (per ms) and for amounts per event (leads per unit of cost). For a drop, with
 * target = 1 − d/100 and tolerance = 1 − d/200:
 * - fewer than `min_events` events expected in the window at the baseline rate → inconclusive;
 * - fail when the posterior median ≤ target (the estimated drop is the configured one) and the
 *   `confidence` upper bound < tolerance (at least half of it is surely real);
 * - pass when the `confidence` lower bound > target (surely smaller than the configured drop);
 * - otherwise inconclusive. Spikes mirror this above 1.
 * Two numbers, as Kayenta does (a confidence interval must clear a tolerance band, and the effect
 * size must pass a threshold): requiring the upper bound itself below the target would demand
 * proof of a drop *larger* than d, and miss most drops of exactly d (see bench/breakers.bench.ts).
 *
 * Absolute rules (`above`, `below`) compare the value with the limit once the denominator holds
 * `min_events`; for rates with `confidence`, crossing it fails only when a one-sided exact
 * binomial test rejects "the true rate is within the limit" at that confidence.
 */

export type TripOutcome = 'pass' | 'fail' | 'inconclusive' | 'no_data' | 'error';

/** What the evaluator reads from a breaker. */
export interface TripRule {
  readonly metric: string;
  readonly trip_when: BreakerConfig['trip_when'];
}

export interface TripInput {
  readonly window: RatioCounts;
  /** Needed by drop_pct / spike_pct; without it those checks answer `no_data`. */
  readonly baseline?: RatioCounts;
  readonly windowMs: number;
  /** Length of the baseline period; needed for count metrics, whose rates are per unit of time. */
  readonly baselineSpanMs?: number;
}

export type TripTest =
  | {
      readonly kind: 'beta_binomial' | 'gamma_poisson';
      readonly direction: 'drop' | 'spike';
      readonly confidence: number;
      /** Posterior quantiles (1 − confidence, 0.5, confidence) of value(window) / value(baseline). */
      readonly lower: number;
      readonly median: number;
      readonly upper: number;
      readonly target: number;
      readonly tolerance: number;
      /** Events the window would hold at the baseline rate: what `min_events` is compared with. */
      readonly expectedEvents: number;
      readonly minEvents: number;
      readonly method: RatioMethod;
    }
  | { readonly kind: 'expected_events'; readonly expectedEvents: number; readonly minEvents: number }
  | {
      readonly kind: 'binomial';
      readonly direction: 'above' | 'below';
      readonly threshold: number;
      readonly confidence: number;
      /** P(a count this far past the limit | the true rate is exactly at the limit). */
      readonly pValue: number;
      readonly trials: number;
    }
  | {
      readonly kind: 'threshold';
      readonly direction: 'above' | 'below';
      readonly threshold: number;
      readonly events: number;
      readonly minEvents: number;
    };

export interface TripCheck {
  readonly condition: 'drop_pct' | 'spike_pct' | 'above' | 'below';
  readonly outcome: TripOutcome;
  readonly test?: TripTest;
  readonly reason: string;
}

export interface TripEvaluation {
  readonly outcome: TripOutcome;
  readonly value?: number;
  readonly baselineValue?: number;
  /** Relative change value / baselineValue − 1 (−0.61 for a 61% drop). */
  readonly effect?: number;
  /** The deciding check's test. */
  readonly test?: TripTest;
  /** One per configured condition, in the order drop_pct, spike_pct, above, below. */
  readonly checks: readonly TripCheck[];
  readonly reason: string;
}

export const DEFAULT_CONFIDENCE = 0.95;

/** Which check decides when conditions disagree: a breach found by one stands even when another could not be judged. */
const PRECEDENCE: readonly TripOutcome[] = ['fail', 'error', 'no_data', 'inconclusive', 'pass'];

const LABEL: Readonly<Record<TripOutcome, string>> = {
  pass: 'PASS',
  fail: 'FAIL',
  inconclusive: 'INCONCLUSIVE',
  no_data: 'NO DATA',
  error: 'ERROR',
};

const verdict = (reason: string, outcome: TripOutcome) => `${reason}: ${LABEL[outcome]}`;

/** A check before its verdict is appended to the text. */
type Judged = Omit<TripCheck, 'reason'> & { readonly text: string };
const percent = (p: number) => `${Number((p * 100).toFixed(1))}%`;

interface Context {
  readonly def: MetricDefinition;
  readonly input: TripInput;
  readonly value: number;
  readonly baselineValue: number | undefined;
  readonly confidence: number;
  readonly minEvents: number;
}

const isCount = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n >= 0;

function invalidCounts(def: MetricDefinition, counts: RatioCounts, name: string): string | undefined {
  if (!isCount(counts.numerator) || !isCount(counts.denominator)) {
    return `${name} counts must be finite and ≥ 0, got ${counts.numerator} / ${counts.denominator}`;
  }
  if (def.kind === 'rate' && counts.numerator > counts.denominator) {
    return `${name} has more ${def.events} (${formatCount(counts.numerator)}) than ${def.trials ?? 'trials'} (${formatCount(counts.denominator)})`;
  }
  return undefined;
}

function invalidInput(def: MetricDefinition, rule: TripRule, input: TripInput): string | undefined {
  const t = rule.trip_when;
  for (const [key, v] of Object.entries(t)) {
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) return `trip_when.${key} is not a number`;
  }
  if (t.confidence !== undefined && !(t.confidence > 0 && t.confidence < 1)) return 'confidence must be in (0, 1)';
  if (t.drop_pct !== undefined && !(t.drop_pct > 0 && t.drop_pct <= 100)) return 'drop_pct must be in (0, 100]';
  if (t.spike_pct !== undefined && !(t.spike_pct > 0)) return 'spike_pct must be > 0';
  if (!(input.windowMs > 0) || !Number.isFinite(input.windowMs))
    return `window length must be > 0, got ${input.windowMs}`;
  const relative = t.drop_pct !== undefined || t.spike_pct !== undefined;
  if (relative && input.baseline && def.kind === 'count' && !(Number(input.baselineSpanMs) > 0)) {
    return `a count metric needs the baseline's length, got ${input.baselineSpanMs}`;
  }
  return (
    invalidCounts(def, input.window, 'window') ?? (input.baseline && invalidCounts(def, input.baseline, 'baseline'))
  );
}

/** Nothing to judge: no trials for a rate, neither amount nor events for a ratio, no samples for a count. */
const isEmpty = (def: MetricDefinition, c: RatioCounts) =>
  def.kind === 'ratio' ? c.numerator === 0 && c.denominator === 0 : c.denominator === 0;

/** The metric's value; a count's baseline is scaled to one window. */
function valueOf(def: MetricDefinition, c: RatioCounts, scale = 1): number {
  if (def.kind === 'count') return c.numerator * scale;
  if (def.kind === 'ratio' && c.denominator === 0) return Infinity;
  return c.numerator / c.denominator;
}

export function evaluateTrip(rule: TripRule, input: TripInput): TripEvaluation {
  const def = metricDefinition(rule.metric);
  if (!def) return { outcome: 'error', checks: [], reason: verdict(`unknown metric ${rule.metric}`, 'error') };
  const invalid = invalidInput(def, rule, input);
  if (invalid) return { outcome: 'error', checks: [], reason: verdict(`${def.label}: ${invalid}`, 'error') };
  if (isEmpty(def, input.window)) {
    const what = def.kind === 'count' ? 'samples' : (def.trials ?? def.events);
    return {
      outcome: 'no_data',
      checks: [],
      reason: verdict(`${def.label}: no ${what} in the ${formatSpan(input.windowMs)} window`, 'no_data'),
    };
  }
  const value = valueOf(def, input.window);
  const b = input.baseline;
  const baselineValue =
    b && !isEmpty(def, b) ? valueOf(def, b, input.windowMs / (input.baselineSpanMs ?? input.windowMs)) : undefined;
  const t = rule.trip_when;
  const ctx: Context = {
    def,
    input,
    value,
    baselineValue,
    confidence: t.confidence ?? DEFAULT_CONFIDENCE,
    minEvents: t.min_events ?? 0,
  };
  const judged: Judged[] = [];
  if (t.drop_pct !== undefined) judged.push(relativeCheck(ctx, 'drop', t.drop_pct));
  if (t.spike_pct !== undefined) judged.push(relativeCheck(ctx, 'spike', t.spike_pct));
  if (t.above !== undefined) judged.push(thresholdCheck(ctx, 'above', t.above, t.confidence));
  if (t.below !== undefined) judged.push(thresholdCheck(ctx, 'below', t.below, t.confidence));
  // Spend without a single lead can show a spike, never health: there is no cost per lead to judge yet.
  const noEvents = def.kind === 'ratio' && input.window.denominator === 0;
  const checks: TripCheck[] = judged.map(({ text, ...c }) =>
    noEvents && c.outcome === 'pass'
      ? {
          ...c,
          outcome: 'inconclusive',
          reason: verdict(`${text}, but no ${def.events} in the window yet`, 'inconclusive'),
        }
      : { ...c, reason: verdict(text, c.outcome) },
  );
  const decisive = PRECEDENCE.map((o) => checks.find((c) => c.outcome === o)).find((c) => c !== undefined);
  if (!decisive)
    return { outcome: 'error', checks, reason: verdict(`${def.label}: the rule has no condition`, 'error') };
  const effect = baselineValue !== undefined && baselineValue > 0 ? value / baselineValue - 1 : undefined;
  return {
    outcome: decisive.outcome,
    value,
    ...(baselineValue !== undefined ? { baselineValue } : {}),
    ...(effect !== undefined && Number.isFinite(effect) ? { effect } : {}),
    ...(decisive.test ? { test: decisive.test } : {}),
    checks,
    reason: checks.length === 1 ? decisive.reason : checks.map((c) => c.reason).join('; '),
  };
}

/** Events expected in the window if the baseline rate held, and the two posteriors to compare. */
function model(ctx: Context, b: RatioCounts) {
  const { def, input } = ctx;
  const w = input.window;
  switch (def.kind) {
    case 'rate':
      return {
        expected: b.denominator > 0 ? (w.denominator * b.numerator) / b.denominator : 0,
        window: betaPosterior(w.numerator, w.denominator),
        baseline: betaPosterior(b.numerator, b.denominator),
        invert: false,
      };
    case 'count': {
      const span = input.baselineSpanMs ?? input.windowMs;
      return {
        expected: (b.numerator * input.windowMs) / span,
        window: gammaPosterior(w.numerator, input.windowMs),
        baseline: gammaPosterior(b.numerator, span),
        invert: false,
      };
    }
    case 'ratio':
      // The counted events (leads) are Poisson in the amount spent; value = amount / events is
      // the reciprocal of that rate, so the ratio's quantiles are reciprocals, mirrored.
      return {
        expected: b.numerator > 0 ? (w.numerator * b.denominator) / b.numerator : 0,
        window: gammaPosterior(w.denominator, w.numerator),
        baseline: gammaPosterior(b.denominator, b.numerator),
        invert: true,
      };
  }
}

function relativeCheck(ctx: Context, direction: 'drop' | 'spike', pct: number): Judged {
  const condition = direction === 'drop' ? 'drop_pct' : 'spike_pct';
  const { def, input, value, baselineValue, confidence, minEvents } = ctx;
  const b = input.baseline;
  const shown = `${def.label} ${formatValue(def.kind, value)}`;
  if (!b || baselineValue === undefined) {
    return { condition, outcome: 'no_data', text: `${shown}, but no baseline to compare with` };
  }
  const change =
    baselineValue > 0 && Number.isFinite(baselineValue) ? ` (${formatChange(value / baselineValue - 1)})` : '';
  const head = `${shown} vs baseline ${formatValue(def.kind, baselineValue)}${change}`;
  const m = model(ctx, b);
  const expected = `${formatCount(m.expected >= 10 ? Math.round(m.expected) : m.expected)} ${def.events} expected`;
  const trials = def.kind === 'count' ? '' : `${formatCount(input.window.denominator)} ${def.trials}, `;
  const gate: TripTest = { kind: 'expected_events', expectedEvents: m.expected, minEvents };
  if (!(m.expected > 0) || !Number.isFinite(baselineValue) || baselineValue <= 0) {
    const why = `the baseline has no ${def.events}, so a relative change cannot be measured`;
    return { condition, outcome: 'inconclusive', test: gate, text: `${head}: ${why}` };
  }
  if (m.expected < minEvents) {
    const why = `${trials}${expected} at the baseline rate, fewer than min_events ${formatCount(minEvents)}`;
    return { condition, outcome: 'inconclusive', test: gate, text: `${head}: ${why}` };
  }
  const probs = [1 - confidence, 0.5, confidence];
  const q = ratioQuantiles(m.window, m.baseline, m.invert ? probs.map((p) => 1 - p) : probs);
  const [lower, median, upper] = m.invert ? q.values.map((v) => 1 / v) : q.values;
  if (lower === undefined || median === undefined || upper === undefined || [lower, median, upper].some(Number.isNaN)) {
    const why = "the ratio's posterior could not be computed";
    return { condition, outcome: 'error', text: `${head}: ${why}` };
  }
  const drop = direction === 'drop';
  const target = drop ? 1 - pct / 100 : 1 + pct / 100;
  const tolerance = drop ? 1 - pct / 200 : 1 + pct / 200;
  const test: TripTest = {
    kind: def.kind === 'rate' ? 'beta_binomial' : 'gamma_poisson',
    direction,
    confidence,
    lower,
    median,
    upper,
    target,
    tolerance,
    expectedEvents: m.expected,
    minEvents,
    method: q.method,
  };
  // "Past" a limit is below it for a drop, above it for a spike; `near` is the bound on the bad side.
  const past = (x: number, limit: number) => (drop ? x < limit : x > limit);
  const atOrPast = (x: number, limit: number) => (drop ? x <= limit : x >= limit);
  const [near, far] = drop ? [upper, lower] : [lower, upper];
  const [nearName, farName] = drop ? ['upper', 'lower'] : ['lower', 'upper'];
  const [lt, gt, le] = drop ? ['<', '>', '≤'] : ['>', '<', '≥'];
  const c = percent(confidence);
  let outcome: TripOutcome;
  let why: string;
  if (atOrPast(median, target) && past(near, tolerance)) {
    outcome = 'fail';
    why = `${c} ${nearName} bound of the ratio ${formatRatio(near)} ${lt} ${formatRatio(tolerance)} tolerance, median ${formatRatio(median)} ${le} ${formatRatio(target)} target`;
  } else if (!atOrPast(far, target) && !atOrPast(median, target)) {
    outcome = 'pass';
    why = `${c} ${farName} bound of the ratio ${formatRatio(far)} ${gt} ${formatRatio(target)} target`;
  } else if (atOrPast(median, target)) {
    outcome = 'inconclusive';
    why = `median ratio ${formatRatio(median)} ${le} ${formatRatio(target)} target, but the ${c} ${nearName} bound ${formatRatio(near)} is not ${drop ? 'below' : 'above'} the ${formatRatio(tolerance)} tolerance`;
  } else {
    outcome = 'inconclusive';
    why = `${c} interval of the ratio ${formatRatio(lower)}–${formatRatio(upper)} includes the ${formatRatio(target)} target`;
  }
  return { condition, outcome, test, text: `${head}: ${why}; ${trials}${expected}` };
}

function thresholdCheck(ctx: Context, direction: 'above' | 'below', threshold: number, confidence?: number): Judged {
  const { def, input, value, minEvents } = ctx;
  const w = input.window;
  const crossed = direction === 'above' ? value > threshold : value < threshold;
  const sign = crossed ? (direction === 'above' ? '>' : '<') : direction === 'above' ? '≤' : '≥';
  const detail =
    def.kind === 'count'
      ? ''
      : def.kind === 'rate'
        ? ` (${formatCount(w.numerator)} of ${formatCount(w.denominator)} ${def.trials})`
        : ` (${formatCount(w.numerator)} over ${formatCount(w.denominator)} ${def.events})`;
  const head = `${def.label} ${formatValue(def.kind, value)}${detail} ${sign} ${formatValue(def.kind, threshold)} limit`;
  const threshTest: TripTest = { kind: 'threshold', direction, threshold, events: w.denominator, minEvents };
  // A count is its own evidence; rates and ratios need enough of the counted events behind them.
  if (def.kind !== 'count' && w.denominator < minEvents) {
    const why = `only ${formatCount(w.denominator)} ${def.trials}, fewer than min_events ${formatCount(minEvents)}`;
    return {
      condition: direction,
      outcome: 'inconclusive',
      test: threshTest,
      text: `${head}, but ${why}`,
    };
  }
  if (!crossed) return { condition: direction, outcome: 'pass', test: threshTest, text: head };
  if (def.kind !== 'rate' || confidence === undefined) {
    return { condition: direction, outcome: 'fail', test: threshTest, text: head };
  }
  const pValue =
    direction === 'above'
      ? binomialUpperTail(w.numerator, w.denominator, threshold)
      : binomialLowerTail(w.numerator, w.denominator, threshold);
  if (Number.isNaN(pValue)) {
    return {
      condition: direction,
      outcome: 'error',
      text: `${head}: the binomial test could not be computed`,
    };
  }
  const test: TripTest = { kind: 'binomial', direction, threshold, confidence, pValue, trials: w.denominator };
  const alpha = 1 - confidence;
  const significant = pValue <= alpha;
  const outcome: TripOutcome = significant ? 'fail' : 'inconclusive';
  const p = pValue < 0.001 ? pValue.toExponential(1) : pValue.toFixed(3);
  const why = `one-sided binomial p = ${p} ${significant ? '≤' : '>'} ${Number(alpha.toFixed(4))}`;
  return { condition: direction, outcome, test, text: `${head}, ${why}` };
}

export interface DebounceState {
  readonly consecutiveFails: number;
}

/**
 * The `consecutive` rule (Prometheus' `for`): trip once `consecutive` failing evaluations have
 * been seen with no pass between them. Same counting as the state machine (state.ts):
 * - `fail` adds one to the streak; the evaluation trips when the streak reaches `consecutive`
 *   (and every later failing evaluation answers trip again — the state machine ignores repeats);
 * - `pass` resets the streak to 0: only evidence of health ends it;
 * - `inconclusive`, `no_data` and `error` leave the streak as it is: they neither count as a
 *   failure (no evidence of one) nor end it (no evidence of recovery), so a feed that drops out
 *   between two failing hours cannot hide a sustained breach — fail, no_data, fail trips a
 *   `consecutive: 2` rule.
 */
export function debounce(
  state: DebounceState,
  outcome: TripOutcome,
  consecutive: number,
): { readonly trip: boolean; readonly consecutiveFails: number } {
  const consecutiveFails =
    outcome === 'fail' ? state.consecutiveFails + 1 : outcome === 'pass' ? 0 : state.consecutiveFails;
  return { trip: outcome === 'fail' && consecutiveFails >= Math.max(1, consecutive), consecutiveFails };
}
