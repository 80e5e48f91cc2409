import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { PropertyValue } from '../../core/ports/connector.js';

/** SHA-256 (hex) over the RFC 8785 canonical JSON of a value. */
export function hashCanonical(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON representation');
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The stale-detection fingerprint of a record: its whole property map as read, so any change to
 * the record (including `lastmodifieddate`) voids a plan. A record that does not exist hashes as `null`.
 */
export function fingerprintRecord(properties: Readonly<Record<string, PropertyValue>> | null): string {
  return hashCanonical(properties);
}
