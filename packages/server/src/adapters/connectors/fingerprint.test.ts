import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalHash } from '../../core/audit/canonical.js';
import type { PropertyValue } from '../../core/ports/connector.js';
import { fingerprintRecord } from './fingerprint.js';

/** The error (or hash) a call ends with, for comparing the two paths outcome by outcome. */
const outcome = (fn: () => string): { hash: string } | { error: string } => {
  try {
    return { hash: fn() };
  } catch (e) {
    return { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
};

describe('fingerprintRecord', () => {
  it('is the canonical hash of the property map (null for a missing record)', () => {
    expect(fingerprintRecord(null)).toBe(canonicalHash(null));
    expect(fingerprintRecord({})).toBe(canonicalHash({}));
    const record = { lastname: 'Doe', email: 'a@b.c', city: null, '10': 'x', '9': 'y', Zeta: '', alpha: 'é€😀' };
    expect(fingerprintRecord(record)).toBe(canonicalHash(record));
    expect(fingerprintRecord(Object.freeze({ ...record }))).toBe(canonicalHash(record));
    expect(fingerprintRecord({ b: 'x', a: undefined } as unknown as Record<string, PropertyValue>)).toBe(
      canonicalHash({ b: 'x' }),
    );
  });

  it('agrees with canonicalHash on any flat map, escapes, lone surrogates and odd values included', () => {
    const text = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.constantFrom('"', '\\', '\n', '\u0000', '\ud800', '\udc00x', '😀', 'a"b', 'plain'),
    );
    const value = fc.oneof(
      { weight: 6, arbitrary: text },
      { weight: 2, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constant(undefined) },
      {
        weight: 1,
        arbitrary: fc.oneof(fc.integer(), fc.boolean(), fc.double(), fc.constant([1]), fc.constant({ a: 1 })),
      },
    );
    // Few distinct key lists, so the same shapes recur (the shortcut's cache) with different values.
    const keys = fc.oneof(
      fc.constantFrom(['email', 'city', 'owner_id'], ['b', 'a'], ['x'], ['é', 'z', 'A', '_']),
      fc.uniqueArray(fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('"k', 'k\\', '\ud800', '__proto__')), {
        maxLength: 6,
      }),
    );
    const map = keys.chain((names) =>
      fc.tuple(...names.map(() => value)).map((values) => {
        const out: Record<string, unknown> = {};
        names.forEach((name, i) =>
          Object.defineProperty(out, name, { value: values[i], enumerable: true, writable: true }),
        );
        return out as Record<string, PropertyValue>;
      }),
    );
    fc.assert(
      fc.property(map, (properties) => {
        expect(outcome(() => fingerprintRecord(properties))).toEqual(outcome(() => canonicalHash(properties)));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses what canonicalHash refuses: a non-plain object', () => {
    const dated = { at: new Date(0) } as unknown as Record<string, PropertyValue>;
    expect(outcome(() => fingerprintRecord(dated))).toEqual(outcome(() => canonicalHash(dated)));
    expect(() => fingerprintRecord(dated)).toThrow();
    const notPlain = new (class Props {
      a = 'x';
    })() as unknown as Record<string, PropertyValue>;
    expect(outcome(() => fingerprintRecord(notPlain))).toEqual(outcome(() => canonicalHash(notPlain)));
    const bare = Object.assign(Object.create(null) as Record<string, PropertyValue>, { b: 'y', a: 'x' });
    expect(fingerprintRecord(bare)).toBe(canonicalHash(bare));
  });
});
