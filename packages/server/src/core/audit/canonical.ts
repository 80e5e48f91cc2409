/**
 * RFC 8785 (JSON Canonicalization Scheme): the same value always serialises to the same bytes,
 * whatever the key order or number formatting it was built with, so a hash over it is stable
 * across processes, databases and languages.
 *
 * The `canonicalize` package silently turns some values into something else (undefined inside an
 * array becomes null, a Date becomes a string via toJSON, a Map becomes {}); for an audit log that
 * would mean the stored value and the hashed value differ. So values are checked first and only
 * plain JSON is accepted. Object properties whose value is undefined are omitted, exactly as
 * JSON.stringify and every JSON store omit them.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { GatehouseError } from '../errors.js';

export function canonicalJson(value: unknown): string {
  assertJsonValue(value, '$', new Set());
  let out: string | undefined;
  try {
    out = canonicalize(value);
  } catch (cause) {
    // Lone UTF-16 surrogates are the one thing left for the library to refuse.
    throw new GatehouseError('audit_not_canonical', `cannot canonicalise: ${(cause as Error).message}`, { cause });
  }
  if (out === undefined) throw notCanonical('$', 'undefined');
  return out;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
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

function notCanonical(path: string, what: string): GatehouseError {
  return new GatehouseError('audit_not_canonical', `cannot canonicalise ${path}: ${what} is not plain JSON`, {
    details: { path },
  });
}
