/**
 * Persistence of verdicts. Invariant (fail closed): an action's decision, its change set, its
 * approval request and the audit entry that records them are committed in ONE transaction before
 * anything executes; if that commit fails, the caller gets an error and nothing runs.
 */
import { sealEntries } from '../audit/chain.js';
import type { AuditEntryDraft } from '../audit/types.js';
import { actionSummary, approvalSummary, enqueueEvent } from '../notifications/events.js';
import type { ActionRow, ApprovalRow, ChangeRecordRow, Repos } from '../ports/storage.js';
import type { ChangeSet } from './changeset.js';
import type { ActionRequest, AgentDefinition, PipelineDeps, StoredDecision } from './types.js';

export type VerdictStatus = 'denied' | 'shadowed' | 'pending_approval' | 'executing' | 'breaker_open' | 'executed';

export interface Verdict {
  readonly status: VerdictStatus;
  readonly decision: Omit<StoredDecision, 'auditSeq'>;
  readonly changeset?: ChangeSet;
  readonly error?: { readonly code: string; readonly message: string };
  /** Set when the verdict needs people: quorum, role and checklist come from the decision. */
  readonly approval?: { readonly required: number; readonly role: string; readonly checklist: readonly string[] };
  readonly result?: unknown;
}

/** Appends audit entries through the serialised chain head; returns the seq of the first. */
export async function appendAudit(repos: Pick<Repos, 'audit'>, drafts: readonly AuditEntryDraft[]): Promise<number> {
  const rows = await repos.audit.append((head) => sealEntries(head, drafts));
  return rows[0]?.seq ?? 0;
}

export function changeRecordRows(changesetId: string, cs: ChangeSet): ChangeRecordRow[] {
  return cs.records.map((r, idx) => ({
    changesetId,
    idx,
    object: r.object,
    recordId: r.id,
    before: r.before,
    after: r.after,
    fingerprint: r.fingerprint,
    reversibility: r.reversibility,
    noop: r.noop,
  }));
}

class IdempotentReplay extends Error {
  constructor(readonly existing: ActionRow) {
    super('idempotent replay');
  }
}

interface WriteContext {
  readonly deps: PipelineDeps;
  readonly agent: AgentDefinition;
  readonly actionId: string;
  readonly request: ActionRequest;
  readonly from: string | null;
  readonly verdict: Verdict;
  readonly at: string;
}

/**
 * The decision's audit entry, change set, approval and transitions for a verdict; answers the
 * patch for the action row (the caller inserts or updates it in the same transaction). The
 * audit entry goes first so the stored decision can name its seq, and every id is made here, so
 * the action row is written once, already in its verdict's state (the foreign keys are deferred
 * to commit).
 */
async function writeVerdict(tx: Repos, ctx: WriteContext) {
  const { deps, verdict, actionId, at } = ctx;
  const changesetId = verdict.changeset ? deps.newId('cs') : null;
  const approvalId = verdict.approval && verdict.changeset ? deps.newId('apr') : null;
  const req = ctx.request;
  const auditSeq = await appendAudit(tx, [
    {
      at,
      type: ctx.from === null ? 'action.decided' : 'action.replanned',
      actor: `agent:${ctx.agent.id}`,
      subject: actionId,
      data: {
        action_id: actionId,
        agent_id: ctx.agent.id,
        agent_version: ctx.agent.version,
        mode: verdict.decision.mode,
        connector: req.connector,
        object: req.object,
        operation: req.operation,
        target: req.target ?? null,
        reason: req.reason,
        idempotency_key: req.idempotencyKey ?? null,
        changeset_hash: verdict.changeset?.hash ?? null,
        summary: verdict.changeset ? { ...verdict.changeset.summary } : null,
        effect: verdict.decision.effect,
        rules: [...verdict.decision.rules],
        // Policy dry-run: what each dry-run rule would have done, hashed with the rest.
        dry_run: (verdict.decision.dryRun ?? []).map((r) => ({
          rule_id: r.id,
          effect: r.effect,
          matched: r.matched,
          error: r.error ?? null,
        })),
        code: verdict.error?.code ?? null,
        routing: verdict.decision.routing,
        status: verdict.status,
        policy_version: verdict.decision.policyVersion,
        approval_id: approvalId,
      },
    },
  ]);
  if (verdict.changeset && changesetId) {
    const cs = verdict.changeset;
    await tx.changesets.insert(
      {
        id: changesetId,
        actionId,
        hash: cs.hash,
        summary: {
          ...cs.summary,
          object: cs.object,
          operation: cs.operation,
          target: cs.target ?? null,
          missing_ids: cs.missing,
        },
        createdAt: at,
      },
      changeRecordRows(changesetId, cs),
    );
  }
  let approval: ApprovalRow | undefined;
  if (verdict.approval && verdict.changeset && approvalId) {
    const created = deps.clock.now().getTime();
    approval = await tx.approvals.insert({
      id: approvalId,
      actionId,
      changesetHash: verdict.changeset.hash,
      policyVersion: deps.policyVersion,
      agentVersion: ctx.agent.version,
      required: verdict.approval.required,
      role: verdict.approval.role,
      checklist: verdict.approval.checklist,
      status: 'pending',
      expiresAt: new Date(created + deps.approvals.expireAfterMs).toISOString(),
      escalationLevel: 0,
      nextEscalationAt:
        deps.approvals.firstEscalationMs !== undefined
          ? new Date(created + deps.approvals.firstEscalationMs).toISOString()
          : null,
      createdAt: at,
    });
  }
  const decided = {
    actionId,
    from: ctx.from ?? 'proposed',
    to: verdict.status,
    at,
    detail: { routing: verdict.decision.routing, ...(verdict.error ? { code: verdict.error.code } : {}) },
  };
  // One multi-row insert: a new action's `proposed` and its verdict.
  await tx.transitions.append(
    ctx.from === null ? [{ actionId, from: null, to: 'proposed', at, detail: {} }, decided] : decided,
  );
  if (approval) {
    const action = {
      id: actionId,
      agentId: ctx.agent.id,
      request: req,
      status: verdict.status,
      connector: req.connector,
      object: req.object,
      operation: req.operation,
    } as ActionRow;
    await enqueueEvent(tx, deps.notifier, deps.newId, {
      type: 'approval.requested',
      at,
      approval: approvalSummary(approval, verdict.decision.rules),
      action: actionSummary(action, verdict.changeset?.summary),
    });
  }
  return {
    status: verdict.status,
    decision: { ...verdict.decision, auditSeq },
    changesetId,
    approvalId,
    error: verdict.error ?? null,
    result: verdict.result ?? null,
    updatedAt: at,
  };
}

/** `limits.actions_per_minute`: fixed one-minute windows shared through storage (as gates.ts `takeRateBudget`). */
export const rateKey = (agentId: string) => `actions:${agentId}`;
export const rateWindow = (now: Date) => new Date(Math.floor(now.getTime() / 60_000) * 60_000).toISOString();

/**
 * The rate budget, taken inside the decision's transaction (one commit per action, and a budget
 * is never spent on a decision that did not commit). `refuse` is the verdict when it is spent.
 */
export interface RateTake {
  readonly limit: number;
  readonly refuse: (count: number) => Verdict;
}

export type Recorded =
  { inserted: true; action: ActionRow; verdict: Verdict } | { inserted: false; existing: ActionRow };

/**
 * Records a new action with its verdict in ONE transaction: rate budget, audit entry, change
 * set, approval, transitions and the action row (inserted once, in its verdict's state). An
 * idempotency-key race answers the existing action and rolls everything back. The verdict
 * recorded is answered too: it is the rate refusal when the budget ran out meanwhile.
 */
export async function recordNewAction(
  deps: PipelineDeps,
  agent: AgentDefinition,
  actionId: string,
  request: ActionRequest,
  judged: Verdict,
  opts: { rate?: RateTake } = {},
): Promise<Recorded> {
  const at = deps.clock.now().toISOString();
  try {
    return await deps.storage.transaction(async (tx) => {
      let verdict = judged;
      if (opts.rate) {
        const r = await tx.rates.take(rateKey(agent.id), rateWindow(deps.clock.now()), opts.rate.limit);
        if (!r.allowed) verdict = opts.rate.refuse(r.count);
      }
      const patch = await writeVerdict(tx, { deps, agent, actionId, request, from: null, verdict, at });
      const ins = await tx.actions.insert({
        id: actionId,
        agentId: agent.id,
        connector: request.connector,
        object: request.object,
        operation: request.operation,
        status: patch.status,
        idempotencyKey: request.idempotencyKey ?? null,
        request,
        decision: patch.decision,
        result: patch.result,
        error: patch.error,
        changesetId: patch.changesetId,
        approvalId: patch.approvalId,
        parentActionId: request.parentActionId ?? null,
        createdAt: at,
        updatedAt: at,
      });
      if (!ins.inserted) throw new IdempotentReplay(ins.existing);
      return { inserted: true as const, action: ins.row, verdict };
    });
  } catch (e) {
    if (e instanceof IdempotentReplay) return { inserted: false, existing: e.existing };
    throw e;
  }
}

/** Records a fresh verdict for an existing action (re-planned after its records changed). */
export async function recordReplan(
  deps: PipelineDeps,
  agent: AgentDefinition,
  action: ActionRow,
  verdict: Verdict,
  reason: string,
): Promise<ActionRow | undefined> {
  const at = deps.clock.now().toISOString();
  return deps.storage.transaction(async (tx) => {
    // An approval of the old change set approved other bytes: void it, and say why.
    if (action.approvalId) {
      const old = await tx.approvals.get(action.approvalId);
      if (old && (old.status === 'approved' || old.status === 'pending')) {
        await tx.approvals.update(
          old.id,
          { status: 'void', outcome: { outcome: 'void', reason }, nextEscalationAt: null },
          { status: old.status, version: old.version },
        );
        await appendAudit(tx, [
          {
            at,
            type: 'approval.voided',
            actor: 'system',
            subject: old.id,
            data: { approval_id: old.id, action_id: action.id, reason, changeset_hash: old.changesetHash },
          },
        ]);
      }
    }
    const patch = await writeVerdict(tx, {
      deps,
      agent,
      actionId: action.id,
      request: action.request as ActionRequest,
      from: action.status,
      verdict,
      at,
    });
    return tx.actions.update(action.id, patch, { status: action.status, version: action.version });
  });
}

/** Moves an action to a final status with its transition and audit entry, atomically (compare-and-set). */
export async function finishAction(
  deps: PipelineDeps,
  action: ActionRow,
  to: string,
  patch: { result?: unknown; error?: { code: string; message: string } | null },
  audit: { type: string; data: Record<string, unknown> },
): Promise<ActionRow | undefined> {
  const at = deps.clock.now().toISOString();
  return deps.storage.transaction(async (tx) => {
    const updated = await tx.actions.update(
      action.id,
      {
        status: to,
        updatedAt: at,
        ...(patch.result !== undefined ? { result: patch.result } : {}),
        ...(patch.error !== undefined ? { error: patch.error } : {}),
      },
      { status: action.status, version: action.version, row: action },
    );
    if (!updated) return undefined;
    await tx.transitions.append({
      actionId: action.id,
      from: action.status,
      to,
      at,
      detail: patch.error ? { code: patch.error.code } : {},
    });
    await appendAudit(tx, [
      {
        at,
        type: audit.type,
        actor: `agent:${action.agentId}`,
        subject: action.id,
        data: { action_id: action.id, status: to, ...audit.data },
      },
    ]);
    return updated;
  });
}
