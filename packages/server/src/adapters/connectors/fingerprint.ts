import { canonicalHash } from '../../core/audit/canonical.js';
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
 * the record (including `lastmodifieddate`) voids a plan. A record that does not exist hashes as
 * `null`. The sandbox computes it once per stored text (store.ts `fingerprint`).
 */
export function fingerprintRecord(properties: Readonly<Record<string, PropertyValue>> | null): string {
  return canonicalHash(properties);
}
