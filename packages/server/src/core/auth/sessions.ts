/**
 * Dashboard sessions. The cookie holds a 256-bit random token; storage holds only its SHA-256,
 * so a database leak yields no usable cookie (the same reasoning as API keys). Each session has
 * its own CSRF token, which the page echoes in `x-csrf-token` on every state-changing request.
 *
 * Sessions end at `expiresAt` (absolute lifetime, not sliding: a stolen cookie dies on schedule),
 * at sign-out, or when the person's password changes (`revokeAllFor`). Every start and end is
 * audited; the audit names a session by `sessionRef`, a prefix of the hash, never the token.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import { appendAudit } from '../pipeline/record.js';
import type { SessionRow, Storage } from '../ports/storage.js';

export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;

export interface SessionDeps {
  readonly storage: Pick<Storage, 'transaction' | 'sessions'>;
  readonly clock: Clock;
  /** Absolute lifetime of a new session; default SESSION_LIFETIME_MS (12 h). */
  readonly sessionLifetimeMs?: number;
}

/** What the caller hands to the browser; the token is never stored and cannot be recovered. */
export interface NewSession {
  readonly token: string;
  readonly csrfToken: string;
  readonly personId: string;
  readonly expiresAt: string;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** 32 random bytes, base64url (43 characters). */
const randomToken = () => randomBytes(32).toString('base64url');

export function isWellFormedSessionToken(token: string): boolean {
  return TOKEN.test(token);
}

export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** How audit entries and logs name a session: unique enough to correlate, useless to replay. */
export function sessionRef(idHash: string): string {
  return `ses_${idHash.slice(0, 16)}`;
}

/**
 * Starts a session for a person the caller has already authenticated, and audits
 * `session.login` in the same transaction (no session exists without its audit entry).
 */
export async function createSession(
  deps: SessionDeps,
  personId: string,
  context: { readonly ip?: string; readonly method?: string } = {},
): Promise<NewSession> {
  const token = randomToken();
  const csrfToken = randomToken();
  const idHash = hashSessionToken(token);
  const now = deps.clock.now();
  const createdAt = now.toISOString();
  const expiresAt = new Date(now.getTime() + (deps.sessionLifetimeMs ?? SESSION_LIFETIME_MS)).toISOString();
  await deps.storage.transaction(async (tx) => {
    await tx.sessions.create({ idHash, personId, csrfToken, createdAt, expiresAt });
    await appendAudit(tx, [
      {
        at: createdAt,
        type: 'session.login',
        actor: `person:${personId}`,
        subject: personId,
        data: {
          person_id: personId,
          session: sessionRef(idHash),
          method: context.method ?? 'password',
          ip: context.ip ?? null,
          expires_at: expiresAt,
        },
      },
    ]);
  });
  return { token, csrfToken, personId, expiresAt };
}

/** The live session for a cookie token: undefined when malformed, unknown, expired or revoked. */
export async function resolveSession(
  deps: { readonly storage: Pick<Storage, 'sessions'>; readonly clock: Clock },
  token: string,
): Promise<SessionRow | undefined> {
  if (!isWellFormedSessionToken(token)) return undefined;
  return deps.storage.sessions.getActive(hashSessionToken(token), deps.clock.now().toISOString());
}

/**
 * Signs a session out (revokes it) and audits `session.logout`. Answers the ended session, or
 * undefined when the token names no live session (nothing is written then).
 */
export async function endSession(
  deps: Pick<SessionDeps, 'storage' | 'clock'>,
  token: string,
  context: { readonly ip?: string } = {},
): Promise<SessionRow | undefined> {
  const session = await resolveSession(deps, token);
  if (!session) return undefined;
  const at = deps.clock.now().toISOString();
  const ended = await deps.storage.transaction(async (tx) => {
    // Revoking inside the transaction decides a race between two sign-outs: only one audits.
    if (!(await tx.sessions.revoke(session.idHash, at))) return false;
    await appendAudit(tx, [
      {
        at,
        type: 'session.logout',
        actor: `person:${session.personId}`,
        subject: session.personId,
        data: { person_id: session.personId, session: sessionRef(session.idHash), ip: context.ip ?? null },
      },
    ]);
    return true;
  });
  return ended ? { ...session, revokedAt: at } : undefined;
}
