/**
 * The few special functions the breaker evaluator needs, since Node has none: log-gamma,
 * digamma/trigamma, the regularized incomplete beta and its inverse, the normal quantile, exact
 * binomial tails, and quantiles of a ratio of two independent posteriors.
 *
 * Contract: pure, deterministic (no sampling, no Math.random), and NaN — never a made-up number —
 * when an input is outside the domain or a series fails to converge; the evaluator turns NaN into
 * an `error` outcome.
 */

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
] as const;
const LN_SQRT_2PI = 0.9189385332046728;

/** ln Γ(x) for x > 0 (Lanczos, g = 7: ~1e-15 relative). */
export function lnGamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return LN_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ψ(x), x > 0: recurrence up to 6, then the asymptotic series (~1e-13). */
export function digamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  let shift = 0;
  while (x < 10) {
    shift -= 1 / x;
    x += 1;
  }
  const r = 1 / (x * x);
  return shift + Math.log(x) - 0.5 / x - r * (1 / 12 - r * (1 / 120 - r * (1 / 252 - r * (1 / 240 - r / 132))));
}

/** ψ′(x), x > 0: recurrence up to 6, then the asymptotic series (~1e-13). */
export function trigamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  let shift = 0;
  while (x < 10) {
    shift += 1 / (x * x);
    x += 1;
  }
  const r = 1 / (x * x);
  return shift + 1 / x + r / 2 + (r / x) * (1 / 6 - r * (1 / 30 - r * (1 / 42 - r / 30)));
}

/** ψ″(x), x > 0: recurrence up to 10, then the asymptotic series (~1e-13). */
export function tetragamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  let shift = 0;
  while (x < 10) {
    shift -= 2 / (x * x * x);
    x += 1;
  }
  const r = 1 / (x * x);
  return shift - r - r / x - r * r * (1 / 2 - r * (1 / 6 - r * (1 / 6 - (3 * r) / 10)));
}

const TINY = 1e-300;
const CF_EPS = 1e-14;
const CF_MAX_ITERATIONS = 20_000;

/** Continued fraction for I_x(a, b) (modified Lentz); NaN if it does not converge. */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const qab = a + b;
  let c = 1;
  let d = 1 - (qab * x) / (a + 1);
  d = 1 / (Math.abs(d) < TINY ? TINY : d);
  let h = d;
  for (let m = 1; m <= CF_MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 + aa * d;
    d = 1 / (Math.abs(d) < TINY ? TINY : d);
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 + aa * d;
    d = 1 / (Math.abs(d) < TINY ? TINY : d);
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < CF_EPS) return h;
  }
  return Number.NaN;
}

/** ln B(a, b). */
export function lnBeta(a: number, b: number): number {
  return lnGamma(a) + lnGamma(b) - lnGamma(a + b);
}

/**
 * The regularized incomplete beta I_x(a, b) = P(X ≤ x) for X ~ Beta(a, b); a, b > 0. `lnB` is
 * ln B(a, b), for hot loops that already have it.
 */
export function regularizedBeta(x: number, a: number, b: number, lnB = lnBeta(a, b)): number {
  if (!(a > 0) || !(b > 0) || Number.isNaN(x) || !Number.isFinite(a) || !Number.isFinite(b)) return Number.NaN;
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(a * Math.log(x) + b * Math.log1p(-x) - lnB);
  // The fraction converges fast only left of the mean; use the symmetry I_x(a,b) = 1 − I_{1−x}(b,a).
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** The Beta(a, b) density at x (`lnB` as in {@link regularizedBeta}). */
export function betaDensity(x: number, a: number, b: number, lnB = lnBeta(a, b)): number {
  if (x <= 0 || x >= 1) return 0;
  return Math.exp((a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - lnB);
}

/**
 * The p-quantile of Beta(a, b): Newton steps from a normal-approximation start, kept inside a
 * bracket that shrinks with every evaluation, so a bad step falls back to bisection. ~1e-12.
 */
export function betaQuantile(p: number, a: number, b: number): number {
  if (!(p >= 0 && p <= 1) || !(a > 0) || !(b > 0)) return Number.NaN;
  if (p === 0) return 0;
  if (p === 1) return 1;
  const mean = a / (a + b);
  const sd = Math.sqrt((a * b) / ((a + b) ** 2 * (a + b + 1)));
  let x = Math.min(1 - 1e-12, Math.max(1e-300, mean + normalQuantile(p) * sd));
  const lnB = lnBeta(a, b);
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200; i++) {
    const err = regularizedBeta(x, a, b, lnB) - p;
    if (Number.isNaN(err)) return Number.NaN;
    if (err < 0) lo = x;
    else hi = x;
    if (Math.abs(err) < 1e-13 * Math.max(p, 1e-300) || hi - lo <= 1e-15 * hi) return x;
    const density = betaDensity(x, a, b, lnB);
    let next = density > 0 ? x - err / density : Number.NaN;
    if (!(next > lo && next < hi)) next = lo > 0 && hi / lo > 1e3 ? Math.sqrt(lo * hi) : (lo + hi) / 2;
    if (next === x) return x;
    x = next;
  }
  return x;
}

// Acklam's rational approximation to the normal quantile (relative error < 1.2e-9).
const NQ_A = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
];
const NQ_B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const NQ_C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const NQ_D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];

const poly = (coefficients: readonly number[], x: number) => coefficients.reduce((acc, c) => acc * x + c, 0);

/** Φ⁻¹(p): the standard normal p-quantile; ±Infinity at 0 and 1, NaN outside. */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return Number.NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const low = 0.02425;
  if (p < low || p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(p < low ? p : 1 - p));
    const z = poly(NQ_C, q) / (poly(NQ_D, q) * q + 1);
    return p < low ? z : -z;
  }
  const q = p - 0.5;
  const r = q * q;
  return (poly(NQ_A, r) * q) / (poly(NQ_B, r) * r + 1);
}

/** P(X ≥ k) for X ~ Binomial(n, p), via I_p(k, n − k + 1); k, n integers. */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  return regularizedBeta(p, k, n - k + 1);
}

/** P(X ≤ k) for X ~ Binomial(n, p). */
export function binomialLowerTail(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  return 1 - binomialUpperTail(k + 1, n, p);
}

/** Posterior shapes: Beta(a, b) for a rate, or Gamma(shape) per unit `exposure` for a Poisson rate. */
export type Posterior =
  | { readonly kind: 'beta'; readonly a: number; readonly b: number }
  | { readonly kind: 'gamma'; readonly shape: number; readonly exposure: number };

/** Uniform prior: Beta(1 + x, 1 + n − x) for x successes in n trials. */
export const betaPosterior = (successes: number, trials: number): Posterior => ({
  kind: 'beta',
  a: 1 + successes,
  b: 1 + trials - successes,
});

/** Flat prior on the rate: Gamma(1 + x) per `exposure` units for x events. */
export const gammaPosterior = (events: number, exposure: number): Posterior => ({
  kind: 'gamma',
  shape: 1 + events,
  exposure,
});

/** Gauss–Legendre nodes and weights on (0, 1). */
function gaussLegendre(n: number): { readonly nodes: number[]; readonly weights: number[] } {
  const nodes: number[] = [];
  const weights: number[] = [];
  for (let i = 1; i <= n; i++) {
    let z = Math.cos((Math.PI * (i - 0.25)) / (n + 0.5));
    let derivative = 0;
    for (let iteration = 0; iteration < 100; iteration++) {
      let p1 = 1;
      let p2 = 0;
      for (let j = 1; j <= n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = ((2 * j - 1) * z * p2 - (j - 1) * p3) / j;
      }
      derivative = (n * (z * p1 - p2)) / (z * z - 1);
      const next = z - p1 / derivative;
      const done = Math.abs(next - z) < 1e-15;
      z = next;
      if (done) break;
    }
    nodes.push((1 - z) / 2);
    weights.push(1 / ((1 - z * z) * derivative * derivative));
  }
  return { nodes, weights };
}

const QUADRATURE = gaussLegendre(32);
/** The quadrature covers logit X within this many standard deviations of its mean. */
const QUADRATURE_HALF_WIDTH_SD = 9;

/** Mean, variance and third cumulant of ln X under a posterior: exact, from ψ, ψ′ and ψ″. */
export function logMoments(post: Posterior): { readonly mean: number; readonly variance: number; readonly k3: number } {
  if (post.kind === 'gamma') {
    return {
      mean: digamma(post.shape) - Math.log(post.exposure),
      variance: trigamma(post.shape),
      k3: tetragamma(post.shape),
    };
  }
  const { a, b } = post;
  return {
    mean: digamma(a) - digamma(a + b),
    variance: trigamma(a) - trigamma(a + b),
    k3: tetragamma(a) - tetragamma(a + b),
  };
}

/**
 * How the ratio's quantiles were computed:
 * - `exact`: two Gamma posteriors; G₁/(G₁+G₂) is Beta(shape₁, shape₂), so the ratio's quantiles
 *   are Beta quantiles, transformed.
 * - `lognormal`: two Beta posteriors with every shape ≥ {@link LOGNORMAL_MIN_SHAPE}: ln W − ln B
 *   taken as normal with its exact mean and variance (ψ, ψ′), its quantiles corrected for skewness
 *   by Cornish–Fisher (κ₃ from ψ″). A few µs; within 0.1 percentage point of `quadrature` in
 *   probability over the range of counts breakers see (stats.test.ts holds it to that).
 * - `quadrature`: smaller counts, where ln Beta is too skewed for a one-term correction: the CDF
 *   P(W/B ≤ r) by 32-point Gauss–Legendre over the narrower posterior, inverted by safeguarded
 *   Newton steps. ~0.1–0.5 ms; within 1e-4 of a 4,000-point reference.
 * No sampling anywhere: the same counts always give the same bounds.
 */
export type RatioMethod = 'exact' | 'lognormal' | 'quadrature';

/** Below this shape a Beta posterior's log is too skewed for the Cornish–Fisher approximation. */
export const LOGNORMAL_MIN_SHAPE = 10;

/** Mean and sd of logit X = ln(X / (1 − X)) for X ~ Beta(a, b): exact, from ψ and ψ′. */
function logitMoments({ a, b }: BetaPosterior): { readonly mean: number; readonly sd: number } {
  return { mean: digamma(a) - digamma(b), sd: Math.sqrt(trigamma(a) + trigamma(b)) };
}

/** Quadrature points (x, weight) for E[g(X)], X ~ Beta(a, b): Gauss–Legendre over logit X ± 9 sd. */
function betaQuadrature(post: BetaPosterior): { readonly x: number; readonly weight: number }[] {
  const { mean, sd } = logitMoments(post);
  const width = 2 * QUADRATURE_HALF_WIDTH_SD * sd;
  const lnB = lnBeta(post.a, post.b);
  const points = QUADRATURE.nodes.map((u, i) => {
    const x = 1 / (1 + Math.exp(-(mean + (u - 0.5) * width)));
    return { x, weight: QUADRATURE.weights[i]! * width * x * (1 - x) * betaDensity(x, post.a, post.b, lnB) };
  });
  // Renormalize, so the weights sum to exactly 1 despite the truncated tails.
  const total = points.reduce((sum, p) => sum + p.weight, 0);
  return points.map((p) => ({ x: p.x, weight: p.weight / total }));
}

/**
 * The CDF and density of W / B for independent Beta posteriors, as a function of r. The integral
 * runs over the narrower of the two on the log scale (the ratio's scale), so the integrand — the
 * other's CDF — changes slowly between nodes: P(W/B ≤ r) = E_B[I_{rB}(W)] = E_W[1 − I_{W/r}(B)].
 * The nodes sit on the logit scale, which covers (0, 1) without a cut at either end.
 */
function betaRatioDistribution(window: BetaPosterior, baseline: BetaPosterior) {
  if (logMoments(baseline).variance <= logMoments(window).variance) {
    const points = betaQuadrature(baseline);
    const { a, b: bw } = window;
    const lnB = lnBeta(a, bw);
    return (r: number): { cdf: number; density: number } => {
      let cdf = 0;
      let density = 0;
      for (const { x: b, weight } of points) {
        cdf += weight * regularizedBeta(r * b, a, bw, lnB);
        density += weight * b * betaDensity(r * b, a, bw, lnB);
      }
      return { cdf, density };
    };
  }
  const points = betaQuadrature(window);
  const { a, b } = baseline;
  const lnB = lnBeta(a, b);
  return (r: number): { cdf: number; density: number } => {
    let cdf = 0;
    let density = 0;
    for (const { x: w, weight } of points) {
      cdf += weight * (1 - regularizedBeta(w / r, a, b, lnB));
      density += (weight * betaDensity(w / r, a, b, lnB) * w) / (r * r);
    }
    return { cdf, density };
  };
}

/** P(W / B ≤ r) for independent Beta posteriors, by quadrature (see {@link RatioMethod}). */
export function betaRatioCdf(r: number, window: Posterior, baseline: Posterior): number {
  if (window.kind !== 'beta' || baseline.kind !== 'beta' || Number.isNaN(r)) return Number.NaN;
  if (r <= 0) return 0;
  return betaRatioDistribution(window, baseline)(r).cdf;
}

/**
 * The r where an increasing CDF reaches p: Newton steps on ln r (where the ratio's distribution
 * is near normal) from `guess`, inside a bracket that every evaluation shrinks; a step that would
 * leave the bracket bisects it instead. Stops at 1e-8 in probability.
 */
function invertCdf(distribution: (r: number) => { cdf: number; density: number }, p: number, guess: number): number {
  let lo = 0;
  let hi = Infinity;
  let r = guess;
  for (let i = 0; i < 100; i++) {
    const { cdf, density } = distribution(r);
    if (Number.isNaN(cdf)) return Number.NaN;
    const err = cdf - p;
    if (err < 0) lo = r;
    else hi = r;
    if (Math.abs(err) < 1e-8) return r;
    let next = density > 0 ? r * Math.exp(-err / (density * r)) : Number.NaN;
    if (!(next > lo && next < hi)) next = hi === Infinity ? r * 4 : lo === 0 ? r / 4 : Math.sqrt(lo * hi);
    if (Math.abs(next - r) <= 1e-12 * r) return next;
    r = next;
  }
  return r;
}

type BetaPosterior = Extract<Posterior, { kind: 'beta' }>;

/**
 * Quantiles of the ratio window / baseline of two independent posteriors of the same kind, at
 * each probability in `probs` (each in (0, 1)). NaN values when inputs are out of domain.
 */
export function ratioQuantiles(
  window: Posterior,
  baseline: Posterior,
  probs: readonly number[],
): { readonly values: number[]; readonly method: RatioMethod } {
  if (window.kind === 'gamma' && baseline.kind === 'gamma') {
    const scale = baseline.exposure / window.exposure;
    const values = probs.map((p) => {
      const share = betaQuantile(p, window.shape, baseline.shape);
      return share >= 1 ? Infinity : (scale * share) / (1 - share);
    });
    return { values, method: 'exact' };
  }
  if (window.kind !== 'beta' || baseline.kind !== 'beta')
    return { values: probs.map(() => Number.NaN), method: 'exact' };
  const w = logMoments(window);
  const b = logMoments(baseline);
  const mean = w.mean - b.mean;
  const sd = Math.sqrt(w.variance + b.variance);
  // Cornish–Fisher: the normal quantile corrected by the skewness of ln W − ln B (κ₃ = κ₃W − κ₃B).
  const skew = (w.k3 - b.k3) / sd ** 3;
  const lognormal = (p: number) => {
    const z = normalQuantile(p);
    return Math.exp(mean + (z + ((z * z - 1) * skew) / 6) * sd);
  };
  if (Math.min(window.a, window.b, baseline.a, baseline.b) >= LOGNORMAL_MIN_SHAPE) {
    return { values: probs.map(lognormal), method: 'lognormal' };
  }
  const distribution = betaRatioDistribution(window, baseline);
  return { values: probs.map((p) => invertCdf(distribution, p, lognormal(p))), method: 'quadrature' };
}
