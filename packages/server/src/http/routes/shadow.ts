/**
 * Evidence for people: an agent's shadow report, promotion on that evidence, and what dry-run
 * policy rules would have done (docs/shadow-mode.md).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseDuration } from '../../config/duration.js';
import { GatehouseError } from '../../core/errors.js';
import { agentModeOf, auditEventId, knownOperations, loadModes, operationModeOf } from '../../core/pipeline/index.js';
import { dryRunWire, loadDryRunReport } from '../../core/policy/index.js';
import {
  DEFAULT_EVIDENCE_WINDOW_MS,
  DEFAULT_MATCH_WINDOW_MS,
  evidenceWire,
  loadShadowReport,
  MAX_REPORT_SPAN_MS,
  promoteAgent,
  promotionEvidence,
  PROMOTION_TARGETS,
  reportWire,
  type PromoteWhen,
} from '../../core/shadow/index.js';
import { requirePerson, type RouteContext } from '../context.js';
import { parseInput } from '../validate.js';

const READ_ROLES = ['admin', 'approver', 'auditor'];

const Duration = z
  .string()
  .refine((s) => parseDuration(s) !== undefined, 'must be a duration such as 24h, 7d or 14d')
  .transform((s) => parseDuration(s)!)
  .refine((ms) => ms <= MAX_REPORT_SPAN_MS, 'must be at most 3650d');
const OperationKey = z
  .string()
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, "must be 'object.operation', e.g. contacts.update");

const ShadowQuery = z.strictObject({
  since: Duration.optional(),
  window: Duration.optional(),
  operation: OperationKey.optional(),
  bucket: z.enum(['day', 'week']).default('day'),
  examples: z.coerce.number().int().min(0).max(100).default(5),
});

const PromoteBody = z.strictObject({
  to: z.enum(PROMOTION_TARGETS),
  operation: OperationKey.optional(),
  override_reason: z.string().trim().min(1).max(2_000).optional(),
  /** Show the evidence and the verdict; change nothing. */
  dry_run: z.boolean().default(false),
});

const DryRunQuery = z.strictObject({
  since: Duration.default(24 * 3_600_000),
  rule: z.string().min(1).max(100).optional(),
});

export function registerShadowRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { registry, deps } = ctx;
  const criteriaOf = (agentId: string): PromoteWhen | undefined =>
    ctx.config.agents.find((a) => a.id === agentId)?.promote_when;
  const agentOrThrow = (id: string) => {
    if (!deps.agents.has(id)) throw new GatehouseError('agent_not_found', `no agent '${id}' in the config`);
  };

  registry.add({
    method: 'GET',
    path: '/v1/agents/:id/shadow',
    summary:
      "The agent's shadow report: its observe-mode proposals against what people did (agreement, disagreement, missed, unconfirmed; precision, recall, rule adherence with 95% intervals), per operation and per day or week.",
    tag: 'agents',
    auth: 'person',
    query: ShadowQuery,
  });
  app.get<{ Params: { id: string } }>('/v1/agents/:id/shadow', async (req) => {
    await requirePerson(ctx, req, READ_ROLES);
    agentOrThrow(req.params.id);
    const q = parseInput(ShadowQuery, req.query, 'query');
    const criteria = criteriaOf(req.params.id);
    const now = deps.clock.now();
    const report = await loadShadowReport(deps, {
      agentId: req.params.id,
      since: new Date(now.getTime() - (q.since ?? criteria?.window_ms ?? DEFAULT_EVIDENCE_WINDOW_MS)),
      matchWindowMs: q.window ?? criteria?.match_window_ms ?? DEFAULT_MATCH_WINDOW_MS,
      bucket: q.bucket,
      examples: q.examples,
      ...(q.operation !== undefined ? { operation: q.operation } : {}),
    });
    return reportWire(report);
  });

  registry.add({
    method: 'GET',
    path: '/v1/agents/:id/modes',
    summary:
      "The agent's mode and each operation's effective mode, with where it came from (config, run-time change, promotion, breaker demotion).",
    tag: 'agents',
    auth: 'person',
  });
  app.get<{ Params: { id: string } }>('/v1/agents/:id/modes', async (req) => {
    await requirePerson(ctx, req, [...READ_ROLES, 'responder']);
    agentOrThrow(req.params.id);
    const agent = deps.agents.get(req.params.id)!;
    const stored = await loadModes(deps.storage, agent.id);
    const rows = new Map(stored.operations.map((r) => [r.operation, r]));
    return {
      agent_id: agent.id,
      configured_mode: agent.mode,
      mode: agentModeOf(agent, stored.state),
      mode_set_by: stored.state?.updatedBy ?? null,
      operations: knownOperations(agent, stored).map((operation) => {
        const r = operationModeOf(agent, stored, operation);
        const row = r.source === 'operation_runtime' ? rows.get(operation) : undefined;
        return {
          operation,
          mode: r.mode,
          source: r.source,
          configured_mode: agent.operationModes?.[operation] ?? null,
          set_by: row?.updatedBy ?? null,
          set_at: row?.updatedAt ?? null,
          reason: row?.reason ?? null,
        };
      }),
    };
  });

  registry.add({
    method: 'POST',
    path: '/v1/agents/:id/promote',
    summary:
      'Promote an agent (or one object.operation) to gated or autonomous on its shadow evidence. 409 promotion_criteria_not_met lists the failed criteria; an admin may override with override_reason. dry_run: show the evidence only.',
    tag: 'agents',
    auth: 'person',
    body: PromoteBody,
  });
  app.post<{ Params: { id: string } }>('/v1/agents/:id/promote', async (req) => {
    const who = await requirePerson(ctx, req);
    const b = parseInput(PromoteBody, req.body, 'body');
    const input = {
      agentId: req.params.id,
      to: b.to,
      personId: who.person.id,
      roles: who.person.roles,
      ...(b.operation !== undefined ? { operation: b.operation } : {}),
      ...(b.override_reason !== undefined ? { overrideReason: b.override_reason } : {}),
      ...(criteriaOf(req.params.id) ? { criteria: criteriaOf(req.params.id)! } : {}),
    };
    if (b.dry_run) {
      if (!who.person.roles.some((r) => READ_ROLES.includes(r)) && deps.agents.get(req.params.id)?.owner !== who.id)
        throw new GatehouseError('forbidden', `${who.id} needs one of the roles ${READ_ROLES.join(', ')}`);
      return { dry_run: true, ...evidenceWire(await promotionEvidence(deps, input)) };
    }
    const r = await promoteAgent(deps, input);
    return {
      ...evidenceWire(r),
      override_reason: r.override,
      audit_event_id: auditEventId(r.auditSeq),
    };
  });

  registry.add({
    method: 'GET',
    path: '/v1/policies/dry-run',
    summary:
      'What dry_run policy rules would have done on live traffic: per rule, how many of the period’s actions it matched, how many outcomes enforcing it would have changed, and which agents.',
    tag: 'policies',
    auth: 'person',
    query: DryRunQuery,
  });
  app.get('/v1/policies/dry-run', async (req) => {
    await requirePerson(ctx, req, READ_ROLES);
    const q = parseInput(DryRunQuery, req.query, 'query');
    const now = deps.clock.now();
    const report = await loadDryRunReport(deps.storage, {
      since: new Date(now.getTime() - q.since).toISOString(),
      until: new Date(now.getTime() + 1).toISOString(),
      periodLabel: `the last ${formatSince(q.since)}`,
      ...(q.rule !== undefined ? { ruleId: q.rule } : {}),
    });
    const configured = ctx.config.policies.filter((p) => p.mode === 'dry_run').map((p) => p.id);
    // A rule no longer in the config may still have evaluations in the period; a typo has neither.
    if (q.rule !== undefined && report.rules.length === 0 && !ctx.config.policies.some((p) => p.id === q.rule))
      throw new GatehouseError(
        'invalid_query',
        `no policy rule '${q.rule}' in the config (dry_run rules: ${configured.join(', ') || 'none'})`,
      );
    return { ...dryRunWire(report), dry_run_rules: configured };
  });
}

function formatSince(ms: number): string {
  const h = ms / 3_600_000;
  if (h % 24 === 0) return `${h / 24}d`;
  return Number.isInteger(h) ? `${h}h` : `${Math.round(ms / 60_000)}m`;
}
