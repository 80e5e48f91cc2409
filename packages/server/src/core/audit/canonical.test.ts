import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGatehouseError } from '../errors.js';
import { canonicalHash, canonicalJson, sha256Hex } from './canonical.js';

/** The error canonicalJson throws for a value, or undefined. */
function refusal(value: unknown): { code: unknown; message: string; path: unknown } | undefined {
  try {
    canonicalJson(value);
  } catch (e) {
    if (!isGatehouseError(e)) throw e;
    return { code: e.code, message: e.message, path: e.details?.path };
  }
  return undefined;
}

describe('canonicalJson (RFC 8785)', () => {
  it('sorts keys, drops whitespace and writes numbers the ECMAScript way', () => {
    expect(canonicalJson({ b: [1, 'x', null], a: { d: true, c: 1e21 }, e: 0.000001 })).toBe(
      '{"a":{"c":1e+21,"d":true},"b":[1,"x",null],"e":0.000001}',
    );
  });

  it('is independent of key insertion order', () => {
    expect(canonicalJson({ x: 1, y: { p: 1, q: 2 } })).toBe(canonicalJson({ y: { q: 2, p: 1 }, x: 1 }));
  });

  it('matches the RFC 8785 test vector for string escaping', () => {
    expect(canonicalJson({ s: '\u20ac$\u000f\nA\'B"\\\\"/' })).toBe('{"s":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  it('omits object properties whose value is undefined, as JSON does', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
  });

  it.each([
    ['undefined inside an array', { list: [1, undefined] }, /\$\.list\[1\]: undefined inside an array/],
    ['a hole in an array', { list: new Array<number>(3).fill(1, 0, 1) }, /\$\.list\[1\]/],
    ['NaN', { n: NaN }, /\$\.n: NaN/],
    ['Infinity', { n: -Infinity }, /\$\.n: -Infinity/],
    ['a BigInt', { n: 10n }, /\$\.n: a BigInt/],
    ['a Date', { when: new Date(0) }, /\$\.when: a Date \(only plain objects/],
    ['a Map', { m: new Map() }, /a Map/],
    ['a function', { f: () => 1 }, /\$\.f: function/],
    ['a lone surrogate', { s: '\ud800' }, /\$\.s: a string with a lone UTF-16 surrogate/],
  ])('rejects %s with a clear error', (_name, value, message) => {
    let error: unknown;
    try {
      canonicalJson(value);
    } catch (e) {
      error = e;
    }
    expect(isGatehouseError(error) && error.code).toBe('audit_not_canonical');
    expect((error as Error).message).toMatch(message);
  });

  it('rejects circular structures instead of looping', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => canonicalJson(a)).toThrow(/circular/);
  });

  it('accepts the same object twice when it is not circular', () => {
    const shared = { k: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"k":1},"b":{"k":1}}');
  });
});

describe('sha256Hex', () => {
  it('hashes UTF-8 text', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('canonicalJson refusals (code and details.path)', () => {
  class Point {
    constructor(readonly x: number) {}
  }
  const deepCycle: Record<string, unknown> = {};
  let cursor = deepCycle;
  for (let i = 0; i < 100; i++) cursor = cursor.n = {};
  cursor.back = deepCycle;
  const inner: { b: unknown[] } = { b: [] };
  inner.b.push(inner);

  it.each<[string, unknown, string, RegExp]>([
    ['undefined at the top', undefined, '$', /\$: undefined is not plain JSON/],
    ['undefined inside an array', { a: [[1, undefined]] }, '$.a[0][1]', /undefined inside an array/],
    ['a hole', [1, , 3], '$[1]', /undefined inside an array/], // eslint-disable-line no-sparse-arrays
    ['NaN', [NaN], '$[0]', /\$\[0\]: NaN/],
    ['Infinity', { x: { y: Infinity } }, '$.x.y', /\$\.x\.y: Infinity/],
    ['-Infinity', -Infinity, '$', /-Infinity/],
    ['a BigInt', { n: 1n }, '$.n', /a BigInt/],
    ['a function', { f: () => 1 }, '$.f', /function/],
    ['a symbol', { s: Symbol('s') }, '$.s', /symbol/],
    ['a symbol in an array', [Symbol('s')], '$[0]', /symbol/],
    ['a Date', { d: new Date(0) }, '$.d', /a Date \(only plain objects/],
    ['a Map', { m: new Map() }, '$.m', /a Map/],
    ['a Set', [new Set()], '$[0]', /a Set/],
    ['a class instance', { p: new Point(1) }, '$.p', /a Point/],
    ['a boxed string', { s: new String('x') }, '$.s', /a String/],
    ['a circular reference', { a: inner }, '$.a.b[0]', /a circular reference/],
    ['a cycle deeper than the unchecked depth', deepCycle, `$${'.n'.repeat(100)}.back`, /a circular reference/],
    ['a lone high surrogate in a value', { a: ['ok', 'x\ud83d'] }, '$.a[1]', /lone UTF-16 surrogate/],
    ['a lone low surrogate in a value', '\ude00x', '$', /lone UTF-16 surrogate/],
    ['reversed surrogates', '\ude00\ud83d', '$', /lone UTF-16 surrogate/],
    ['a lone surrogate in a key', { o: { ['k\udc00']: 1 } }, '$.o', /an object key with a lone UTF-16 surrogate/],
  ])('refuses %s', (_name, value, path, message) => {
    const error = refusal(value);
    expect(error?.code).toBe('audit_not_canonical');
    expect(error?.path).toBe(path);
    expect(error?.message).toMatch(message);
  });

  it('reports the first problem in insertion order, not in sorted-key order', () => {
    expect(refusal({ z: NaN, a: 1n })?.path).toBe('$.z');
    expect(refusal({ z: [undefined], a: new Date(0) })?.path).toBe('$.z[0]');
    // Any other problem wins over a lone surrogate, wherever it is.
    expect(refusal({ a: '\ud800', z: () => 1 })?.path).toBe('$.z');
  });

  it('skips undefined members even when their key is malformed', () => {
    expect(canonicalJson({ ['\ud800']: undefined, a: 1 })).toBe('{"a":1}');
  });

  it('accepts deep acyclic nesting beyond the unchecked depth', () => {
    let deep: unknown = { leaf: ['x'] };
    for (let i = 0; i < 200; i++) deep = i % 2 ? { n: deep, m: 1 } : [deep, null];
    expect(canonicalJson(deep)).toBe(canonicalize(deep));
  });
});

describe('canonicalJson is byte-identical to the canonicalize package', () => {
  /** Arbitrary UTF-16 code units: surrogate pairs, lone surrogates, controls, quotes, backslashes. */
  const codeUnits = fc.string({
    unit: fc.oneof(
      fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
      fc.constantFrom('"', '\\', '\\ud800', '\u2028', '\u007f', '\ud83d\ude00', '\uffff', 'a'),
    ),
    maxLength: 8,
  });
  const unicode = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 8 }),
    fc.string({ unit: 'grapheme', maxLength: 6 }),
    fc.string({ maxLength: 6 }),
  );
  const number = fc.oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.constantFrom(-0, 0, 1e21, 1e-7, 5e-324, -5e-324, 1.7976931348623157e308, 2 ** 53 + 2, 0.1 + 0.2, 1e20, 123e-20),
  );
  const value = fc.letrec((tie) => ({
    json: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant(null),
      fc.boolean(),
      number,
      unicode,
      fc.array(tie('json'), { maxLength: 5 }),
      fc.dictionary(unicode, tie('json'), { maxKeys: 6 }),
    ),
  })).json;

  it('for fc.jsonValue()', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(canonicalJson(v)).toBe(canonicalize(v));
      }),
      { numRuns: 500 },
    );
  });

  it('for values with unicode keys, emoji, surrogate pairs and edge-case numbers', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalJson(v)).toBe(canonicalize(v));
        expect(canonicalHash(v)).toBe(
          createHash('sha256')
            .update(canonicalize(v) as string)
            .digest('hex'),
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('for arbitrary code units: equal output, or both refuse a lone surrogate', () => {
    fc.assert(
      fc.property(fc.dictionary(codeUnits, fc.oneof(codeUnits, fc.array(codeUnits, { maxLength: 3 }))), (v) => {
        let expected: string | undefined;
        try {
          expected = canonicalize(v);
        } catch {
          expect(refusal(v)?.message).toMatch(/lone UTF-16 surrogate/);
          return;
        }
        expect(canonicalJson(v)).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('on the edge cases by name', () => {
    const cases: unknown[] = [
      -0,
      [-0, 1e21, 1e-7, 5e-324, 1.7976931348623157e308, 333333333.3333333, 1e-6],
      { '\uffff': 1, '\ud83d\ude00': 2, '\u00e9': 3, e: 4, '': 5, '10': 6, '9': 7, __proto__x: 8 },
      { s: 'literal \\ud800 text, \\\\ud83d too', t: '\u2028\u2029\u0000\u001f\u007f' },
      JSON.parse('{"__proto__": {"a": 1}, "b": [true, false, null]}'),
      Object.assign(Object.create(null) as object, { b: 1, a: [] }),
      [{}, [], '', [[[]]], { a: {} }],
    ];
    for (const v of cases) expect(canonicalJson(v)).toBe(canonicalize(v));
  });
});

describe('canonicalHash', () => {
  it('is the SHA-256 of the canonical text, as the fingerprints and change-set hashes stored so far', () => {
    expect(canonicalHash(null)).toBe(sha256Hex('null'));
    expect(canonicalHash({ b: 'x', a: null })).toBe(createHash('sha256').update('{"a":null,"b":"x"}').digest('hex'));
  });

  it('hashes UTF-8 bytes, as createHash did', () => {
    const v = { name: 'Zoë 😀', city: '東京' };
    expect(canonicalHash(v)).toBe(
      createHash('sha256')
        .update(canonicalize(v) as string, 'utf8')
        .digest('hex'),
    );
  });
});
