import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  betaPosterior,
  betaQuantile,
  betaRatioCdf,
  binomialLowerTail,
  binomialUpperTail,
  digamma,
  gammaPosterior,
  lnGamma,
  LOGNORMAL_MIN_SHAPE,
  normalQuantile,
  ratioQuantiles,
  regularizedBeta,
  tetragamma,
  trigamma,
} from './stats.js';

/** Binomial tail by direct summation of the pmf (exact for small n). */
function binomialTailBySum(k: number, n: number, p: number): number {
  let sum = 0;
  for (let i = k; i <= n; i++)
    sum += Math.exp(lnGamma(n + 1) - lnGamma(i + 1) - lnGamma(n - i + 1)) * p ** i * (1 - p) ** (n - i);
  return sum;
}

/** P(W/B ≤ r) by a 4,000-point midpoint rule over the baseline's quantiles: slow, simple, independent of the code under test's quadrature. */
function referenceRatioCdf(r: number, w: { a: number; b: number }, b: { a: number; b: number }): number {
  const n = 4000;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += regularizedBeta(Math.min(1, r * betaQuantile((i + 0.5) / n, b.a, b.b)), w.a, w.b);
  return sum / n;
}

describe('special functions against published values', () => {
  it('lnGamma, digamma, trigamma, tetragamma', () => {
    expect(lnGamma(10)).toBeCloseTo(Math.log(362_880), 12);
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(lnGamma(1e6)).toBeCloseTo(12_815_504.569_147_6, 4);
    expect(digamma(1)).toBeCloseTo(-0.5772156649015329, 11);
    expect(digamma(0.5)).toBeCloseTo(-1.9635100260214235, 11);
    expect(trigamma(1)).toBeCloseTo(Math.PI ** 2 / 6, 11);
    expect(trigamma(0.5)).toBeCloseTo(Math.PI ** 2 / 2, 10);
    expect(tetragamma(1)).toBeCloseTo(-2.4041138063191885, 10);
    expect(Number.isNaN(lnGamma(0)) && Number.isNaN(digamma(-1))).toBe(true);
  });

  it('normalQuantile (Acklam, relative error < 1.2e-9)', () => {
    const known: [number, number][] = [
      [0.5, 0],
      [0.975, 1.959963984540054],
      [0.95, 1.6448536269514722],
      [0.999, 3.090232306167813],
      [0.01, -2.3263478740408408],
      [1e-6, -4.753424308822899],
    ];
    for (const [p, z] of known) expect(Math.abs(normalQuantile(p) - z)).toBeLessThan(2e-8);
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(Number.isNaN(normalQuantile(1.5))).toBe(true);
  });

  it('regularizedBeta: closed forms, symmetry and binomial sums', () => {
    expect(regularizedBeta(0.5, 2, 3)).toBeCloseTo(0.6875, 13);
    expect(regularizedBeta(0.3, 1, 1)).toBeCloseTo(0.3, 13);
    expect(regularizedBeta(0.3, 5, 1)).toBeCloseTo(0.3 ** 5, 13);
    expect(regularizedBeta(0.3, 1, 7)).toBeCloseTo(1 - 0.7 ** 7, 13);
    expect(regularizedBeta(0.5, 400, 400)).toBeCloseTo(0.5, 12);
    expect(regularizedBeta(0.02, 600, 24_000)).toBeCloseTo(1 - regularizedBeta(0.98, 24_000, 600), 12);
    for (const [k, n, p] of [
      [3, 20, 0.1],
      [12, 40, 0.2],
      [30, 60, 0.5],
      [1, 5, 0.9],
    ] as const) {
      expect(binomialUpperTail(k, n, p)).toBeCloseTo(binomialTailBySum(k, n, p), 12);
      expect(binomialLowerTail(k - 1, n, p)).toBeCloseTo(1 - binomialTailBySum(k, n, p), 12);
    }
    expect(binomialUpperTail(0, 10, 0.3)).toBe(1);
    expect(binomialLowerTail(10, 10, 0.3)).toBe(1);
  });

  it('betaQuantile inverts regularizedBeta, from tiny to huge shapes', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-6, max: 1 - 1e-6, noNaN: true }),
        // Posteriors have shapes ≥ 1 (one pseudo-count each side).
        fc.double({ min: 1, max: 1e5, noNaN: true }),
        fc.double({ min: 1, max: 1e5, noNaN: true }),
        (p, a, b) => {
          const x = betaQuantile(p, a, b);
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThanOrEqual(1);
          // Within 1e-9, or as close as doubles allow: where the CDF is steep (x near 0 or 1) a few
          // ulps of x already move it by more.
          const ulps = 8 * Number.EPSILON * Math.max(x, 1e-300);
          const close = Math.abs(regularizedBeta(x, a, b) - p) < 1e-9;
          const bracketed = regularizedBeta(x - ulps, a, b) <= p && p <= regularizedBeta(Math.min(1, x + ulps), a, b);
          expect(close || bracketed).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('ratioQuantiles', () => {
  it('two Gamma posteriors: exact F quantiles (F(10, 20): 0.05 → 0.3605, 0.95 → 2.3479, 0.99 → 3.3682)', () => {
    // G₅/G₁₀ = F(10, 20) · 5/10: shapes 1 + 4 and 1 + 9, equal exposures.
    const { values, method } = ratioQuantiles(gammaPosterior(4, 1), gammaPosterior(9, 1), [0.05, 0.95, 0.99]);
    expect(method).toBe('exact');
    expect(values.map((v) => v * 2)).toEqual([
      expect.closeTo(0.3605, 4),
      expect.closeTo(2.3479, 4),
      expect.closeTo(3.3682, 4),
    ]);
  });

  it('exposures scale the ratio: the same counts over twice the window halve the rate', () => {
    const a = ratioQuantiles(gammaPosterior(50, 1), gammaPosterior(50, 1), [0.5]).values[0]!;
    const b = ratioQuantiles(gammaPosterior(50, 2), gammaPosterior(50, 1), [0.5]).values[0]!;
    expect(b / a).toBeCloseTo(0.5, 10);
  });

  it('quadrature (small counts) matches a brute-force reference to 2e-4 in probability', () => {
    const cases: [number, number, number, number][] = [
      [0, 200, 30, 1400],
      [3, 200, 30, 1400],
      [5, 100, 2, 100],
      [95, 100, 8, 10],
      [50, 2000, 3, 300],
      [8, 2000, 900, 14_000],
    ];
    for (const [xw, nw, xb, nb] of cases) {
      const w = betaPosterior(xw, nw);
      const b = betaPosterior(xb, nb);
      const { values, method } = ratioQuantiles(w, b, [0.05, 0.5, 0.95]);
      expect(method).toBe('quadrature');
      const probs = values.map((r) =>
        referenceRatioCdf(r, { a: 1 + xw, b: 1 + nw - xw }, { a: 1 + xb, b: 1 + nb - xb }),
      );
      expect(probs).toEqual([expect.closeTo(0.05, 3), expect.closeTo(0.5, 3), expect.closeTo(0.95, 3)]);
      for (const [i, p] of [0.05, 0.5, 0.95].entries()) expect(Math.abs(probs[i]! - p)).toBeLessThan(2e-4);
    }
  });

  it(`calibration: the fast path (every shape ≥ ${LOGNORMAL_MIN_SHAPE}) is within 0.15 percentage points of the quadrature`, () => {
    let worst = 0;
    for (const xw of [LOGNORMAL_MIN_SHAPE - 1, 25, 40, 80, 200, 2000])
      for (const nw of [100, 500, 2000, 20_000, 200_000])
        for (const xb of [LOGNORMAL_MIN_SHAPE - 1, 40, 150, 1000])
          for (const nb of [200, 1000, 14_000, 140_000]) {
            if (nw - xw < LOGNORMAL_MIN_SHAPE || nb - xb < LOGNORMAL_MIN_SHAPE) continue;
            const w = betaPosterior(xw, nw);
            const b = betaPosterior(xb, nb);
            const probs = [0.01, 0.05, 0.5, 0.95, 0.99];
            const { values, method } = ratioQuantiles(w, b, probs);
            expect(method).toBe('lognormal');
            for (const [i, p] of probs.entries()) worst = Math.max(worst, Math.abs(betaRatioCdf(values[i]!, w, b) - p));
          }
    expect(worst).toBeLessThan(0.0015);
  });

  it('bounds move with the data: fewer window successes never raise any quantile (both methods)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 5000 }),
        fc.double({ min: 0.001, max: 0.5, noNaN: true }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 1, max: 20 }),
        (nw, rate, xb, less) => {
          const nb = 7 * nw;
          const xw = Math.min(nw, Math.round(nw * rate));
          const probs = [0.05, 0.5, 0.95];
          const base = betaPosterior(Math.min(xb, nb), nb);
          const more = ratioQuantiles(betaPosterior(xw, nw), base, probs).values;
          const fewer = ratioQuantiles(betaPosterior(Math.max(0, xw - less), nw), base, probs).values;
          for (let i = 0; i < probs.length; i++) expect(fewer[i]!).toBeLessThanOrEqual(more[i]! * (1 + 1e-9));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('answers NaN, not a number, for impossible posteriors', () => {
    const { values } = ratioQuantiles({ kind: 'beta', a: -1, b: 3 }, betaPosterior(3, 10), [0.5]);
    expect(Number.isNaN(values[0])).toBe(true);
  });
});
