/** Wording helpers: results are read by approvers, so numbers and spans are written for people. */
import { SAMPLE_SIZE } from './types.js';

/** 1204 → "1,204". */
export const num = (n: number): string => n.toLocaleString('en-US');

/** plural(1, 'email') → "1 email"; plural(3, 'email') → "3 emails". */
export const plural = (n: number, word: string, many = `${word}s`): string => `${num(n)} ${n === 1 ? word : many}`;

/** The first ids, for `details.sample`. */
export const sample = (ids: Iterable<string>): string[] => {
  const out: string[] = [];
  for (const id of ids) {
    if (out.length >= SAMPLE_SIZE) break;
    out.push(id);
  }
  return out;
};

/** "em_6, em_19 and 3 more". */
export const listIds = (ids: readonly string[], show = 5): string => {
  const head = ids.slice(0, show);
  const rest = ids.length - head.length;
  if (rest > 0) return `${head.join(', ')} and ${num(rest)} more`;
  if (head.length <= 1) return head.join('');
  return `${head.slice(0, -1).join(', ')} and ${head[head.length - 1]!}`;
};

const UNITS: readonly [number, string][] = [
  [86_400_000, 'day'],
  [3_600_000, 'hour'],
  [60_000, 'minute'],
  [1000, 'second'],
];

/** 604800000 → "7 days"; 5400000 → "90 minutes": the largest unit that divides the span. */
export function duration(ms: number): string {
  for (const [size, unit] of UNITS) {
    if (ms >= size && ms % size === 0) return plural(ms / size, unit);
  }
  return plural(Math.round(ms / 1000), 'second');
}

/** An instant as the approver reads it: ISO 8601 without milliseconds, in UTC. */
export const instant = (d: Date | string): string => new Date(d).toISOString().replace(/\.000Z$/, 'Z');
