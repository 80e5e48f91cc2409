/**
 * Reads made for the control dashboard (docs/dashboard-api.md): the overview of every agent, one
 * agent's page, and the running governance config with its secrets removed. Every route takes a
 * person key or a dashboard session; none changes anything.
 *
 * The overview must stay fast with many agents and many actions: today's counts are one GROUP BY
 * (storage `insights.actionCounts`), pending approvals another, agent states and breaker rows one
 * list each, and the KPI sparklines one series per breaker.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { NotificationConfig } from '../../config/index.js';
import { listBreakers, type BreakerDeps } from '../../core/breakers/service.js';
import { agentsInScope } from '../../core/breakers/scope.js';
import { GatehouseError } from '../../core/errors.js';
import { actionView, agentScope, ALL_SCOPE } from '../../core/pipeline/index.js';
import type { ActionCountRow } from '../../core/ports/storage.js';
import { requirePerson, type RouteContext } from '../context.js';
import { parseInput } from '../validate.js';
import { metricSeries } from './dashboard-series.js';
import { agentJson, agentStates } from './governance.js';

const READ_ROLES = ['admin', 'approver', 'auditor', 'responder'];
const DAY_MS = 86_400_000;
/** A connector that does not answer its health check within this is shown as not ok. */
const HEALTH_TIMEOUT_MS = 1_500;

const NoQuery = z.strictObject({});
const AgentQuery = z.strictObject({
  recent: z.coerce.number().int().min(1).max(200).default(50),
});

export interface OutcomeCounts {
  executed: number;
  denied: number;
  shadowed: number;
  pending_approval: number;
  failed: number;
  rejected: number;
  expired: number;
  revision_requested: number;
  breaker_open: number;
  rolled_back: number;
  /** proposed, approved, executing, stale: on their way. */
  in_progress: number;
  total: number;
}

const emptyCounts = (): OutcomeCounts => ({
  executed: 0,
  denied: 0,
  shadowed: 0,
  pending_approval: 0,
  failed: 0,
  rejected: 0,
  expired: 0,
  revision_requested: 0,
  breaker_open: 0,
  rolled_back: 0,
  in_progress: 0,
  total: 0,
});

function countInto(c: OutcomeCounts, r: ActionCountRow): void {
  const key = r.status as keyof OutcomeCounts;
  if (key !== 'total' && key !== 'in_progress' && key in c) c[key] += r.count;
  else c.in_progress += r.count;
  c.total += r.count;
}

/** Per-agent outcome counts of the actions created since `since`. */
async function outcomesSince(ctx: RouteContext, since: Date, agentId?: string): Promise<Map<string, OutcomeCounts>> {
  const rows = await ctx.deps.storage.insights.actionCounts({
    since: since.toISOString(),
    ...(agentId !== undefined ? { agentId } : {}),
  });
  const out = new Map<string, OutcomeCounts>();
  for (const r of rows) {
    let c = out.get(r.agentId);
    if (!c) out.set(r.agentId, (c = emptyCounts()));
    countInto(c, r);
  }
  return out;
}

const utcMidnight = (now: Date) => new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);

/** Halting: what the pipeline's gate refuses writes for (a breaker open or forced open). */
const HALTING = new Set(['open', 'forced_open']);

type BreakerList = Awaited<ReturnType<typeof listBreakers>>;

/** The breakers covering an agent, with the state of the scope row that covers it. */
function breakersOf(agentId: string, breakers: BreakerList) {
  const out: { id: string; state: string; scope: string }[] = [];
  for (const b of breakers) {
    const scope = b.scopes.find((s) => s.scope === agentScope(agentId) || s.scope === ALL_SCOPE);
    if (scope) out.push({ id: b.id, state: scope.state, scope: scope.scope });
  }
  return out;
}

function statusOf(mode: string, breakers: readonly { state: string }[], pending: number) {
  if (breakers.some((b) => HALTING.has(b.state))) return 'breaker_open' as const;
  if (mode === 'paused') return 'paused' as const;
  if (pending > 0) return 'waiting' as const;
  return 'running' as const;
}

/** Only the host of a URL: paths and query strings may carry tokens. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

function notificationJson(n: NotificationConfig) {
  return n.type === 'webhook'
    ? { type: n.type, target: hostOf(n.url), events: n.events ?? null }
    : { type: n.type, target: n.channel, api_host: hostOf(n.api_base_url) };
}

async function connectorHealth(ctx: RouteContext) {
  return Promise.all(
    [...ctx.deps.connectors].map(async ([id, c]) => {
      const type = ctx.config.connectors[id]?.type ?? 'unknown';
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<{ ok: boolean; detail: string }>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, detail: `no answer within ${HEALTH_TIMEOUT_MS} ms` }),
          HEALTH_TIMEOUT_MS,
        );
      });
      try {
        const h = await Promise.race([
          c.health().catch((e: unknown) => ({ ok: false, detail: e instanceof Error ? e.message : String(e) })),
          timeout,
        ]);
        return { id, type, ok: h.ok, detail: h.detail };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

export function registerDashboardRoutes(app: FastifyInstance, ctx: RouteContext, breakerDeps: BreakerDeps): void {
  const { registry, deps, config } = ctx;

  registry.add({
    method: 'GET',
    path: '/v1/overview',
    summary:
      "Every agent with its mode, status light, today's actions by outcome, pending approvals and breakers; connector health; KPI sparklines.",
    tag: 'dashboard',
    auth: 'person',
    query: NoQuery,
  });
  app.get('/v1/overview', async (req) => {
    await requirePerson(ctx, req, READ_ROLES);
    parseInput(NoQuery, req.query, 'query');
    const now = deps.clock.now();
    const [states, today, pending, breakers, connectors] = await Promise.all([
      agentStates(deps),
      outcomesSince(ctx, utcMidnight(now)),
      deps.storage.insights.pendingApprovalsByAgent(),
      listBreakers(breakerDeps),
      connectorHealth(ctx),
    ]);
    const pendingBy = new Map(pending.map((p) => [p.agentId, p.count]));
    const agents = config.agents.map((a) => {
      const mode = states.modes.get(a.id) ?? a.mode;
      const covering = breakersOf(a.id, breakers);
      const waiting = pendingBy.get(a.id) ?? 0;
      return {
        id: a.id,
        owner: a.owner,
        description: a.description ?? null,
        mode,
        configured_mode: a.mode,
        status: statusOf(mode, covering, waiting),
        today: today.get(a.id) ?? emptyCounts(),
        pending_approvals: waiting,
        breakers: covering,
      };
    });
    const agentIds = [...deps.agents.keys()];
    const kpis = await Promise.all(
      config.breakers.map(async (b) => ({
        metric: b.metric,
        breaker_id: b.id,
        points: (await metricSeries(deps.storage, b, { now, points: 24, agentIds: agentsInScope(b, agentIds) })).map(
          (p) => ({ at: p.at, value: p.value, baseline: p.baseline }),
        ),
      })),
    );
    return { generated_at: now.toISOString(), since: utcMidnight(now).toISOString(), agents, connectors, kpis };
  });

  registry.add({
    method: 'GET',
    path: '/v1/agents/:id',
    summary:
      "One agent: as listed, plus its recent actions, today's and the last 7 days' outcomes, and how often people overrode it.",
    tag: 'agents',
    auth: 'person',
    query: AgentQuery,
  });
  app.get<{ Params: { id: string } }>('/v1/agents/:id', async (req) => {
    await requirePerson(ctx, req, READ_ROLES);
    const q = parseInput(AgentQuery, req.query, 'query');
    const a = config.agents.find((x) => x.id === req.params.id);
    if (!a) throw new GatehouseError('agent_not_found', `no agent '${req.params.id}' in the config`);
    const now = deps.clock.now();
    const [states, today, week, decisions, recent, breakers, pending] = await Promise.all([
      agentStates(deps),
      outcomesSince(ctx, utcMidnight(now), a.id),
      outcomesSince(ctx, new Date(now.getTime() - 7 * DAY_MS), a.id),
      deps.storage.insights.approvalDecisions(a.id),
      deps.storage.actions.list({ agentId: a.id, limit: q.recent }),
      listBreakers(breakerDeps),
      deps.storage.insights.pendingApprovalsByAgent(),
    ]);
    const decided = decisions.approved + decisions.rejected;
    const overridden = decisions.rejected + decisions.edited;
    const base = agentJson(ctx, a, states);
    const covering = breakersOf(a.id, breakers);
    const waiting = pending.find((p) => p.agentId === a.id)?.count ?? 0;
    return {
      ...base,
      status: statusOf(base.mode, covering, waiting),
      pending_approvals: waiting,
      breakers: covering,
      recent_actions: recent.map((row) => {
        // Listings omit the diff (GET /v1/actions/{id} has it); the summary stays.
        const { changeset, ...rest } = actionView(row, undefined);
        return { ...rest, changeset: { summary: changeset.summary } };
      }),
      stats: {
        today: today.get(a.id) ?? emptyCounts(),
        last_7d: week.get(a.id) ?? emptyCounts(),
        override_rate: decided > 0 ? overridden / decided : null,
        approvals_decided: decided,
        approvals_overridden: overridden,
        approvals_approved: decisions.approved,
        approvals_rejected: decisions.rejected - decisions.revised,
        approvals_revised: decisions.revised,
        approvals_edited: decisions.edited,
      },
    };
  });

  registry.add({
    method: 'GET',
    path: '/v1/governance',
    summary:
      'The running configuration without secrets: people and roles, the data-access registry, policies (CEL), checklists, approvals and escalation, breakers, notifications.',
    tag: 'governance',
    auth: 'person',
    query: NoQuery,
  });
  app.get('/v1/governance', async (req) => {
    await requirePerson(ctx, req, READ_ROLES);
    parseInput(NoQuery, req.query, 'query');
    const states = await agentStates(deps);
    return {
      config_version: config.versions.config,
      policy_version: config.versions.policies,
      people: config.people.map((p) => ({ id: p.id, name: p.name, email: p.email, roles: [...p.roles] })),
      roles: Object.fromEntries(
        Object.values(config.roles).map((r) => [
          r.id,
          {
            description: r.description ?? null,
            built_in: r.built_in,
            permissions: [...r.permissions],
            people: config.people.filter((p) => p.roles.includes(r.id)).map((p) => p.id),
          },
        ]),
      ),
      agents: config.agents.map((a) => {
        const j = agentJson(ctx, a, states);
        return {
          id: j.id,
          owner: j.owner,
          description: j.description,
          mode: j.mode,
          configured_mode: j.configured_mode,
          grants: j.grants,
          limits: j.limits,
          operation_modes: j.operation_modes,
        };
      }),
      policies: config.policies.map((p) => ({
        id: p.id,
        when: p.when.source,
        effect: p.effect,
        approvers: p.approvers ?? null,
        checklist: [...p.checklist],
        reason: p.reason ?? null,
        mode: p.mode,
      })),
      checklists: { ...config.checklists },
      approvals: {
        expire_after: config.approvals.expire_after_ms,
        expire_after_ms: config.approvals.expire_after_ms,
        escalation: config.approvals.escalation.map((e) => ({ after_ms: e.after_ms, notify: e.notify })),
      },
      breakers: config.breakers.map((b) => ({
        id: b.id,
        metric: b.metric,
        window_ms: b.window_ms,
        baseline: b.baseline ?? null,
        trip_when: b.trip_when,
        scope: b.scope,
        on_trip: b.on_trip,
        half_open: b.half_open ?? null,
      })),
      connectors: Object.values(config.connectors).map((c) => ({ id: c.id, type: c.type })),
      notifications: config.notifications.map(notificationJson),
    };
  });
}
