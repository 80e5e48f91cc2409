import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['10m', 600_000],
    ['4h', 14_400_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['2w', 1_209_600_000],
  ])('%s is %i ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '10', '10 m', 'ten minutes', '5y', 'h', '-1h', '0s', '1h-30m'])('refuses %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );

  it('adds up the parts of compound durations', () => {
    fc.assert(
      fc.property(fc.nat(1_000), fc.nat(59), (h, m) => {
        fc.pre(h + m > 0);
        expect(parseDuration(`${h}h${m}m`)).toBe(h * 3_600_000 + m * 60_000);
      }),
    );
  });
});
