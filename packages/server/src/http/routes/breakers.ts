/**
 * Breakers for people: their per-scope states, incidents, and the manual controls. Who may do
 * what is the state machine's rule (core/breakers/state.ts): only a responder resets; a responder
 * or an admin forces open, disables or enables; every change needs a comment and is audited.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { agentsOfScopeKey, ALL_SCOPE } from '../../core/breakers/scope.js';
import { ATTRIBUTION_MS } from '../../core/breakers/signals.js';
import { GatehouseError } from '../../core/errors.js';
import {
  breakerConfig,
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
import { HOUR_MS, metricSeries, scopeFilter } from './dashboard-series.js';

const READ_ROLES = ['admin', 'approver', 'auditor', 'responder'];

const NoQuery = z.strictObject({});

const DetailQuery = z.strictObject({
  /** Days of hourly points (default 7). */
  days: z.coerce.number().int().min(1).max(30).default(7),
  /** The scope whose series to show (default: the first tripped scope, else the first). */
  scope: z.string().min(1).max(200).optional(),
});

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const numOrNull = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A rollback summary (trip.ts) as the dashboard shows it: counts, and one detail row per item. */
function rollbackJson(rb: Record<string, unknown> | null) {
  if (!rb) return null;
  const conflicts = Array.isArray(rb.conflict_list) ? (rb.conflict_list as Record<string, unknown>[]) : [];
  const irreversible = Array.isArray(rb.irreversible_actions) ? (rb.irreversible_actions as string[]) : [];
  return {
    ...rb,
    restored: numOrNull(rb.restored) ?? 0,
    conflicts: numOrNull(rb.conflicts) ?? 0,
    irreversible: numOrNull(rb.irreversible) ?? 0,
    details: [
      ...conflicts.map((c) => ({ kind: 'conflict' as const, ...c })),
      ...irreversible.map((actionId) => ({ kind: 'irreversible' as const, action_id: actionId })),
    ],
  };
}

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
    query: NoQuery,
  });
  app.get('/v1/breakers', async (req) => {
    await requirePerson(ctx, req, READ_ROLES);
    parseInput(NoQuery, req.query, 'query');
    return { results: await listBreakers(deps) };
  });

  registry.add({
    method: 'GET',
    path: '/v1/breakers/:id/incidents',
    summary: 'Incidents of a breaker, newest first: evidence, recent actions, paused agents, rollback result.',
    tag: 'breakers',
    auth: 'person',
    query: NoQuery,
  });
  registry.add({
    method: 'GET',
    path: '/v1/breakers/:id',
    summary:
      'One breaker: its state per scope, the hourly series of its metric against the baseline (?days, default 7), the trip point, and its incidents with rollback results.',
    tag: 'breakers',
    auth: 'person',
    query: DetailQuery,
  });
  app.get<{ Params: { id: string } }>('/v1/breakers/:id', async (req) => {
    await requirePerson(ctx, req, READ_ROLES);
    const q = parseInput(DetailQuery, req.query, 'query');
    const config = breakerConfig(deps, req.params.id);
    const row = (await listBreakers(deps)).find((b) => b.id === config.id)!;
    if (q.scope !== undefined && !row.scopes.some((sc) => sc.scope === q.scope))
      throw new GatehouseError(
        'invalid_query',
        `breaker ${config.id} has no scope ${q.scope} (scopes: ${row.scopes.map((sc) => sc.scope).join(', ')})`,
      );
    const scope = q.scope ?? (row.scopes.find((sc) => sc.pending_trip) ?? row.scopes[0])?.scope ?? ALL_SCOPE;
    const now = deps.clock.now();
    const points = q.days * 24;
    // An agent scope judges only the samples attributed to the agent: the series shows the same.
    const since = new Date(now.getTime() - (points + 24 * 15) * HOUR_MS - ATTRIBUTION_MS).toISOString();
    const keep = await scopeFilter(deps.storage, scope, since, now.toISOString());
    const [series, incidents] = await Promise.all([
      metricSeries(deps.storage, config, {
        now,
        points,
        agentIds: agentsOfScopeKey(scope, deps.agents.keys()),
        ...(keep ? { keep } : {}),
      }),
      listIncidents(deps, config.id),
    ]);
    const latest = incidents[0];
    const ev = latest && isRecord(latest.evidence) ? latest.evidence : undefined;
    const lastEvaluation = row.scopes.map((sc) => sc.last_evaluation).find((e) => e !== null) ?? null;
    return {
      ...row,
      series_scope: scope,
      last_verdict: lastEvaluation,
      tripped: row.scopes.some((sc) => sc.pending_trip),
      tripped_at: latest?.at ?? null,
      trip_point:
        latest && ev
          ? { at: latest.at, value: numOrNull(ev.value), baseline: numOrNull(ev.baseline_value), scope: latest.scope }
          : null,
      series: series.map((p) => ({
        at: p.at,
        value: p.value,
        baseline: p.baseline,
        numerator: p.numerator,
        denominator: p.denominator,
      })),
      incidents: incidents.map((i) => ({
        id: i.id,
        scope: i.scope,
        opened_at: i.at,
        actor: i.actor,
        evidence: i.evidence,
        rollback: rollbackJson(i.rollback),
      })),
    };
  });

  app.get<{ Params: { id: string } }>('/v1/breakers/:id/incidents', async (req) => {
    await requirePerson(ctx, req, READ_ROLES);
    parseInput(NoQuery, req.query, 'query');
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
