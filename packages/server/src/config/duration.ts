/**
 * Durations in gatehouse.yaml are written the way people say them (`500ms`, `10m`, `4h`, `7d`,
 * also `1h30m`) and compiled to whole milliseconds once, at load time. Bare numbers are refused
 * on purpose: `window: 10` could mean seconds, minutes or milliseconds.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
type Unit = keyof typeof UNIT_MS;

const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;

export const DURATION_HINT = 'a duration such as 500ms, 30s, 10m, 4h, 24h or 7d';

/** Milliseconds for a duration string, or undefined if it is not one (or is zero). */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!WHOLE.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART)) total += Number(amount) * UNIT_MS[unit as Unit];
  const ms = Math.round(total);
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}
