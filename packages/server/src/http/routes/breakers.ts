/**
 * Breakers for people: their per-scope states, incidents, and the manual controls. Who may do
 * what is the state machine's rule (core/breakers/state.ts): only a responder resets; a responder
 * or an admin forces open, disables or enables; every change needs a comment and is audited.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  breakerRoles,
  changeBreaker,
  listBreakers,
  listIncidents,
  type BreakerDeps,
  type ManualEventType,
} from '../../core/breakers/service.js';
import { auditEventId } from '../../core/pipeline/index.js';
import { requirePerson, type RouteContext } from '../context.js';
import { parseInput } from '../validate.js';

const READ_ROLES = ['admin', 'approver', 'auditor', 'responder'];

const ChangeBody = z.strictObject({
  comment: z.string().max(2_000),
  scope: z.string().min(1).max(200).optional(),
});
const EnableBody = z.strictObject({
  comment: z.string().max(2_000).optional(),
  scope: z.string().min(1).max(200).optional(),
});

const CONTROLS: readonly { path: string; event: ManualEventType; summary: string }[] = [
  {
    path: 'reset',
    event: 'reset',
    summary: 'Close a tripped breaker (responder, comment): half-open with its probe budget, or closed.',
  },
  {
    path: 'force-open',
    event: 'force_open',
    summary: "Halt the breaker's scopes by hand (responder or admin, comment).",
  },
  {
    path: 'disable',
    event: 'disable',
    summary: 'Let writes through and ignore trips (responder or admin, comment; a pending trip needs a responder).',
  },
  {
    path: 'enable',
    event: 'enable',
    summary: 'Lift force-open or disable: back to open if a trip is pending, else closed.',
  },
];

export function registerBreakerRoutes(app: FastifyInstance, ctx: RouteContext, deps: BreakerDeps): void {
  const { registry } = ctx;

  registry.add({
    method: 'GET',
    path: '/v1/breakers',
    summary: 'Configured breakers with the state of each scope and its last evaluation.',
    tag: 'breakers',
    auth: 'person',
  });
  app.get('/v1/breakers', async (req) => {
    await requirePerson(ctx, req, READ_ROLES);
    return { results: await listBreakers(deps) };
  });

  registry.add({
    method: 'GET',
    path: '/v1/breakers/:id/incidents',
    summary: 'Incidents of a breaker, newest first: evidence, recent actions, paused agents, rollback result.',
    tag: 'breakers',
    auth: 'person',
  });
  app.get<{ Params: { id: string } }>('/v1/breakers/:id/incidents', async (req) => {
    await requirePerson(ctx, req, READ_ROLES);
    return { results: await listIncidents(deps, req.params.id) };
  });

  for (const c of CONTROLS) {
    const body = c.event === 'enable' ? EnableBody : ChangeBody;
    registry.add({
      method: 'POST',
      path: `/v1/breakers/:id/${c.path}`,
      summary: c.summary,
      tag: 'breakers',
      auth: 'person',
      body,
    });
    app.post<{ Params: { id: string } }>(`/v1/breakers/:id/${c.path}`, async (req) => {
      const who = await requirePerson(ctx, req);
      const b = parseInput(body, req.body ?? {}, 'body');
      const results = await changeBreaker(deps, {
        breakerId: req.params.id,
        event: c.event,
        actor: `person:${who.id}`,
        roles: breakerRoles(who.person, ctx.config),
        ...(b.comment !== undefined ? { comment: b.comment } : {}),
        ...(b.scope !== undefined ? { scopeKey: b.scope } : {}),
      });
      return {
        id: req.params.id,
        // The SDK's one-line view: the state the (first) changed scope is in now.
        state: results[0]?.to ?? null,
        results: results.map((r) => ({
          scope: r.scopeKey,
          from: r.from,
          state: r.to,
          version: r.version,
          audit_event_id: auditEventId(r.auditSeq),
        })),
      };
    });
  }
}
