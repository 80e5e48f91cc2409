/** People-facing reads and controls: agents and their modes, the audit log, KPI intake (breakers: breakers.ts). */
import { KpiBatch } from '@gatehouse/contract';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { GatehouseError } from '../../core/errors.js';
import { auditEventId, effectiveMode } from '../../core/pipeline/index.js';
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
const AuditQuery = z.strictObject({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
});

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
    const results = [];
    for (const a of ctx.config.agents) {
      const def = deps.agents.get(a.id);
      const state = await deps.storage.agents.get(a.id);
      results.push({
        id: a.id,
        owner: a.owner,
        description: a.description ?? null,
        configured_mode: a.mode,
        mode: def ? await effectiveMode(deps.storage, def) : a.mode,
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
      });
    }
    return { results };
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
    summary: 'Audit entries in order (auditor, admin).',
    tag: 'audit',
    auth: 'person',
    query: AuditQuery,
  });
  app.get('/v1/audit', async (req) => {
    await requirePerson(ctx, req, AUDIT_ROLES);
    const q = parseInput(AuditQuery, req.query, 'query');
    const rows = await deps.storage.audit.list({ afterSeq: q.after, limit: q.limit });
    const last = rows.at(-1);
    return {
      results: rows.map((e) => ({
        id: auditEventId(e.seq),
        seq: e.seq,
        at: e.at,
        type: e.type,
        actor: e.actor,
        subject: e.subject,
        data: e.data,
        prev_hash: e.prevHash,
        hash: e.hash,
      })),
      ...(rows.length === q.limit && last ? { paging: { next: { after: String(last.seq) } } } : {}),
    };
  });

  registry.add({
    method: 'GET',
    path: '/v1/audit/verify',
    summary: 'Verify the hash chain and signed checkpoints.',
    tag: 'audit',
    auth: 'person',
  });
  app.get('/v1/audit/verify', async (req) => {
    await requirePerson(ctx, req, AUDIT_ROLES);
    const r = await ctx.audit.verify();
    return {
      ok: r.ok,
      entries: r.entries,
      checkpoints: r.checkpoints,
      ...(r.lastCheckpoint ? { last_checkpoint: r.lastCheckpoint } : {}),
      problems: r.problems,
    };
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
