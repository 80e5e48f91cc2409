import { canonicalHash, sha256Hex } from '../../core/audit/canonical.js';
import type { PropertyValue } from '../../core/ports/connector.js';

/**
 * SHA-256 (hex) over the RFC 8785 canonical JSON of a value. Only plain JSON is accepted
 * (GatehouseError `audit_not_canonical` otherwise); undefined has no JSON text at all.
 */
export function hashCanonical(value: unknown): string {
  if (value === undefined) throw new TypeError('value has no JSON representation');
  return canonicalHash(value);
}

/**
 * The stale-detection fingerprint of a record: its whole property map as read, so any change to
 * the record (including `lastmodifieddate`) voids a plan. A record that does not exist hashes as `null`.
 * Always equal to `canonicalHash(properties)`; a flat map of plain strings and nulls (every stored
 * record) takes a shorter path to the same text, anything else the generic one.
 */
export function fingerprintRecord(properties: Readonly<Record<string, PropertyValue>> | null): string {
  if (properties === null) return NULL_FINGERPRINT;
  const text = flatCanonical(properties);
  return text === undefined ? canonicalHash(properties) : sha256Hex(text);
}

const NULL_FINGERPRINT = canonicalHash(null);

/** What canonical.ts writes through JSON.stringify rather than as itself in quotes (and surrogates). */
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A key list seen before, with its RFC 8785 order (UTF-16 code units) and quoted keys. */
interface Shape {
  readonly keys: readonly string[];
  readonly sorted: readonly string[];
  /** `"key":` for each of `sorted`. */
  readonly prefixes: readonly string[];
}

/** Records have one key list per object type: a handful of shapes, bounded all the same. */
const shapes: Shape[] = [];
const SHAPES_MAX = 64;

function shapeOf(keys: readonly string[]): Shape | undefined {
  const n = keys.length;
  for (const shape of shapes) {
    const known = shape.keys;
    if (known.length !== n) continue;
    let i = 0;
    while (i < n && known[i] === keys[i]) i++;
    if (i === n) return shape;
  }
  if (shapes.length >= SHAPES_MAX || keys.some((key) => NEEDS_ESCAPE.test(key))) return undefined;
  const sorted = [...keys].sort();
  const shape = { keys: [...keys], sorted, prefixes: sorted.map((key) => `"${key}":`) };
  shapes.push(shape);
  return shape;
}

/**
 * The RFC 8785 text of a plain object whose values are all strings needing no escape, null or
 * undefined (omitted), with keys needing no escape — byte for byte what canonical.ts writes for
 * it; undefined for anything else (the caller then takes the generic path, errors included).
 */
function flatCanonical(properties: Readonly<Record<string, unknown>>): string | undefined {
  const proto = Object.getPrototypeOf(properties) as unknown;
  if (proto !== Object.prototype && proto !== null) return undefined;
  const shape = shapeOf(Object.keys(properties));
  if (shape === undefined) return undefined;
  const { sorted, prefixes } = shape;
  let out = '';
  for (let i = 0; i < sorted.length; i++) {
    const value = properties[sorted[i]!];
    if (value === undefined) continue;
    let text: string;
    if (value === null) text = 'null';
    else if (typeof value === 'string' && !NEEDS_ESCAPE.test(value)) text = '"' + value + '"';
    else return undefined;
    out += (out === '' ? '{' : ',') + prefixes[i]! + text;
  }
  return out === '' ? '{}' : out + '}';
}
