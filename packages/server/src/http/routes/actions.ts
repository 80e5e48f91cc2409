import { ActionRequest as ActionRequestSchema, ActionView } from '@gatehouse/contract';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GatehouseError } from '../../core/errors.js';
import {
  actionView,
  isFinal,
  loadAction,
  outcomeClass,
  submitAction,
  type ActionRequest,
} from '../../core/pipeline/index.js';
import type { Principal } from '../../core/keys.js';
import type { ActionRow } from '../../core/ports/storage.js';
import { requireAgent, requirePerson, type RouteContext } from '../context.js';
import { requireCaller } from '../session-auth.js';
import { parseInput } from '../validate.js';

const STATUS_BY_CLASS = { ok: 200, accepted: 202, refused: 403, halted: 423, limited: 429, failed: 502 } as const;

const GetQuery = z.strictObject({ wait: z.coerce.number().min(0).max(60).optional() });
const ListQuery = z.strictObject({
  agent: z.string().max(200).optional(),
  status: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  after: z.string().max(200).optional(),
});

function toCore(body: z.output<typeof ActionRequestSchema>): ActionRequest {
  return {
    connector: body.connector,
    object: body.object,
    operation: body.operation,
    ...(body.records ? { records: body.records } : {}),
    ...(body.target !== undefined ? { target: body.target } : {}),
    ...(body.params ? { params: body.params } : {}),
    reason: body.reason,
    ...(body.idempotency_key !== undefined ? { idempotencyKey: body.idempotency_key } : {}),
    ...(body.parent_action_id !== undefined ? { parentActionId: body.parent_action_id } : {}),
    ...(body.callback_url !== undefined ? { callbackUrl: body.callback_url } : {}),
  };
}

/** A refused action is still the action; its `error` carries the stable code like every error body. */
function body(view: ReturnType<typeof actionView>, action: ActionRow, requestId: string) {
  const err = action.error as { code: string; message: string } | null;
  return err ? { ...view, error: { code: err.code, message: err.message, request_id: requestId } } : view;
}

/**
 * Who may read actions: an agent key (its own actions only), or a person by key or dashboard
 * session cookie (every action; a person no longer in the config is refused). Ingest keys only
 * push KPI samples.
 */
async function requireReader(ctx: RouteContext, req: FastifyRequest): Promise<Principal> {
  const { principal } = await requireCaller(ctx, req);
  if (principal.kind === 'person') await requirePerson(ctx, req);
  return principal;
}

export function registerActionRoutes(app: FastifyInstance, ctx: RouteContext): void {
  ctx.registry.add({
    method: 'POST',
    path: '/v1/actions',
    summary: 'Submit an action: planned, judged, and executed, shadowed, held for approval or denied.',
    tag: 'actions',
    auth: 'agent',
    body: ActionRequestSchema,
    response: ActionView,
    responses: {
      200: 'Executed',
      202: 'Pending approval or shadowed (observe mode)',
      403: 'Denied (the body is still the action, plus error.code)',
      423: 'Agent paused or breaker open',
      429: 'Rate budget exhausted',
      502: 'The connector failed to apply it',
    },
  });
  app.post('/v1/actions', async (req, reply) => {
    const agent = await requireAgent(ctx, req);
    const input = toCore(parseInput(ActionRequestSchema, req.body, 'body'));
    const result = await submitAction(ctx.deps, agent.id, input);
    const changeset = result.changeset ?? (await loadAction(ctx.deps.storage, result.action.id, 100))?.changeset;
    const approval = result.action.approvalId
      ? await ctx.deps.storage.approvals.get(result.action.approvalId)
      : undefined;
    const view = actionView(result.action, changeset, approval);
    return reply.status(STATUS_BY_CLASS[outcomeClass(result.action)]).send(body(view, result.action, req.id));
  });

  ctx.registry.add({
    method: 'GET',
    path: '/v1/actions/:id',
    summary: 'The current state of an action; ?wait=N holds the request up to N seconds for a change.',
    tag: 'actions',
    auth: 'agent_or_person',
    query: GetQuery,
    response: ActionView,
  });
  app.get<{ Params: { id: string } }>('/v1/actions/:id', async (req) => {
    const principal = await requireReader(ctx, req);
    const { wait } = parseInput(GetQuery, req.query, 'query');
    const read = async () => {
      const found = await loadAction(ctx.deps.storage, req.params.id, 100);
      // Agents see only their own actions; to them, another agent's action does not exist.
      if (
        !found ||
        (principal.kind === 'agent' && found.action.agentId !== principal.id) ||
        principal.kind === 'ingest'
      ) {
        throw new GatehouseError('action_not_found', `no action ${req.params.id}`);
      }
      return found;
    };
    let found = await read();
    const first = found.action.status;
    const deadline = Date.now() + (wait ?? 0) * 1000;
    // Polling shared storage keeps long-polls correct with several instances behind one address.
    while (
      !isFinal(found.action.status) &&
      found.action.status === first &&
      Date.now() < deadline &&
      !req.raw.destroyed
    ) {
      await new Promise((r) => setTimeout(r, 200));
      found = await read();
    }
    const approval = found.action.approvalId
      ? await ctx.deps.storage.approvals.get(found.action.approvalId)
      : undefined;
    return body(actionView(found.action, found.changeset, approval), found.action, req.id);
  });

  ctx.registry.add({
    method: 'GET',
    path: '/v1/actions',
    summary: 'Recent actions, newest first.',
    tag: 'actions',
    auth: 'agent_or_person',
    query: ListQuery,
  });
  app.get('/v1/actions', async (req) => {
    const principal = await requireReader(ctx, req);
    const q = parseInput(ListQuery, req.query, 'query');
    if (principal.kind === 'ingest') throw new GatehouseError('forbidden', 'ingest keys only push KPI samples');
    const agentId = principal.kind === 'agent' ? principal.id : q.agent;
    const rows = await ctx.deps.storage.actions.list({
      ...(agentId ? { agentId } : {}),
      ...(q.status ? { statuses: q.status.split(',') } : {}),
      limit: q.limit,
      ...(q.after ? { afterId: q.after } : {}),
    });
    const last = rows.at(-1);
    return {
      // Listings omit the diff; GET /v1/actions/{id} has it.
      results: rows.map((a) => {
        const { changeset: _omit, ...rest } = actionView(a, undefined);
        return body({ ...rest, changeset: undefined } as never, a, req.id);
      }),
      ...(rows.length === q.limit && last ? { paging: { next: { after: last.id } } } : {}),
    };
  });
}
