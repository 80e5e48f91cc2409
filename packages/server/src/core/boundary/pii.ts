/**
 * PII presentation for reads. The invariant a reader must not break: under `mask` and `hash`
 * the raw value never leaves Gatehouse — not in the value, not in an error, not in a log line.
 *
 * - mask: an email keeps its domain and the first character of its local part
 *   (`maria@example.com` → `m***@example.com`); anything else keeps its first character
 *   (`Maria` → `M***`). Values too short to keep a character without giving most of it away
 *   (under 3 characters) become `***`.
 * - hash: `sha256:` + the first 16 hex digits of HMAC-SHA256(server secret, value). Keyed, so
 *   nobody without the secret can test guesses; deterministic, so an agent can still join and
 *   deduplicate on the field.
 * - null stays null in every mode: absence of a value is not personal data.
 */
import { createHmac } from 'node:crypto';
import type { PiiMode } from './types.js';

export const MASK = '***';
const MIN_REVEALING_LENGTH = 3;

/**
 * Strictness order used when several grants cover the same record: a mask still shows a
 * character and an email's domain, a hash shows nothing of the value.
 */
const STRICTNESS: Readonly<Record<PiiMode, number>> = { allow: 0, mask: 1, hash: 2 };

export function strictestPii(modes: readonly PiiMode[]): PiiMode {
  let strictest: PiiMode = 'allow';
  for (const m of modes) if (STRICTNESS[m] > STRICTNESS[strictest]) strictest = m;
  return strictest;
}

export function maskValue(value: string): string {
  const at = value.lastIndexOf('@');
  if (at > 0 && at < value.length - 1) {
    return `${keepFirst(value.slice(0, at))}@${value.slice(at + 1)}`;
  }
  return keepFirst(value);
}

function keepFirst(value: string): string {
  const first = [...value][0];
  return value.length >= MIN_REVEALING_LENGTH && first !== undefined ? `${first}${MASK}` : MASK;
}

export function hashValue(value: string, secret: string | Uint8Array): string {
  return `sha256:${createHmac('sha256', secret).update(value, 'utf8').digest('hex').slice(0, 16)}`;
}

export interface PiiOptions {
  /** Server secret keying `hash`; required to hash, never shown to agents. */
  readonly hashSecret: string | Uint8Array;
}

export function presentPii(value: string | null, mode: PiiMode, opts: PiiOptions): string | null {
  if (value === null) return null;
  switch (mode) {
    case 'allow':
      return value;
    case 'mask':
      return maskValue(value);
    case 'hash':
      return hashValue(value, opts.hashSecret);
  }
}
