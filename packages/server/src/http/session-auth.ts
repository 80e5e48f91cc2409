/**
 * Who is calling: a bearer key (agents, scripts, the CLI) or a dashboard session cookie.
 *
 * CSRF rule: a request authenticated by the session cookie with a state-changing method (anything
 * but GET, HEAD, OPTIONS) must carry `x-csrf-token` equal to its session's token, else 403
 * `csrf_failed`. Browsers attach cookies to cross-site requests on their own but can never attach
 * an `Authorization` header or a custom header without the page's script, so bearer requests need
 * no token and the header proves the request came from our page. SameSite=Strict on the cookie is
 * the second, independent layer. GET never changes anything (link scanners and previews "click"
 * links; REFERENCES.md, approval gates).
 *
 * When both are sent, the bearer key decides and the cookie is ignored.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { resolveSession, sessionRef } from '../core/auth/sessions.js';
import type { Clock } from '../core/clock.js';
import { GatehouseError } from '../core/errors.js';
import type { Principal } from '../core/keys.js';
import type { SessionRow, Storage } from '../core/ports/storage.js';
import { requirePrincipal, type HttpAppOptions } from './app.js';

export const SESSION_COOKIE = 'gh_session';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The slice of the route context this module needs (`RouteContext` satisfies it). */
export interface SessionAuthContext {
  readonly auth: HttpAppOptions;
  readonly deps: { readonly storage: Pick<Storage, 'sessions'>; readonly clock: Clock };
  readonly config: { readonly server: { readonly public_url: string } };
}

/**
 * An authenticated caller. For sessions, `principal.keyId` is the session's `sessionRef` (it names
 * the credential used, like a key id, and is safe to log).
 */
export type Caller =
  | { readonly via: 'key'; readonly principal: Principal }
  | { readonly via: 'session'; readonly principal: Principal; readonly session: SessionRow };

const sessions = new WeakMap<FastifyRequest, Promise<SessionRow | undefined>>();
const callers = new WeakMap<FastifyRequest, Caller>();

/** RFC 6265 §4.2 `cookie-string`; when a name repeats, the first wins (the most specific path). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of (header ?? '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const name = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name && !out.has(name)) out.set(name, value);
  }
  return out;
}

export function readSessionToken(req: FastifyRequest): string | undefined {
  return parseCookies(req.headers.cookie).get(SESSION_COOKIE);
}

/** Cookies get `Secure` when the server is published over https (a plain-http dev setup must still work). */
export function isSecureDeployment(ctx: Pick<SessionAuthContext, 'config'>): boolean {
  return ctx.config.server.public_url.toLowerCase().startsWith('https:');
}

/** HttpOnly: page scripts cannot read it (XSS cannot steal it); SameSite=Strict: not sent cross-site. */
export function sessionCookie(token: string, maxAgeMs: number, secure: boolean): string {
  const maxAge = Math.max(0, Math.floor(maxAgeMs / 1000));
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT${secure ? '; Secure' : ''}`;
}

/** The live session named by the request's cookie, if any; looked up once per request. No CSRF check. */
export function currentSession(ctx: SessionAuthContext, req: FastifyRequest): Promise<SessionRow | undefined> {
  let found = sessions.get(req);
  if (!found) {
    const token = readSessionToken(req);
    found = token === undefined ? Promise.resolve(undefined) : resolveSession(ctx.deps, token);
    sessions.set(req, found);
  }
  return found;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Throws 403 `csrf_failed` unless `x-csrf-token` (sent exactly once) equals the session's token. */
export function requireCsrf(req: FastifyRequest, session: SessionRow): void {
  const sent = req.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || sent === '')
    throw new GatehouseError(
      'csrf_failed',
      `a signed-in ${req.method} needs the ${CSRF_HEADER} header (csrf_token from GET /v1/session)`,
    );
  if (!sameToken(sent, session.csrfToken))
    throw new GatehouseError('csrf_failed', `the ${CSRF_HEADER} header does not match this session; reload the page`);
}

/**
 * The caller, by bearer key or by session cookie (CSRF-checked for state-changing methods).
 * 401 `unauthenticated` when neither is present or the session is no longer live; key errors as
 * `requirePrincipal`.
 */
export async function requireCaller(ctx: SessionAuthContext, req: FastifyRequest): Promise<Caller> {
  const cached = callers.get(req);
  if (cached) return cached;
  let caller: Caller;
  if (req.headers.authorization !== undefined) {
    caller = { via: 'key', principal: await requirePrincipal(ctx.auth, req) };
  } else {
    if (readSessionToken(req) === undefined)
      throw new GatehouseError(
        'unauthenticated',
        'send Authorization: Bearer <key>, or sign in (POST /v1/session) and send the session cookie',
      );
    const session = await currentSession(ctx, req);
    if (!session) throw new GatehouseError('unauthenticated', 'the session expired or was signed out; sign in again');
    if (!SAFE_METHODS.has(req.method)) requireCsrf(req, session);
    const principal: Principal = { kind: 'person', id: session.personId, keyId: sessionRef(session.idHash) };
    // Only after the CSRF check: routes that call requirePrincipal later in this request see a
    // caller that has passed every check.
    req.principal = principal;
    caller = { via: 'session', principal, session };
  }
  callers.set(req, caller);
  return caller;
}
