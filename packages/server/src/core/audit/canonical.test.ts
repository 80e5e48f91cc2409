import { describe, expect, it } from 'vitest';
import { isGatehouseError } from '../errors.js';
import { canonicalJson, sha256Hex } from './canonical.js';

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
    ['a lone surrogate', { s: '\ud800' }, /Lone surrogate/],
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
