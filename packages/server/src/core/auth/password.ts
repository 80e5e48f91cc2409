/**
 * Dashboard passwords: scrypt (RFC 7914) through node:crypto's asynchronous API, so hashing runs
 * on the libuv thread pool and never blocks the event loop.
 *
 * Stored form (self-describing, so the cost can be raised later without breaking old hashes):
 *   `scrypt$N$r$p$<salt, base64>$<key, base64>`
 * Verification always uses the parameters stored in the hash; `needsRehash` tells the caller when
 * they are weaker than today's defaults. Passwords are NFC-normalised first, so the same password
 * typed on two keyboards (composed vs decomposed accents) is the same password.
 *
 * API keys are NOT passwords and never come here (see core/keys.ts): they are long random tokens
 * looked up by SHA-256; a slow hash per API request would cap the gateway's throughput.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { GatehouseError } from '../errors.js';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly saltBytes: number;
  readonly keyBytes: number;
}

/**
 * 32 MiB and a few tens of milliseconds per hash. OWASP's current guidance pairs N=2^15, r=8 with
 * p=3; raising `p` (or N) here is safe at any time: old hashes keep verifying with their stored
 * parameters and are upgraded on the next successful sign-in (`needsRehash`). The login rate
 * limit (core/auth/sessions.ts) bounds online guessing either way.
 */
export const SCRYPT_DEFAULTS: ScryptParams = Object.freeze({ N: 2 ** 15, r: 8, p: 1, saltBytes: 16, keyBytes: 32 });

export const MIN_PASSWORD_LENGTH = 12;
/** Long enough for any passphrase; bounds the work an attacker can hand the hash function. */
export const MAX_PASSWORD_LENGTH = 1024;

/** Bounds for parameters read back from storage: a tampered row must not make one login cost gigabytes. */
const LIMITS = { maxN: 2 ** 20, maxR: 32, maxP: 16, minKey: 16, maxKey: 64, minSalt: 8 } as const;

export type PasswordPolicyResult = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** Length is counted in characters (code points), not bytes, after NFC normalisation. */
export function checkPasswordPolicy(password: string): PasswordPolicyResult {
  const length = [...password.normalize('NFC')].length;
  if (length < MIN_PASSWORD_LENGTH)
    return {
      ok: false,
      message: `the password must be at least ${MIN_PASSWORD_LENGTH} characters long (it has ${length}); a few unrelated words make a good one`,
    };
  if (length > MAX_PASSWORD_LENGTH)
    return { ok: false, message: `the password must be at most ${MAX_PASSWORD_LENGTH} characters long` };
  if (password.trim() === '') return { ok: false, message: 'the password must not be only spaces' };
  return { ok: true };
}

function scrypt(password: string, salt: Buffer, params: Omit<ScryptParams, 'saltBytes'>): Promise<Buffer> {
  const { N, r, p, keyBytes } = params;
  // OpenSSL counts the whole working set (B and V plus slack), which at N=2^15, r=8 is just over
  // Node's 32 MiB default: size the limit from the parameters instead.
  const maxmem = 128 * r * (N + p + 2) + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scryptCallback(password.normalize('NFC'), salt, keyBytes, { N, r, p, maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Hashes without the policy check; for internal use (e.g. the decoy hash). */
async function hashUnchecked(password: string, params: ScryptParams): Promise<string> {
  const salt = randomBytes(params.saltBytes);
  const key = await scrypt(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Throws `password_too_weak` (with the policy's message) before spending any CPU on a bad password. */
export async function hashPassword(password: string, params: ScryptParams = SCRYPT_DEFAULTS): Promise<string> {
  const policy = checkPasswordPolicy(password);
  if (!policy.ok) throw new GatehouseError('password_too_weak', policy.message);
  return hashUnchecked(password, params);
}

interface ParsedHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly key: Buffer;
}

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The stored hash's parts, or undefined when it is not a well-formed scrypt hash within bounds. */
export function parsePasswordHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [, n, r, p, salt, key] = parts as [string, string, string, string, string, string];
  const int = (s: string) => (/^[1-9][0-9]{0,9}$/.test(s) ? Number(s) : NaN);
  const N = int(n);
  const R = int(r);
  const P = int(p);
  if (!(N >= 2 && N <= LIMITS.maxN && (N & (N - 1)) === 0)) return undefined;
  if (!(R >= 1 && R <= LIMITS.maxR && P >= 1 && P <= LIMITS.maxP)) return undefined;
  if (!B64.test(salt) || !B64.test(key)) return undefined;
  const saltBuf = Buffer.from(salt, 'base64');
  const keyBuf = Buffer.from(key, 'base64');
  if (saltBuf.length < LIMITS.minSalt || keyBuf.length < LIMITS.minKey || keyBuf.length > LIMITS.maxKey)
    return undefined;
  return { N, r: R, p: P, salt: saltBuf, key: keyBuf };
}

/**
 * true only when `password` produces `stored`. Never throws for a wrong or malformed hash (false);
 * the comparison is constant-time in the key length.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parsePasswordHash(stored);
  if (!parsed || password.length > MAX_PASSWORD_LENGTH * 4) return false;
  const key = await scrypt(password, parsed.salt, {
    N: parsed.N,
    r: parsed.r,
    p: parsed.p,
    keyBytes: parsed.key.length,
  });
  return timingSafeEqual(key, parsed.key);
}

/** true when `stored` was made with weaker (or unreadable) parameters than `params`: rehash after a successful login. */
export function needsRehash(stored: string, params: ScryptParams = SCRYPT_DEFAULTS): boolean {
  const parsed = parsePasswordHash(stored);
  return (
    !parsed ||
    parsed.N < params.N ||
    parsed.r < params.r ||
    parsed.p < params.p ||
    parsed.key.length < params.keyBytes ||
    parsed.salt.length < params.saltBytes
  );
}

let decoy: Promise<string> | undefined;

/**
 * Spends the same work as a real verification and answers false: used when the person is unknown
 * or has no password, so response time does not reveal which people exist.
 */
export async function verifyAgainstDecoy(password: string): Promise<false> {
  decoy ??= hashUnchecked(randomBytes(24).toString('base64'), SCRYPT_DEFAULTS);
  await verifyPassword(password, await decoy);
  return false;
}
