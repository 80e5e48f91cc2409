import { describe, expect, it } from 'vitest';
import {
  debounce,
  evaluateTrip,
  type TripEvaluation,
  type TripInput,
  type TripOutcome,
  type TripRule,
} from './evaluate.js';
import { EVALUATION_OUTCOMES, type EvaluationOutcome } from './state.js';

const HOUR = 3_600_000;
/** The example config's `ctr-drop` breaker. */
const CTR_DROP: TripRule = {
  metric: 'email.ctr',
  trip_when: { drop_pct: 40, min_events: 50, confidence: 0.95, consecutive: 1 },
};
/** The example config's `agent-errors` breaker. */
const AGENT_ERRORS: TripRule = {
  metric: 'agent.error_rate',
  trip_when: { above: 0.2, min_events: 20, consecutive: 1 },
};

const ctr = (clicks: number, delivered: number, baseClicks = 420, baseDelivered = 16_800): TripInput => ({
  window: { numerator: clicks, denominator: delivered },
  baseline: { numerator: baseClicks, denominator: baseDelivered },
  windowMs: 24 * HOUR,
  baselineSpanMs: 168 * HOUR,
});

describe('evaluateTrip: CTR drop (beta-binomial)', () => {
  it('a clear drop fails, and says why in words a responder reads', () => {
    const r = evaluateTrip(CTR_DROP, ctr(27, 2410, 470, 16_800));
    expect(r.outcome).toBe('fail');
    expect(r.value).toBeCloseTo(27 / 2410, 10);
    expect(r.baselineValue).toBeCloseTo(470 / 16_800, 10);
    expect(r.effect).toBeCloseTo(27 / 2410 / (470 / 16_800) - 1, 10);
    expect(r.test).toMatchObject({
      kind: 'beta_binomial',
      direction: 'drop',
      target: 0.6,
      tolerance: 0.8,
      minEvents: 50,
    });
    expect(r.reason).toBe(
      'CTR 1.1% vs baseline 2.8% (\u221260%): 95% upper bound of the ratio 0.56 < 0.80 tolerance, ' +
        'median 0.41 ≤ 0.60 target; 2,410 deliveries, 67 clicks expected: FAIL',
    );
  });

  it('noise around an unchanged CTR passes', () => {
    const r = evaluateTrip(CTR_DROP, ctr(55, 2400));
    expect(r.outcome).toBe('pass');
    expect(r.reason).toMatch(/95% lower bound of the ratio 0\.\d\d > 0\.60 target.*: PASS$/);
  });

  it('a "75% drop" on 800 deliveries is inconclusive, not a pass: 20 clicks expected < min_events 50', () => {
    const r = evaluateTrip(CTR_DROP, ctr(5, 800));
    expect(r.outcome).toBe('inconclusive');
    expect(r.test).toEqual({ kind: 'expected_events', expectedEvents: 20, minEvents: 50 });
    expect(r.reason).toContain('20 clicks expected at the baseline rate, fewer than min_events 50');
  });

  it('a drop right at the threshold is inconclusive: the estimate says 40%, the evidence cannot tell 30% from 50%', () => {
    const r = evaluateTrip(CTR_DROP, ctr(36, 2400));
    expect(r.outcome).toBe('inconclusive');
    expect(r.reason).toContain('includes the 0.60 target');
  });

  it('an estimated 44% drop whose bound does not clear the tolerance is inconclusive, and says so', () => {
    const r = evaluateTrip({ ...CTR_DROP, trip_when: { ...CTR_DROP.trip_when, min_events: 20 } }, ctr(11, 800));
    expect(r.outcome).toBe('inconclusive');
    expect(r.reason).toMatch(/median ratio 0\.\d\d ≤ 0\.60 target, but the 95% upper bound 0\.\d\d is not below/);
  });

  it('no deliveries in the window: no_data', () => {
    const r = evaluateTrip(CTR_DROP, ctr(0, 0));
    expect(r).toMatchObject({ outcome: 'no_data', reason: 'CTR: no deliveries in the 24h window: NO DATA' });
  });

  it('no baseline, or an empty one: no_data for the relative check', () => {
    expect(evaluateTrip(CTR_DROP, { ...ctr(30, 2400), baseline: undefined }).outcome).toBe('no_data');
    expect(evaluateTrip(CTR_DROP, ctr(30, 2400, 0, 0)).outcome).toBe('no_data');
  });

  it('a baseline without a single click cannot measure a drop: inconclusive', () => {
    expect(evaluateTrip(CTR_DROP, ctr(30, 2400, 0, 16_800)).outcome).toBe('inconclusive');
  });

  it('NaN, negative, infinite or impossible counts are errors, never a verdict', () => {
    for (const input of [
      ctr(Number.NaN, 2400),
      ctr(-1, 2400),
      ctr(30, Infinity),
      ctr(30, 2400, -5, 16_800),
      ctr(2401, 2400),
      { ...ctr(30, 2400), windowMs: 0 },
    ]) {
      const r = evaluateTrip(CTR_DROP, input);
      expect(r.outcome).toBe('error');
      expect(r.reason).toMatch(/: ERROR$/);
    }
    expect(evaluateTrip(CTR_DROP, ctr(2401, 2400)).reason).toBe(
      'CTR: window has more clicks (2,401) than deliveries (2,400): ERROR',
    );
    expect(evaluateTrip({ ...CTR_DROP, metric: 'email.nope' }, ctr(1, 10)).outcome).toBe('error');
  });
});

describe('evaluateTrip: spikes and other metric kinds', () => {
  it('unsubscribe spike: lower bound of the ratio above the tolerance and median at or past the target', () => {
    const rule: TripRule = {
      metric: 'email.unsubscribe_rate',
      trip_when: { spike_pct: 100, min_events: 20, consecutive: 1 },
    };
    expect(evaluateTrip(rule, ctr(90, 20_000, 210, 140_000)).outcome).toBe('fail');
    expect(evaluateTrip(rule, ctr(32, 20_000, 210, 140_000)).outcome).toBe('pass');
  });

  it('cost per lead: the leads carry the noise (Poisson in spend); doubling it on 30 leads trips', () => {
    const rule: TripRule = { metric: 'lead.cost', trip_when: { spike_pct: 50, min_events: 20, consecutive: 1 } };
    const input = (cost: number, leads: number): TripInput => ({
      window: { numerator: cost, denominator: leads },
      baseline: { numerator: 21_000, denominator: 420 },
      windowMs: 24 * HOUR,
      baselineSpanMs: 168 * HOUR,
    });
    const fail = evaluateTrip(rule, input(3000, 30));
    expect(fail.outcome).toBe('fail');
    expect(fail.test).toMatchObject({ kind: 'gamma_poisson', direction: 'spike' });
    expect(fail.reason).toMatch(/^cost per lead 100\.00 vs baseline 50\.00 \(\+100%\)/);
    expect(evaluateTrip(rule, input(3000, 60)).outcome).toBe('pass');
    // Spend with no leads at all is still judged: nothing for 3,000 when 60 leads were expected.
    expect(evaluateTrip(rule, input(3000, 0)).outcome).toBe('fail');
  });

  it('spend without a lead never passes: there is no cost per lead yet', () => {
    const spike: TripRule = { metric: 'lead.cost', trip_when: { spike_pct: 50, consecutive: 1 } };
    const floor: TripRule = { metric: 'lead.cost', trip_when: { below: 500, consecutive: 1 } };
    const window = { numerator: 2, denominator: 0 };
    const tiny = evaluateTrip(spike, {
      window,
      baseline: { numerator: 21_000, denominator: 420 },
      windowMs: HOUR,
      baselineSpanMs: 168 * HOUR,
    });
    expect(tiny.outcome).toBe('inconclusive');
    expect(tiny.reason).toMatch(/but no leads in the window yet: INCONCLUSIVE$/);
    expect(evaluateTrip(floor, { window, windowMs: HOUR }).outcome).toBe('inconclusive');
  });

  it('action volume: counts compared per unit of time, so the baseline span matters', () => {
    const rule: TripRule = {
      metric: 'agent.action_volume',
      trip_when: { spike_pct: 100, min_events: 20, consecutive: 1 },
    };
    const input = (n: number, baseline: number, baselineSpanMs: number): TripInput => ({
      window: { numerator: n, denominator: 1 },
      baseline: { numerator: baseline, denominator: 1 },
      windowMs: 600_000,
      baselineSpanMs,
    });
    expect(evaluateTrip(rule, input(300, 700, 7 * 600_000)).outcome).toBe('fail');
    // The same 700 over 2 windows instead of 7: 300 is now below the baseline rate.
    expect(evaluateTrip(rule, input(300, 700, 2 * 600_000)).outcome).toBe('pass');
    expect(evaluateTrip(rule, { ...input(300, 700, 7 * 600_000), baselineSpanMs: undefined }).outcome).toBe('error');
  });
});

describe('evaluateTrip: absolute thresholds', () => {
  const errors = (failed: number, settled: number): TripInput => ({
    window: { numerator: failed, denominator: settled },
    windowMs: 600_000,
  });

  it('agent-errors: over 20% of at least 20 settled actions fails; under it passes; too few is inconclusive', () => {
    expect(evaluateTrip(AGENT_ERRORS, errors(5, 20))).toMatchObject({
      outcome: 'fail',
      reason: 'error rate 25% (5 of 20 settled actions) > 20% limit: FAIL',
    });
    expect(evaluateTrip(AGENT_ERRORS, errors(2, 20)).outcome).toBe('pass');
    expect(evaluateTrip(AGENT_ERRORS, errors(9, 12))).toMatchObject({ outcome: 'inconclusive' });
    expect(evaluateTrip(AGENT_ERRORS, errors(0, 12)).outcome).toBe('inconclusive');
    expect(evaluateTrip(AGENT_ERRORS, errors(0, 0)).outcome).toBe('no_data');
  });

  it('with a confidence, crossing the limit fails only when a one-sided binomial test rejects', () => {
    const rule: TripRule = { ...AGENT_ERRORS, trip_when: { ...AGENT_ERRORS.trip_when, confidence: 0.95 } };
    const weak = evaluateTrip(rule, errors(6, 20));
    expect(weak.outcome).toBe('inconclusive');
    expect(weak.test).toMatchObject({ kind: 'binomial', pValue: expect.closeTo(0.196, 3) });
    expect(evaluateTrip(rule, errors(10, 20)).outcome).toBe('fail');
  });

  it('below: a floor on a rate', () => {
    const rule: TripRule = { metric: 'email.open_rate', trip_when: { below: 0.1, min_events: 100, consecutive: 1 } };
    expect(evaluateTrip(rule, ctr(50, 1000)).outcome).toBe('fail');
    expect(evaluateTrip(rule, ctr(150, 1000)).outcome).toBe('pass');
  });
});

describe('evaluateTrip: several conditions', () => {
  it('a breach found by one condition stands when another could not be judged', () => {
    const rule: TripRule = {
      metric: 'email.ctr',
      trip_when: { drop_pct: 40, below: 0.01, min_events: 50, consecutive: 1 },
    };
    const r: TripEvaluation = evaluateTrip(rule, { ...ctr(5, 2400), baseline: undefined });
    expect(r.outcome).toBe('fail');
    expect(r.checks.map((c) => [c.condition, c.outcome])).toEqual([
      ['drop_pct', 'no_data'],
      ['below', 'fail'],
    ]);
    expect(r.reason).toContain('; ');
  });

  it('all conditions must pass for a pass', () => {
    const rule: TripRule = {
      metric: 'email.ctr',
      trip_when: { drop_pct: 40, below: 0.01, min_events: 50, consecutive: 1 },
    };
    expect(evaluateTrip(rule, ctr(60, 2400)).outcome).toBe('pass');
    expect(evaluateTrip(rule, { ...ctr(60, 2400), baseline: undefined }).outcome).toBe('no_data');
  });
});

describe('calibration against simulated counts (seeded)', () => {
  /** mulberry32 */
  const rng = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const binomial = (random: () => number, n: number, p: number) => {
    let k = 0;
    for (let i = 0; i < n; i++) if (random() < p) k++;
    return k;
  };
  const rates = (factor: number, runs: number) => {
    const random = rng(42);
    const counts: Record<TripOutcome, number> = { pass: 0, fail: 0, inconclusive: 0, no_data: 0, error: 0 };
    for (let i = 0; i < runs; i++) {
      const base = binomial(random, 16_800, 0.025);
      counts[evaluateTrip(CTR_DROP, ctr(binomial(random, 2400, 0.025 * factor), 2400, base, 16_800)).outcome]++;
    }
    return counts;
  };

  it('no change, at the min_events edge (60 clicks expected): under 0.5% of evaluations fail', () => {
    const counts = rates(1, 1500);
    expect(counts.fail / 1500).toBeLessThan(0.005);
    expect(counts.pass / 1500).toBeGreaterThan(0.9);
  });

  it('a 60% drop at the same volume fails in over 90% of evaluations', () => {
    expect(rates(0.4, 500).fail / 500).toBeGreaterThan(0.9);
  });
});

describe('debounce', () => {
  const run = (outcomes: TripOutcome[], consecutive: number) => {
    let state = { consecutiveFails: 0 };
    return outcomes.map((o) => {
      const r = debounce(state, o, consecutive);
      state = r;
      return r.trip;
    });
  };

  it('trips on the N-th failing evaluation in a row', () => {
    expect(run(['fail', 'fail', 'fail'], 3)).toEqual([false, false, true]);
    expect(run(['fail'], 1)).toEqual([true]);
  });

  it('a pass ends the streak', () => {
    expect(run(['fail', 'fail', 'pass', 'fail', 'fail'], 3)).toEqual([false, false, false, false, false]);
  });

  it('inconclusive, no_data and error neither count nor reset: a feed outage cannot hide a breach', () => {
    expect(run(['fail', 'no_data', 'fail'], 2)).toEqual([false, false, true]);
    expect(run(['fail', 'error', 'inconclusive', 'fail'], 2)).toEqual([false, false, false, true]);
    expect(run(['no_data', 'error', 'inconclusive'], 1)).toEqual([false, false, false]);
    expect(debounce({ consecutiveFails: 2 }, 'inconclusive', 3)).toEqual({ trip: false, consecutiveFails: 2 });
  });

  it('speaks the state machine’s outcomes (tsc checks the names both ways) and counts like it', () => {
    const fromState = (o: EvaluationOutcome): TripOutcome => o;
    const toState = (o: TripOutcome): EvaluationOutcome => o;
    for (const outcome of EVALUATION_OUTCOMES.map(fromState)) {
      const { consecutiveFails } = debounce({ consecutiveFails: 3 }, outcome, 5);
      expect([toState(outcome), consecutiveFails]).toEqual([
        outcome,
        outcome === 'fail' ? 4 : outcome === 'pass' ? 0 : 3,
      ]);
    }
  });
});
