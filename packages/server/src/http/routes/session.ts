/**
 * Dashboard sign-in: `POST /v1/session` (person id + password → session cookie), `GET
 * /v1/session` (who am I, and the CSRF token the page must echo) and `DELETE /v1/session`
 * (sign out). See docs/authentication.md.
 *
 * Sign-in takes JSON only: an HTML form on another site cannot send `application/json` without a
 * CORS preflight, so a cross-site page cannot sign a browser in (login CSRF). Every answer that
 * carries a token is `Cache-Control: no-store`.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { permissionsOf } from '../../core/auth/permissions.js';
import { endSession } from '../../core/auth/sessions.js';
import { signIn } from '../../core/auth/sign-in.js';
import { MAX_PASSWORD_LENGTH } from '../../core/auth/password.js';
import { GatehouseError } from '../../core/errors.js';
import type { SessionRow } from '../../core/ports/storage.js';
import type { RouteContext } from '../context.js';
import {
  clearedSessionCookie,
  isSecureDeployment,
  requireCaller,
  readSessionToken,
  sessionCookie,
  currentSession,
} from '../session-auth.js';
import { parseInput } from '../validate.js';

const SignInBody = z.strictObject({
  person: z.string().min(1).max(100),
  password: z
    .string()
    .min(1)
    .max(MAX_PASSWORD_LENGTH * 2),
});

const SessionView = z.object({
  person: z.object({ id: z.string(), name: z.string(), email: z.string(), roles: z.array(z.string()) }),
  /** What the person may do (core/auth/permissions.ts), for showing or hiding controls. */
  permissions: z.array(z.string()),
  csrf_token: z.string(),
  expires_at: z.string(),
});

export function registerSessionRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const secure = isSecureDeployment(ctx);
  const deps = { storage: ctx.deps.storage, clock: ctx.deps.clock, personIds: ctx.people };

  const view = (personId: string, csrfToken: string, expiresAt: string): z.infer<typeof SessionView> => {
    const person = ctx.people.get(personId);
    // A person removed from the config keeps no rights, whatever sessions remain stored.
    if (!person) throw new GatehouseError('unauthenticated', 'this person is no longer in the config');
    return {
      person: { id: person.id, name: person.name, email: person.email, roles: [...person.roles] },
      permissions: [...permissionsOf(person, ctx.config)].sort(),
      csrf_token: csrfToken,
      expires_at: expiresAt,
    };
  };
  const noStore = (reply: FastifyReply) => void reply.header('cache-control', 'no-store');

  ctx.registry.add({
    method: 'POST',
    path: '/v1/session',
    summary: 'Sign in to the dashboard with a person id and password; sets the gh_session cookie.',
    tag: 'session',
    auth: 'none',
    body: SignInBody,
    response: SessionView,
    responses: {
      200: 'Signed in; Set-Cookie: gh_session (HttpOnly, SameSite=Strict)',
      401: 'invalid_credentials: unknown person or wrong password (the same answer for both)',
      429: 'rate_limited: too many attempts for this person or address; Retry-After says when to try again',
    },
  });
  app.post('/v1/session', async (req, reply) => {
    noStore(reply);
    const b = parseInput(SignInBody, req.body, 'body');
    const outcome = await signIn(deps, { personId: b.person, password: b.password, ip: req.ip });
    switch (outcome.type) {
      case 'rate_limited': {
        const seconds = Math.max(1, Math.ceil(outcome.retryAfterMs / 1000));
        void reply.header('retry-after', String(seconds));
        throw new GatehouseError('rate_limited', `too many sign-in attempts; try again in ${seconds} s`, {
          details: { retry_after_s: seconds, limit: outcome.limit },
        });
      }
      case 'invalid_credentials':
        throw new GatehouseError('invalid_credentials', 'unknown person or wrong password');
      case 'signed_in': {
        const { session } = outcome;
        const lifetimeMs = new Date(session.expiresAt).getTime() - ctx.deps.clock.now().getTime();
        void reply.header('set-cookie', sessionCookie(session.token, lifetimeMs, secure));
        return view(session.personId, session.csrfToken, session.expiresAt);
      }
    }
  });

  ctx.registry.add({
    method: 'GET',
    path: '/v1/session',
    summary: 'The signed-in person and the CSRF token to send as x-csrf-token (session cookie only).',
    tag: 'session',
    auth: 'person',
    response: SessionView,
    responses: { 200: 'Signed in', 401: 'unauthenticated: no live session' },
  });
  app.get('/v1/session', async (req, reply) => {
    noStore(reply);
    const session: SessionRow | undefined = await currentSession(ctx, req);
    if (!session) throw new GatehouseError('unauthenticated', 'not signed in (no live gh_session cookie)');
    return view(session.personId, session.csrfToken, session.expiresAt);
  });

  ctx.registry.add({
    method: 'DELETE',
    path: '/v1/session',
    summary: 'Sign out: ends the session on every instance and clears the cookie (needs x-csrf-token).',
    tag: 'session',
    auth: 'person',
    responses: { 200: 'Signed out', 401: 'unauthenticated: no live session', 403: 'csrf_failed' },
  });
  app.delete('/v1/session', async (req, reply) => {
    noStore(reply);
    const caller = await requireCaller(ctx, req);
    const token = readSessionToken(req);
    if (caller.via !== 'session' || token === undefined)
      throw new GatehouseError('unauthenticated', 'not signed in: DELETE /v1/session ends a dashboard session');
    await endSession(ctx.deps, token, { ip: req.ip });
    void reply.header('set-cookie', clearedSessionCookie(secure));
    return { signed_out: true };
  });
}
