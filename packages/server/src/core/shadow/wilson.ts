/**
 * Wilson score intervals for proportions (Wilson 1927; Agresti & Coull 1998). Unlike the normal
 * approximation it stays inside [0, 1] and behaves at 0 and n successes, which is where shadow
 * scores of small or very good agents live.
 */

/** A proportion with its 95% interval; `value` is `null` when there is nothing to divide by. */
export interface Rate {
  readonly value: number | null;
  readonly low: number;
  readonly high: number;
  /** Successes and trials behind the rate. */
  readonly successes: number;
  readonly trials: number;
}

/** z for a two-sided 95% interval. */
export const Z_95 = 1.959963984540054;

export function wilson(successes: number, trials: number, z = Z_95): Rate {
  if (trials <= 0) return { value: null, low: 0, high: 1, successes: 0, trials: 0 };
  const p = successes / trials;
  const z2 = z * z;
  const denom = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denom;
  return {
    value: p,
    // Exact at the edges: floating point must not make 10 of 10 look like less than certain.
    low: successes === 0 ? 0 : Math.max(0, centre - half),
    high: successes === trials ? 1 : Math.min(1, centre + half),
    successes,
    trials,
  };
}
