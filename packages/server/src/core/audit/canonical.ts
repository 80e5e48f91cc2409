/**
 * RFC 8785 (JSON Canonicalization Scheme): the same value always serialises to the same bytes,
 * whatever the key order or number formatting it was built with, so a hash over it is stable
 * across processes, databases and languages.
 *
 * Only plain JSON is accepted: a library that silently turned undefined inside an array into null,
 * a Date into a string via toJSON or a Map into {} would make the stored value and the hashed
 * value differ. Object properties whose value is undefined are omitted, exactly as JSON.stringify
 * and every JSON store omit them.
 *
 * One pass validates and writes at once; its output is byte-identical to the `canonicalize`
 * package for every plain JSON value (the tests use that package as the oracle). The pass only
 * learns *that* a value is refused; the refusal is then explained by a slow, exact walk in
 * insertion order, so the error (code, message, details.path) does not depend on key sorting.
 *
 * Why the output is RFC 8785: JSON.stringify of a string is the ECMAScript string serialisation
 * the RFC prescribes, String(number) is its number serialisation (-0 → 0), and the default sort
 * orders keys by UTF-16 code units, as the RFC asks.
 */
import { hash } from 'node:crypto';
import { GatehouseError } from '../errors.js';

/** RFC 8785 text of a plain JSON value; GatehouseError `audit_not_canonical` (details.path) otherwise. */
export function canonicalJson(value: unknown): string {
  let out: string;
  try {
    out = write(value, 0);
  } catch (e) {
    if (e === REFUSED) throw explain(value);
    throw e;
  }
  // Well-formed JSON.stringify writes a lone surrogate as the escape `\udXXX`, so output without
  // `\ud` has none; with it (rare: a literal backslash-u-d also matches) the value is checked exactly.
  if (out.includes('\\ud')) {
    const lone = findLoneSurrogate(value, '$');
    if (lone !== undefined) throw lone;
  }
  return out;
}

/** SHA-256 (hex) of the RFC 8785 text of a plain JSON value: change-set hashes, fingerprints, versions. */
export function canonicalHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

/** One-shot `crypto.hash` (Node ≥ 20.12): the same digest as createHash().update().digest(), with less overhead. */
export function sha256Hex(data: string | Uint8Array): string {
  return hash('sha256', data, 'hex');
}

/** Thrown by `write` and caught in `canonicalJson`: allocated once, never escapes. */
const REFUSED = new Error('not plain JSON');

/**
 * Below this depth no cycle check is made at all; an object reached at exactly this depth has its
 * whole subtree validated once (which finds a cycle), so recursion below it always terminates.
 */
const UNCHECKED_DEPTH = 64;

function write(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      if (value - value !== 0) throw REFUSED; // NaN, ±Infinity
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      break;
    default:
      throw REFUSED;
  }
  if (++depth === UNCHECKED_DEPTH) {
    try {
      assertJsonValue(value, '$', new Set());
    } catch {
      throw REFUSED;
    }
  }
  if (Array.isArray(value)) {
    const items = value as readonly unknown[];
    const n = items.length;
    if (n === 0) return '[]';
    const first = items[0];
    if (first === undefined) throw REFUSED; // also a hole
    let out = '[' + write(first, depth);
    for (let i = 1; i < n; i++) {
      const item = items[i];
      if (item === undefined) throw REFUSED;
      out += ',' + write(item, depth);
    }
    return out + ']';
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) throw REFUSED;
  const record = value as Readonly<Record<string, unknown>>;
  const keys = Object.keys(record);
  if (keys.length > 1) keys.sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const member = record[key];
    if (member === undefined) continue;
    out += (out.length === 1 ? '' : ',') + quoteKey(key) + ':' + write(member, depth);
  }
  return out + '}';
}

/**
 * A string without these is written as itself in quotes (what JSON.stringify does, without the
 * call); surrogates go through JSON.stringify too, so a lone one shows up as `\udXXX` in the output.
 */
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

const quote = (s: string): string => (NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"');

/** Object keys repeat (record property names, audit fields): their quoted form is cached, up to a bound. */
const quotedKeys = new Map<string, string>();
const QUOTED_KEYS_MAX = 4096;

function quoteKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = quote(key);
    if (quotedKeys.size < QUOTED_KEYS_MAX && key.length <= 64) quotedKeys.set(key, quoted);
  }
  return quoted;
}

/** The exact error for a value `write` refused: the first problem in insertion order. */
function explain(value: unknown): GatehouseError {
  try {
    assertJsonValue(value, '$', new Set());
  } catch (e) {
    return e as GatehouseError;
  }
  return findLoneSurrogate(value, '$') ?? notCanonical('$', 'a value'); // unreachable: write and assertJsonValue agree
}

function assertJsonValue(value: unknown, path: string, seen: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw notCanonical(path, String(value));
      return;
    case 'object':
      break;
    case 'bigint':
      throw notCanonical(path, 'a BigInt (convert it to a string)');
    default:
      throw notCanonical(path, typeof value);
  }
  if (value === null) return;
  if (seen.has(value)) throw notCanonical(path, 'a circular reference');
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value) || value[i] === undefined) throw notCanonical(`${path}[${i}]`, 'undefined inside an array');
      assertJsonValue(value[i], `${path}[${i}]`, seen);
    }
  } else {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      throw notCanonical(path, `a ${name} (only plain objects; convert dates to ISO strings)`);
    }
    for (const [key, v] of Object.entries(value)) {
      if (v !== undefined) assertJsonValue(v, `${path}.${key}`, seen);
    }
  }
  seen.delete(value);
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The first lone surrogate, in a string or an object key, in insertion order (value known to be plain JSON). */
function findLoneSurrogate(value: unknown, path: string): GatehouseError | undefined {
  if (typeof value === 'string') {
    return LONE_SURROGATE.test(value) ? notCanonical(path, 'a string with a lone UTF-16 surrogate') : undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findLoneSurrogate(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (LONE_SURROGATE.test(key)) return notCanonical(path, 'an object key with a lone UTF-16 surrogate');
    const found = findLoneSurrogate(v, `${path}.${key}`);
    if (found) return found;
  }
  return undefined;
}

function notCanonical(path: string, what: string): GatehouseError {
  return new GatehouseError('audit_not_canonical', `cannot canonicalise ${path}: ${what} is not plain JSON`, {
    details: { path },
  });
}
