/**
 * API keys are long random tokens, not passwords: Gatehouse stores only their SHA-256 and looks
 * them up by that hash (an indexed equality lookup, no per-request slow hash). The printable
 * prefix names the kind so a leaked key is recognisable in logs and secret scanners.
 */
import { hash, randomBytes } from 'node:crypto';

export const KEY_KINDS = { agent: 'gh_agent_', person: 'gh_person_', ingest: 'gh_ingest_' } as const;
export type KeyKind = keyof typeof KEY_KINDS;

const KEY_PATTERN = /^gh_(agent|person|ingest)_[A-Za-z0-9_-]{43}$/;

export interface Principal {
  kind: KeyKind;
  /** agent id, person id or ingest name */
  id: string;
  keyId: string;
}

export function generateKey(kind: KeyKind): { token: string; hash: string; prefix: string } {
  const token = KEY_KINDS[kind] + randomBytes(32).toString('base64url');
  return { token, hash: hashKey(token), prefix: token.slice(0, KEY_KINDS[kind].length + 6) };
}

/** One-shot `crypto.hash` (Node ≥ 20.12): the same digest as createHash().update().digest(), with less overhead. */
export function hashKey(token: string): string {
  return hash('sha256', token, 'hex');
}

export function isWellFormedKey(token: string): boolean {
  return KEY_PATTERN.test(token);
}
