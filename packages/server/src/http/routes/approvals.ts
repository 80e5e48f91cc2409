import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { countApprovals, decideApproval, previewEdits } from '../../core/approvals/index.js';
import { can } from '../../core/auth/permissions.js';
import { GatehouseError } from '../../core/errors.js';
import { actionView, loadAction } from '../../core/pipeline/index.js';
import type { ApprovalRow, VoteRow } from '../../core/ports/storage.js';
import { requirePerson, type RouteContext } from '../context.js';
import { parseInput } from '../validate.js';

const READ_ROLES = ['admin', 'approver', 'auditor', 'responder'];

const ListQuery = z.strictObject({
  status: z.enum(['pending', 'approved', 'rejected', 'expired', 'void']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after: z.string().max(200).optional(),
});
const DetailQuery = z.strictObject({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export const DecisionBody = z.strictObject({
  decision: z.enum(['approve', 'reject', 'revise']),
  comment: z.string().max(4_000).optional(),
  checklist: z.record(z.string().max(200), z.boolean()).optional(),
  edits: z.record(z.string().max(200), z.record(z.string().max(200), z.string().max(65_536).nullable())).optional(),
});

const PreviewBody = z.strictObject({ edits: DecisionBody.shape.edits.unwrap() });

function approvalJson(
  a: ApprovalRow,
  votes: readonly VoteRow[],
  ownerId: string,
  descriptions: Readonly<Record<string, string>>,
) {
  const items = Array.isArray(a.checklist) ? (a.checklist as string[]) : [];
  return {
    id: a.id,
    action_id: a.actionId,
    status: a.status,
    required: a.required,
    approvals: countApprovals(votes, a, ownerId),
    role: a.role,
    checklist: items.map((id) => ({ id, description: descriptions[id] ?? id })),
    changeset_hash: a.changesetHash,
    policy_version: a.policyVersion,
    agent_version: a.agentVersion,
    expires_at: a.expiresAt,
    escalation_level: a.escalationLevel,
    created_at: a.createdAt,
    decided_at: a.decidedAt,
    outcome: a.outcome,
    votes: votes.map((v) => ({
      person: v.personId,
      decision: v.decision,
      comment: v.comment,
      at: v.at,
      edited: v.edits !== null,
    })),
  };
}

export function registerApprovalRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { registry, deps } = ctx;
  const ownerOf = (agentId: string) => deps.agents.get(agentId)?.owner ?? '';

  registry.add({
    method: 'GET',
    path: '/v1/approvals',
    summary: 'Approval requests, oldest first (?status=pending).',
    tag: 'approvals',
    auth: 'person',
    query: ListQuery,
  });
  app.get('/v1/approvals', async (req) => {
    await requirePerson(ctx, req, READ_ROLES);
    const q = parseInput(ListQuery, req.query, 'query');
    const rows = await deps.storage.approvals.list({
      ...(q.status ? { status: q.status } : {}),
      limit: q.limit,
      ...(q.after ? { afterId: q.after } : {}),
    });
    const results = [];
    for (const a of rows) {
      const action = await deps.storage.actions.get(a.actionId);
      const votes = await deps.storage.approvals.listVotes(a.id);
      // The change set's summary, so the inbox can sort by risk (irreversible, size) without the diff.
      const cs = action?.changesetId ? await deps.storage.changesets.get(action.changesetId) : undefined;
      results.push({
        ...approvalJson(a, votes, ownerOf(action?.agentId ?? ''), ctx.config.checklists),
        agent: action?.agentId ?? null,
        operation: action ? `${action.object}.${action.operation}` : null,
        reason: (action?.request as { reason?: string } | undefined)?.reason ?? null,
        summary: cs?.summary ?? null,
        rules: [...((action?.decision as { rules?: string[] } | null)?.rules ?? [])],
      });
    }
    const last = rows.at(-1);
    return { results, ...(rows.length === q.limit && last ? { paging: { next: { after: last.id } } } : {}) };
  });

  registry.add({
    method: 'GET',
    path: '/v1/approvals/:id',
    summary:
      'An approval with the action, its field-level diff (paged by ?offset&limit), the rules that asked, checklist and votes.',
    tag: 'approvals',
    auth: 'person',
    query: DetailQuery,
  });
  app.get<{ Params: { id: string } }>('/v1/approvals/:id', async (req) => {
    await requirePerson(ctx, req, READ_ROLES);
    const q = parseInput(DetailQuery, req.query, 'query');
    const a = await deps.storage.approvals.get(req.params.id);
    if (!a) throw new GatehouseError('approval_not_found', `no approval ${req.params.id}`);
    const found = await loadAction(deps.storage, a.actionId, q.offset + q.limit);
    if (!found) throw new GatehouseError('approval_not_found', `approval ${a.id} has no action`);
    const votes = await deps.storage.approvals.listVotes(a.id);
    const view = actionView(
      found.action,
      found.changeset ? { ...found.changeset, records: found.changeset.records.slice(q.offset) } : undefined,
    );
    return {
      ...approvalJson(a, votes, ownerOf(found.action.agentId), ctx.config.checklists),
      // The parts the approval page shows first, lifted from the action for convenience.
      agent: view.agent,
      operation: `${view.object}.${view.operation}`,
      reason: view.reason,
      rules: view.decision.rules,
      reasons: view.decision.reasons,
      preflight: view.decision.checks ?? null,
      changeset: view.changeset,
      action: view,
      records_offset: q.offset,
      records_total: (found.changeset?.summary.records ?? 0) + (found.changeset?.summary.noop ?? 0),
    };
  });

  registry.add({
    method: 'POST',
    path: '/v1/approvals/:id/decision',
    summary:
      'Approve (every checklist item ticked), reject or request revision (with a comment returned to the agent); edits = approve-with-edits, re-planned and re-judged.',
    tag: 'approvals',
    auth: 'person',
    body: DecisionBody,
    responses: {
      200: 'Decision recorded; the body says whether quorum was reached and what happened to the action',
      403: 'Not an approver for this role, or the agent owner (separation of duties)',
      409: 'Already decided, already voted, or void (policy/agent changed)',
      422: 'Checklist incomplete, or the edit is refused by policy',
    },
  });
  app.post<{ Params: { id: string } }>('/v1/approvals/:id/decision', async (req) => {
    const who = await requirePerson(ctx, req);
    const b = parseInput(DecisionBody, req.body, 'body');
    const out = await decideApproval(deps, {
      approvalId: req.params.id,
      personId: who.id,
      decision: b.decision,
      ...(b.comment !== undefined ? { comment: b.comment } : {}),
      ...(b.checklist ? { checklist: b.checklist } : {}),
      ...(b.edits ? { edits: b.edits } : {}),
      channel: who.via === 'session' ? 'dashboard' : 'api',
    });
    // Execution may have moved things on (a stale change set voids the approval): answer what is true now.
    const approvalNow = (await deps.storage.approvals.get(out.approval.id)) ?? out.approval;
    const votes = await deps.storage.approvals.listVotes(out.approval.id);
    const found = await loadAction(deps.storage, out.action.id, 100);
    return {
      result: out.type,
      approval: approvalJson(approvalNow, votes, ownerOf(out.action.agentId), ctx.config.checklists),
      action: actionView(found?.action ?? out.action, found?.changeset),
    };
  });

  registry.add({
    method: 'POST',
    path: '/v1/approvals/:id/preview',
    summary:
      'approve-with-edits, previewed: the re-planned change set and the re-judged decision for these edits. Records nothing (approver).',
    tag: 'approvals',
    auth: 'person',
    body: PreviewBody,
    responses: {
      200: 'The change set and decision approving with these edits would produce; refused: true when the decision would refuse the edit',
      403: 'Not a person who may decide approvals',
      409: 'The approval is no longer pending',
      422: 'edit_denied: the edits name records outside the action, or the action has no record values',
    },
  });
  app.post<{ Params: { id: string } }>('/v1/approvals/:id/preview', async (req) => {
    const who = await requirePerson(ctx, req);
    if (!can(who.person, 'approvals.decide', ctx.config))
      throw new GatehouseError('forbidden', `${who.id} may not decide approvals (permission approvals.decide)`);
    const b = parseInput(PreviewBody, req.body, 'body');
    const p = await previewEdits(deps, { approvalId: req.params.id, edits: b.edits });
    const j = p.judgement;
    const view = actionView(p.action, j.changeset);
    return {
      approval_id: p.approval.id,
      action_id: p.action.id,
      /** The hash the approval is bound to now; approving with the edits binds it to changeset.hash. */
      current_changeset_hash: p.approval.changesetHash,
      changeset: view.changeset,
      decision:
        j.type === 'judged'
          ? {
              effect: j.decision.effect,
              rules: [...j.decision.rules],
              reasons: [...j.decision.reasons],
              approvers: j.decision.approvers ?? [],
            }
          : { effect: 'deny' as const, rules: [], reasons: [j.message], code: j.code, details: j.details },
      preflight: j.type === 'judged' ? (j.checks ?? null) : (j.details.checks ?? null),
      required: p.required,
      refused: p.refused,
    };
  });
}
