import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { debounce, evaluateTrip, type TripInput, type TripOutcome, type TripRule } from './evaluate.js';

const HOUR = 3_600_000;
const SEVERITY: Readonly<Record<TripOutcome, number>> = { pass: 0, inconclusive: 1, fail: 2, no_data: -1, error: -1 };

/** Any rule the config allows, on any metric kind. */
const rule = fc.record({
  metric: fc.constantFrom(
    'email.ctr',
    'email.bounce_rate',
    'lead.cost',
    'agent.error_rate',
    'agent.action_volume',
    'email.clicks',
  ),
  trip_when: fc.record(
    {
      drop_pct: fc.double({ min: 1, max: 100, noNaN: true }),
      spike_pct: fc.double({ min: 1, max: 500, noNaN: true }),
      above: fc.double({ min: 0, max: 2, noNaN: true }),
      below: fc.double({ min: 0, max: 2, noNaN: true }),
      min_events: fc.integer({ min: 0, max: 100 }),
      confidence: fc.double({ min: 0.5, max: 0.999, noNaN: true }),
      consecutive: fc.constant(1),
    },
    { requiredKeys: ['consecutive'] },
  ),
});

/** Counts where the numerator never exceeds the denominator, so they are valid for every kind. */
const counts = fc
  .tuple(fc.integer({ min: 0, max: 50_000 }), fc.double({ min: 0, max: 1, noNaN: true }))
  .map(([denominator, share]) => ({ numerator: Math.floor(denominator * share), denominator }));

const input = (
  window: { numerator: number; denominator: number },
  baseline?: { numerator: number; denominator: number },
): TripInput => ({
  window,
  ...(baseline ? { baseline } : {}),
  windowMs: 24 * HOUR,
  baselineSpanMs: 168 * HOUR,
});

describe('evaluateTrip properties', () => {
  it('never passes a window with a zero denominator, whatever the rule and baseline', () => {
    fc.assert(
      fc.property(rule, fc.nat({ max: 10_000 }), fc.option(counts, { nil: undefined }), (r, numerator, baseline) => {
        const window = { numerator: r.metric === 'lead.cost' ? numerator : 0, denominator: 0 };
        expect(evaluateTrip(r, input(window, baseline)).outcome).not.toBe('pass');
      }),
      { numRuns: 500 },
    );
  });

  it('never passes without a baseline when the rule compares with one', () => {
    fc.assert(
      fc.property(rule, counts, (r, window) => {
        const relativeOnly: TripRule = {
          metric: r.metric,
          trip_when: { drop_pct: r.trip_when.drop_pct ?? 40, consecutive: 1 },
        };
        expect(evaluateTrip(relativeOnly, input(window)).outcome).not.toBe('pass');
      }),
      { numRuns: 300 },
    );
  });

  it('NaN, negative or infinite counts are an error, never a verdict', () => {
    const bad = fc.constantFrom(Number.NaN, -1, -0.5, Infinity, -Infinity);
    fc.assert(
      fc.property(rule, counts, bad, fc.constantFrom('wn', 'wd', 'bn', 'bd'), (r, good, value, where) => {
        const window = { ...good };
        const baseline = { ...good };
        if (where === 'wn') window.numerator = value;
        if (where === 'wd') window.denominator = value;
        if (where === 'bn') baseline.numerator = value;
        if (where === 'bd') baseline.denominator = value;
        expect(evaluateTrip(r, input(window, baseline)).outcome).toBe('error');
      }),
      { numRuns: 300 },
    );
  });

  it('monotonic: fewer clicks on the same deliveries never make a CTR drop less severe', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20_000 }),
        fc.double({ min: 0.002, max: 0.2, noNaN: true }),
        fc.double({ min: 0.002, max: 0.2, noNaN: true }),
        fc.integer({ min: 1, max: 100 }),
        fc.double({ min: 5, max: 95, noNaN: true }),
        fc.integer({ min: 0, max: 100 }),
        (delivered, rate, baseRate, fewer, drop, minEvents) => {
          const r: TripRule = {
            metric: 'email.ctr',
            trip_when: { drop_pct: drop, min_events: minEvents, consecutive: 1 },
          };
          const baseline = { numerator: Math.round(7 * delivered * baseRate), denominator: 7 * delivered };
          const clicks = Math.round(delivered * rate);
          const more = evaluateTrip(r, input({ numerator: clicks, denominator: delivered }, baseline));
          const less = evaluateTrip(
            r,
            input({ numerator: Math.max(0, clicks - fewer), denominator: delivered }, baseline),
          );
          expect(SEVERITY[less.outcome]).toBeGreaterThanOrEqual(SEVERITY[more.outcome]);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('monotonic in the rule: a fail at drop_pct d stays a fail for any smaller d, a pass for any larger d', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 20_000 }),
        fc.double({ min: 0.001, max: 0.06, noNaN: true }),
        fc.double({ min: 0.005, max: 0.06, noNaN: true }),
        fc.double({ min: 5, max: 95, noNaN: true }),
        fc.double({ min: 5, max: 95, noNaN: true }),
        (delivered, rate, baseRate, d1, d2) => {
          const [small, large] = d1 < d2 ? [d1, d2] : [d2, d1];
          const at = (drop_pct: number) =>
            evaluateTrip(
              { metric: 'email.ctr', trip_when: { drop_pct, min_events: 0, consecutive: 1 } },
              input(
                { numerator: Math.round(delivered * rate), denominator: delivered },
                { numerator: Math.round(7 * delivered * baseRate), denominator: 7 * delivered },
              ),
            ).outcome;
          if (at(large) === 'fail') expect(at(small)).toBe('fail');
          if (at(small) === 'pass') expect(at(large)).toBe('pass');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('monotonic: more unsubscribes on the same deliveries never make a spike less severe', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1000, max: 100_000 }),
        fc.double({ min: 0.0005, max: 0.01, noNaN: true }),
        fc.integer({ min: 1, max: 50 }),
        (delivered, rate, more) => {
          const r: TripRule = {
            metric: 'email.unsubscribe_rate',
            trip_when: { spike_pct: 100, min_events: 10, consecutive: 1 },
          };
          const baseline = { numerator: Math.round(7 * delivered * 0.0015), denominator: 7 * delivered };
          const n = Math.round(delivered * rate);
          const a = evaluateTrip(r, input({ numerator: n, denominator: delivered }, baseline));
          const b = evaluateTrip(
            r,
            input({ numerator: Math.min(delivered, n + more), denominator: delivered }, baseline),
          );
          expect(SEVERITY[b.outcome]).toBeGreaterThanOrEqual(SEVERITY[a.outcome]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('debounce properties', () => {
  const outcome = fc.constantFrom<TripOutcome>('pass', 'fail', 'inconclusive', 'no_data', 'error');

  it('trips exactly when the N-th fail since the last pass arrives, or any fail after it', () => {
    fc.assert(
      fc.property(fc.array(outcome, { maxLength: 60 }), fc.integer({ min: 1, max: 5 }), (outcomes, consecutive) => {
        let state: ReturnType<typeof debounce> = { trip: false, consecutiveFails: 0 };
        outcomes.forEach((o, i) => {
          state = debounce(state, o, consecutive);
          const lastPass = outcomes.lastIndexOf('pass', i);
          const failsSince = outcomes.slice(lastPass + 1, i + 1).filter((x) => x === 'fail').length;
          expect(state.consecutiveFails).toBe(failsSince);
          expect(state.trip).toBe(o === 'fail' && failsSince >= consecutive);
        });
      }),
    );
  });
});
