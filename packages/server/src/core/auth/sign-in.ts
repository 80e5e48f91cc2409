/**
 * Password sign-in. Three properties a reader must not break:
 *
 * - **No user enumeration.** Unknown person, person without a password and wrong password give
 *   the same outcome after the same work (a decoy scrypt when there is no hash to check).
 * - **Bounded guessing on every instance.** Attempts are counted in the shared `rates` table
 *   BEFORE the password is checked, per source address and per person, in fixed windows. Counting
 *   first means concurrent requests cannot overrun the limit, and successful sign-ins count too
 *   (a person signs in a few times a day; the limit is for machines).
 * - **Every checked attempt is audited** (`session.login` / `session.login_failed`). Refused
 *   attempts are not, so a flood cannot grow the audit log beyond the limits.
 */
import { appendAudit } from '../pipeline/record.js';
import type { Storage } from '../ports/storage.js';
import { SCRYPT_DEFAULTS, hashPassword, needsRehash, verifyAgainstDecoy, verifyPassword } from './password.js';
import { createSession, type NewSession, type SessionDeps } from './sessions.js';

export interface LoginLimits {
  readonly windowMs: number;
  /** Attempts per person id per window (counted for unknown ids too). */
  readonly perPerson: number;
  /** Attempts per source address per window (a reverse proxy makes every caller one address). */
  readonly perIp: number;
}

export const LOGIN_LIMITS: LoginLimits = Object.freeze({ windowMs: 15 * 60 * 1000, perPerson: 10, perIp: 30 });

export interface SignInDeps extends SessionDeps {
  readonly storage: Pick<Storage, 'transaction' | 'sessions' | 'credentials' | 'rates' | 'audit'>;
  /** The people in the config; anyone else cannot sign in, whatever is stored. */
  readonly personIds: { has(id: string): boolean };
  readonly loginLimits?: LoginLimits;
}

export interface SignInInput {
  readonly personId: string;
  readonly password: string;
  /** The caller's address, for the per-address limit and the audit entry. */
  readonly ip?: string;
}

export type SignInOutcome =
  | { readonly type: 'signed_in'; readonly session: NewSession }
  | { readonly type: 'invalid_credentials' }
  | { readonly type: 'rate_limited'; readonly limit: 'ip' | 'person'; readonly retryAfterMs: number };

type FailureReason = 'unknown_person' | 'no_password' | 'wrong_password';

export async function signIn(deps: SignInDeps, input: SignInInput): Promise<SignInOutcome> {
  const limits = deps.loginLimits ?? LOGIN_LIMITS;
  const now = deps.clock.now().getTime();
  const windowStart = Math.floor(now / limits.windowMs) * limits.windowMs;
  const windowIso = new Date(windowStart).toISOString();
  const retryAfterMs = windowStart + limits.windowMs - now;

  // The address first: an attacker spraying one person from one address does not also use up
  // that person's budget once the address is blocked.
  if (input.ip !== undefined) {
    const r = await deps.storage.rates.take(`login:ip:${input.ip}`, windowIso, limits.perIp);
    if (!r.allowed) return { type: 'rate_limited', limit: 'ip', retryAfterMs };
  }
  const r = await deps.storage.rates.take(`login:person:${input.personId}`, windowIso, limits.perPerson);
  if (!r.allowed) return { type: 'rate_limited', limit: 'person', retryAfterMs };

  const known = deps.personIds.has(input.personId);
  const credential = known ? await deps.storage.credentials.get(input.personId) : undefined;
  const ok = credential
    ? await verifyPassword(input.password, credential.passwordHash)
    : await verifyAgainstDecoy(input.password);

  if (!ok) {
    const reason: FailureReason = !known ? 'unknown_person' : !credential ? 'no_password' : 'wrong_password';
    await auditFailure(deps, input, reason);
    return { type: 'invalid_credentials' };
  }

  // Raise old hashes to today's cost while the password is at hand; failing to do so is harmless.
  if (credential && needsRehash(credential.passwordHash, SCRYPT_DEFAULTS)) {
    const passwordHash = await hashPassword(input.password).catch(() => undefined);
    if (passwordHash)
      await deps.storage.credentials.set({
        personId: input.personId,
        passwordHash,
        updatedAt: deps.clock.now().toISOString(),
      });
  }

  const session = await createSession(deps, input.personId, {
    method: 'password',
    ...(input.ip !== undefined ? { ip: input.ip } : {}),
  });
  return { type: 'signed_in', session };
}

async function auditFailure(deps: SignInDeps, input: SignInInput, reason: FailureReason): Promise<void> {
  await appendAudit(deps.storage, [
    {
      at: deps.clock.now().toISOString(),
      type: 'session.login_failed',
      actor: 'anonymous',
      // The id as typed (bounded by the route's schema); it may name nobody.
      subject: input.personId,
      data: { person_id: input.personId, reason, ip: input.ip ?? null },
    },
  ]);
}
