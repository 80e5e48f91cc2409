/** People-facing reads and controls: agents and their modes, the audit log, KPI intake (breakers: breakers.ts). */
import { KpiBatch } from '@gatehouse/contract';
import type { FastifyInstance } from 'fastify';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { z } from 'zod';
import { GatehouseError } from '../../core/errors.js';
import type { AgentConfig } from '../../config/index.js';
import { auditEventId, effectiveMode } from '../../core/pipeline/index.js';
import type { AgentMode, AuditEntry } from '../../core/ports/storage.js';
import { exportJsonl } from '../../adapters/audit/export.js';
import { setAgentMode } from '../../core/governance.js';
import { requirePrincipal } from '../app.js';
import { requirePerson, type RouteContext } from '../context.js';
import { parseInput } from '../validate.js';

const READ_ROLES = ['admin', 'approver', 'auditor', 'responder'];
const AUDIT_ROLES = ['admin', 'auditor'];

const ModeBody = z.strictObject({
  mode: z.enum(['observe', 'gated', 'autonomous', 'paused']),
  comment: z.string().max(2_000).optional(),
});
const isoTime = z
  .string()
  .max(40)
  .refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO-8601 time, e.g. 2026-01-05T09:00:00Z')
  .transform((v) => new Date(v).toISOString());
const id = z.string().min(1).max(200);
const AuditQuery = z.strictObject({
  after: z.coerce.number().int().min(0).default(0),
  /** Newest first below this seq (`order=desc`). */
  before: z.coerce.number().int().min(1).optional(),
  order: z.enum(['asc', 'desc']).default('asc'),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  agent: id.optional(),
  person: id.optional(),
  action: id.optional(),
  /** Exact type, or a prefix ending in '.' (`action.`); a bare family name (`action`) means its prefix. */
  type: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[a-z_.]+$/, 'letters, "_" and "." only')
    .optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
  q: z.string().min(1).max(200).optional(),
});
const ExportQuery = z.strictObject({ format: z.enum(['jsonl']).default('jsonl') });

/** Families of audit types: `type=action` means every `action.*` entry. */
const AUDIT_FAMILIES = new Set(['action', 'approval', 'breaker', 'agent', 'session', 'key', 'person', 'rollback']);

const auditJson = (e: AuditEntry) => ({
  id: auditEventId(e.seq),
  seq: e.seq,
  at: e.at,
  type: e.type,
  actor: e.actor,
  subject: e.subject,
  data: e.data,
  prev_hash: e.prevHash,
  hash: e.hash,
});

/** Every agent's run-time state (one read), as `effectiveMode` reads it. */
export async function agentStates(deps: RouteContext['deps']) {
  const rows = new Map((await deps.storage.agents.list()).map((r) => [r.id, r]));
  const modes = new Map<string, AgentMode>();
  const lookup = { ...deps.storage.agents, get: (id: string) => Promise.resolve(rows.get(id)) };
  for (const [id, def] of deps.agents) modes.set(id, await effectiveMode({ agents: lookup }, def));
  return { rows, modes };
}

/** An agent as `GET /v1/agents` lists it (the dashboard's overview and agent page reuse it). */
export function agentJson(ctx: RouteContext, a: AgentConfig, states: Awaited<ReturnType<typeof agentStates>>) {
  const state = states.rows.get(a.id);
  return {
    id: a.id,
    owner: a.owner,
    description: a.description ?? null,
    configured_mode: a.mode,
    mode: states.modes.get(a.id) ?? a.mode,
    mode_set_by: state?.updatedBy ?? null,
    mode_set_at: state?.updatedAt ?? null,
    version: ctx.config.versions.agents[a.id],
    grants: a.grants.map((g) => ({
      connector: g.connector,
      objects: g.objects,
      operations: g.operations,
      read_fields: g.read_fields ?? null,
      write_fields: g.write_fields ?? [],
      where: g.where?.source ?? null,
      pii: g.pii,
    })),
    limits: a.limits,
    operation_modes: a.operation_modes,
  };
}

export interface GovernanceHooks {
  /** Called after KPI samples are stored, with the metrics they carry (breakers judge them at once). */
  readonly kpisStored?: (metrics: readonly string[]) => Promise<unknown>;
}

export function registerGovernanceRoutes(app: FastifyInstance, ctx: RouteContext, hooks: GovernanceHooks = {}): void {
  const { registry, deps } = ctx;

  registry.add({
    method: 'GET',
    path: '/v1/agents',
    summary: 'Agents with their configured and effective modes.',
    tag: 'agents',
    auth: 'person',
  });
  app.get('/v1/agents', async (req) => {
    await requirePerson(ctx, req, READ_ROLES);
    const states = await agentStates(deps);
    return { results: ctx.config.agents.map((a) => agentJson(ctx, a, states)) };
  });

  registry.add({
    method: 'POST',
    path: '/v1/agents/:id/mode',
    summary: "Change an agent's mode (admin).",
    tag: 'agents',
    auth: 'person',
    body: ModeBody,
  });
  app.post<{ Params: { id: string } }>('/v1/agents/:id/mode', async (req) => {
    const who = await requirePerson(ctx, req, ['admin']);
    const b = parseInput(ModeBody, req.body, 'body');
    const r = await setAgentMode(deps, {
      agentId: req.params.id,
      mode: b.mode,
      actor: `person:${who.id}`,
      ...(b.comment ? { comment: b.comment } : {}),
    });
    return { id: r.agentId, mode: r.to, previous_mode: r.from, audit_event_id: auditEventId(r.auditSeq) };
  });

  registry.add({
    method: 'GET',
    path: '/v1/audit',
    summary:
      'Audit entries in seq order (or newest first, order=desc), filtered by agent, person, action, type, time and free text q (auditor, admin).',
    tag: 'audit',
    auth: 'person',
    query: AuditQuery,
  });
  app.get('/v1/audit', async (req) => {
    await requirePerson(ctx, req, AUDIT_ROLES);
    const q = parseInput(AuditQuery, req.query, 'query');
    const desc = q.order === 'desc';
    const type = q.type && AUDIT_FAMILIES.has(q.type) ? `${q.type}.` : q.type;
    const rows = await deps.storage.insights.searchAudit({
      limit: q.limit,
      order: q.order,
      ...(q.after > 0 ? { afterSeq: q.after } : {}),
      ...(q.before !== undefined ? { beforeSeq: q.before } : {}),
      ...(type !== undefined ? { type } : {}),
      ...(q.from !== undefined ? { from: q.from } : {}),
      ...(q.to !== undefined ? { to: q.to } : {}),
      ...(q.agent !== undefined ? { agentId: q.agent } : {}),
      ...(q.person !== undefined ? { personId: q.person } : {}),
      ...(q.action !== undefined ? { actionId: q.action } : {}),
      ...(q.q !== undefined ? { text: q.q } : {}),
    });
    const last = rows.at(-1);
    const next = last ? (desc ? { before: String(last.seq) } : { after: String(last.seq) }) : undefined;
    return {
      results: rows.map(auditJson),
      ...(rows.length === q.limit && next ? { paging: { next } } : {}),
    };
  });

  registry.add({
    method: 'GET',
    path: '/v1/audit/verify',
    summary: 'Verify the hash chain and signed checkpoints; the last valid checkpoint and every problem found.',
    tag: 'audit',
    auth: 'person',
  });
  app.get('/v1/audit/verify', async (req) => {
    await requirePerson(ctx, req, AUDIT_ROLES);
    const r = await ctx.audit.verify();
    const cp = r.lastCheckpoint;
    return {
      ok: r.ok,
      entries: r.entries,
      checkpoints: r.checkpoints,
      // snake_case for the dashboard; the camelCase fields stay for earlier callers.
      last_checkpoint: cp ? { ...cp, key_id: cp.keyId, last_entry_seq: cp.lastEntrySeq } : null,
      uncovered_entries: r.uncoveredEntries,
      problems: r.problems,
      more_problems: r.moreProblems,
    };
  });

  registry.add({
    method: 'GET',
    path: '/v1/audit/export',
    summary:
      'The whole audit log as JSON Lines (docs/audit-log-format.md), checkpoints included; verifiable offline with the public key (auditor, admin).',
    tag: 'audit',
    auth: 'person',
    query: ExportQuery,
    responses: { 200: 'application/x-ndjson attachment' },
  });
  app.get('/v1/audit/export', async (req, reply) => {
    await requirePerson(ctx, req, AUDIT_ROLES);
    parseInput(ExportQuery, req.query, 'query');
    const checkpoints = await deps.storage.audit.listCheckpoints();
    const day = deps.clock.now().toISOString().slice(0, 10);
    const out = new PassThrough();
    // Streamed: a large log never sits in memory. A failure mid-way ends the download short,
    // which the verifier reports (the last checkpoint no longer matches).
    exportJsonl(
      deps.storage.audit.iterate({ batchSize: 2000 }),
      async (line) => {
        if (!out.write(line)) await once(out, 'drain');
      },
      { checkpoints },
    )
      .then(() => out.end())
      .catch((e: unknown) => {
        req.log.error({ err: e }, 'audit export failed');
        out.destroy(e as Error);
      });
    return reply
      .header('content-type', 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="gatehouse-audit-${day}.jsonl"`)
      .header('cache-control', 'no-store')
      .send(out);
  });

  registry.add({
    method: 'POST',
    path: '/v1/kpis',
    summary: 'Push KPI samples (counts per period); idempotent by (metric, dims, at).',
    tag: 'kpis',
    auth: 'ingest',
    body: KpiBatch,
  });
  app.post('/v1/kpis', async (req) => {
    const p = await requirePrincipal(ctx.auth, req);
    if (p.kind === 'agent')
      throw new GatehouseError('forbidden', 'KPI samples come from ingest or person keys, not agents');
    const b = parseInput(KpiBatch, req.body, 'body');
    const samples = b.samples.map((s) => ({
      metric: s.metric,
      value: s.value,
      at: new Date(s.at).toISOString(),
      dims: s.dims,
    }));
    const stored = await deps.storage.kpis.insertSamples(samples);
    // A breaching sample halts the scope before this answers: the evaluation commits the open row.
    if (stored > 0) await hooks.kpisStored?.([...new Set(samples.map((s) => s.metric))]);
    return { accepted: samples.length, stored, duplicates: samples.length - stored };
  });
}
