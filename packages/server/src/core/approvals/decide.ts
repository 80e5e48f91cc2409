/**
 * A person's decision on an approval request. Invariants (docs/approval-lifecycle.md):
 * - only people with the approval's role decide; the agent's owner never counts (separation of
 *   duties); nobody votes twice on one approval;
 * - approving needs every checklist item ticked; the ticks are recorded with the vote;
 * - a vote approves one change set hash; approve-with-edits re-plans and re-judges the edited
 *   change (a deny refuses the edit) and earlier votes for the old bytes stop counting;
 * - policy and agent versions must still be those the approval was bound to, else it is void and
 *   the action is re-planned;
 * - a decided approval cannot be decided again; concurrent final votes resolve to one outcome.
 */
import { GatehouseError } from '../errors.js';
import { buildChangeSet } from '../pipeline/changeset.js';
import { executeAction, replanAction } from '../pipeline/execute.js';
import { effectiveMode } from '../pipeline/gates.js';
import { judge, type Judgement } from '../pipeline/judge.js';
import { loadChangeSet } from '../pipeline/load.js';
import { appendAudit, changeRecordRows } from '../pipeline/record.js';
import { agentFor } from '../pipeline/submit.js';
import type { ActionRequest, AgentDefinition, PipelineDeps } from '../pipeline/types.js';
import type { Decision } from '../policy/index.js';
import type { ActionRow, ApprovalRow, Repos, VoteRow } from '../ports/storage.js';
import { finalizeApproval, finalizeIn, reportEnded, type Outcome } from './finalize.js';

export type Channel = 'api' | 'cli' | 'dashboard' | 'slack';

export interface DecisionInput {
  readonly approvalId: string;
  readonly personId: string;
  readonly decision: 'approve' | 'reject' | 'revise';
  readonly comment?: string;
  readonly checklist?: Readonly<Record<string, boolean>>;
  /** approve-with-edits: record id → property → new after-value */
  readonly edits?: Readonly<Record<string, Readonly<Record<string, string | null>>>>;
  readonly channel: Channel;
  readonly channelUser?: string;
}

export type DecisionOutcome =
  | {
      readonly type: 'vote_recorded';
      readonly approval: ApprovalRow;
      readonly action: ActionRow;
      readonly approvals: number;
      readonly required: number;
    }
  | {
      readonly type: 'approved' | 'rejected' | 'revision_requested';
      readonly approval: ApprovalRow;
      readonly action: ActionRow;
    };

interface VoteBinding {
  items: Record<string, boolean>;
  changeset_hash: string;
}

export const APPROVAL_CODES = {
  notFound: 'approval_not_found',
  forbidden: 'forbidden',
  separationOfDuties: 'separation_of_duties',
  alreadyDecided: 'already_decided',
  alreadyVoted: 'already_voted',
  checklistIncomplete: 'checklist_incomplete',
  editDenied: 'edit_denied',
  void: 'approval_void',
} as const;

async function load(deps: PipelineDeps, approvalId: string): Promise<{ approval: ApprovalRow; action: ActionRow }> {
  const approval = await deps.storage.approvals.get(approvalId);
  if (!approval) throw new GatehouseError(APPROVAL_CODES.notFound, `no approval ${approvalId}`);
  const action = await deps.storage.actions.get(approval.actionId);
  if (!action) throw new GatehouseError(APPROVAL_CODES.notFound, `approval ${approvalId} has no action`);
  return { approval, action };
}

function checkDecider(deps: PipelineDeps, approval: ApprovalRow, agent: AgentDefinition, personId: string): void {
  const person = deps.people?.get(personId);
  if (!person) throw new GatehouseError(APPROVAL_CODES.forbidden, `'${personId}' is not a person in the config`);
  if (person.canDecide === false) {
    throw new GatehouseError(
      APPROVAL_CODES.forbidden,
      `${personId} has no role that may decide approvals (permission approvals.decide)`,
    );
  }
  if (!person.roles.includes(approval.role)) {
    throw new GatehouseError(
      APPROVAL_CODES.forbidden,
      `${personId} does not have the role '${approval.role}' this approval needs`,
    );
  }
  if (agent.owner === personId) {
    throw new GatehouseError(
      APPROVAL_CODES.separationOfDuties,
      `${personId} owns ${agent.id}; an agent's owner never approves that agent's actions`,
    );
  }
}

/** The people whose approving votes count: for the current change set, distinct, never the owner. */
export function votersFor(votes: readonly VoteRow[], approval: ApprovalRow, ownerId: string): string[] {
  const counted = new Set<string>();
  for (const v of votes) {
    const binding = v.checklist as Partial<VoteBinding> | null;
    if (v.decision === 'approve' && v.personId !== ownerId && binding?.changeset_hash === approval.changesetHash) {
      counted.add(v.personId);
    }
  }
  return [...counted];
}

export function countApprovals(votes: readonly VoteRow[], approval: ApprovalRow, ownerId: string): number {
  return votersFor(votes, approval, ownerId).length;
}

export async function decideApproval(
  deps: PipelineDeps,
  input: DecisionInput,
  opts: { execute?: boolean } = {},
): Promise<DecisionOutcome> {
  const { approval, action } = await load(deps, input.approvalId);
  const agent = agentFor(deps, action.agentId);
  if (approval.status !== 'pending') {
    throw new GatehouseError(APPROVAL_CODES.alreadyDecided, `approval ${approval.id} is already ${approval.status}`, {
      details: { status: approval.status },
    });
  }
  const now = deps.clock.now();
  if (new Date(approval.expiresAt) <= now) {
    await finalizeApproval(deps, approval, action, 'expired', { by: [], comment: null, actor: 'system' });
    throw new GatehouseError(
      APPROVAL_CODES.alreadyDecided,
      `approval ${approval.id} expired at ${approval.expiresAt}; expiry is a rejection`,
      { details: { status: 'expired' } },
    );
  }
  checkDecider(deps, approval, agent, input.personId);

  // Bound to the rules in force when it was requested: a changed policy or agent voids it.
  if (approval.policyVersion !== deps.policyVersion || approval.agentVersion !== agent.version) {
    const what = approval.policyVersion !== deps.policyVersion ? 'the policies' : `${agent.id}'s configuration`;
    const reason = `${what} changed since approval ${approval.id} was requested`;
    const voided = await finalizeApproval(deps, approval, action, 'void', {
      by: [],
      comment: null,
      actor: `person:${input.personId}`,
      reason,
    });
    const replanned = voided ? await replanAction(deps, agent, voided.action, { reason, replans: 0 }) : undefined;
    throw new GatehouseError(APPROVAL_CODES.void, `${reason}; the action was planned and judged again`, {
      details: {
        action_status: replanned?.action.status ?? null,
        new_approval_id: replanned?.action.approvalId ?? null,
      },
    });
  }

  const items = Array.isArray(approval.checklist) ? (approval.checklist as string[]) : [];
  if (input.decision === 'approve') {
    const missing = items.filter((i) => input.checklist?.[i] !== true);
    if (missing.length > 0) {
      throw new GatehouseError(
        APPROVAL_CODES.checklistIncomplete,
        `tick every checklist item to approve; missing: ${missing.join(', ')}`,
        { details: { missing } },
      );
    }
  } else if (input.edits) {
    throw new GatehouseError('invalid_request', 'edits go with decision "approve" (approve-with-edits)');
  }
  if (input.decision !== 'approve' && !input.comment?.trim()) {
    throw new GatehouseError(
      'invalid_request',
      `a ${input.decision === 'reject' ? 'rejection' : 'revision request'} needs a comment: it is returned to the agent`,
    );
  }

  const edited =
    input.edits && Object.keys(input.edits).length > 0 ? await planEdits(deps, agent, action, input.edits) : undefined;
  const at = now.toISOString();
  // The vote, the tally and the outcome it decides commit together, in one transaction: a
  // decisive vote is never recorded without its outcome, whatever else happens meanwhile (an
  // edit by another approver, an escalation, a crash between two transactions).
  const done = await deps.storage.transaction(async (tx) => {
    // Claim the approval first: the compare-and-set bumps its version and, on PostgreSQL, locks
    // the row until commit, so concurrent decisions on one approval run one after another and each
    // sees the votes and edits of those before it (SQLite runs one writer at a time anyway).
    const claimed = await tx.approvals.update(approval.id, {}, { status: 'pending' });
    if (!claimed) {
      throw new GatehouseError(
        APPROVAL_CODES.alreadyDecided,
        `approval ${approval.id} was decided meanwhile; reload it`,
      );
    }
    const current = edited
      ? await recordEdit(deps, tx, { approval: claimed, action, edited, personId: input.personId, at })
      : claimed;
    const binding: VoteBinding = { items: { ...(input.checklist ?? {}) }, changeset_hash: current.changesetHash };
    const voted = await tx.approvals.addVote({
      approvalId: current.id,
      personId: input.personId,
      decision: input.decision,
      comment: input.comment ?? null,
      checklist: binding,
      edits: input.edits ?? null,
      changesetHash: current.changesetHash,
      at,
    });
    if (voted) {
      await appendAudit(tx, [
        {
          at,
          type: 'approval.voted',
          actor: `person:${input.personId}`,
          subject: current.id,
          data: {
            approval_id: current.id,
            action_id: action.id,
            person_id: input.personId,
            decision: input.decision,
            comment: input.comment ?? null,
            checklist: binding.items,
            changeset_hash: binding.changeset_hash,
            edits: input.edits ?? null,
            channel: input.channel,
            channel_user: input.channelUser ?? null,
          },
        },
      ]);
    }
    const votes = await tx.approvals.listVotes(current.id);
    // The vote this decision stands on: the new one or, for a repeat, the person's earlier vote on
    // these bytes. An earlier vote may have been recorded without its outcome (data written
    // before votes and outcomes shared a transaction): the repeat finishes it.
    const own = voted
      ? { decision: input.decision, comment: input.comment ?? null }
      : votes.find((v) => v.personId === input.personId && v.changesetHash === current.changesetHash);
    const ended = await tally(deps, tx, agent, {
      approval: current,
      action,
      votes,
      vote: own ? { personId: input.personId, decision: own.decision, comment: own.comment } : undefined,
      at,
    });
    if (!voted && ended.type === 'vote_recorded') {
      throw new GatehouseError(
        APPROVAL_CODES.alreadyVoted,
        `${input.personId} already voted on approval ${approval.id}`,
      );
    }
    return ended;
  });
  if (edited) deps.observer?.approvalEdited?.({ agentId: agent.id });
  if (done.type === 'vote_recorded') return done;
  reportEnded(deps, done, done.type === 'revision_requested' ? 'revise' : done.type);
  if (done.type !== 'approved' || opts.execute === false) return done;
  return { ...done, action: await executeApproved(deps, agent, done.action) };
}

const OUTCOME_TYPE = { rejected: 'rejected', revise: 'revision_requested', approved: 'approved' } as const;

/**
 * Inside the decision's transaction: what the recorded votes decide. A rejection or a revision
 * request ends the approval; approving votes end it once enough distinct people (never the
 * owner) approved the current change set.
 */
async function tally(
  deps: PipelineDeps,
  tx: Repos,
  agent: AgentDefinition,
  t: {
    approval: ApprovalRow;
    action: ActionRow;
    votes: readonly VoteRow[];
    vote: { personId: string; decision: string; comment: string | null } | undefined;
    at: string;
  },
): Promise<DecisionOutcome> {
  const { approval, action, votes, vote, at } = t;
  const approvals = countApprovals(votes, approval, agent.owner);
  const outcome: Outcome | undefined =
    vote?.decision === 'reject'
      ? 'rejected'
      : vote?.decision === 'revise'
        ? 'revise'
        : approvals >= approval.required
          ? 'approved'
          : undefined;
  if (outcome && vote) {
    const by = outcome === 'approved' ? votersFor(votes, approval, agent.owner) : [vote.personId];
    const info = { by, comment: vote.comment, actor: `person:${vote.personId}` };
    // The approval was claimed in this transaction, so it is still pending at this version.
    const ended = await finalizeIn(tx, deps, { approval, action, outcome, info, at });
    if (!ended) throw new Error(`approval ${approval.id} changed inside the transaction that claimed it`);
    return { type: OUTCOME_TYPE[outcome], ...ended };
  }
  const fresh = (await tx.actions.get(action.id)) ?? action;
  return { type: 'vote_recorded', approval, action: fresh, approvals, required: approval.required };
}

/**
 * approve-with-edits: the approval now binds to the edited bytes. Votes are per change set hash,
 * so earlier votes (for the old bytes) stop counting and everyone — the earlier approvers
 * included — votes again on what will actually run.
 */
async function recordEdit(
  deps: PipelineDeps,
  tx: Repos,
  e: { approval: ApprovalRow; action: ActionRow; edited: EditedPlan; personId: string; at: string },
): Promise<ApprovalRow> {
  const { approval, action, edited, at } = e;
  const csId = deps.newId('cs');
  await tx.changesets.insert(
    {
      id: csId,
      actionId: action.id,
      hash: edited.hash,
      summary: {
        ...edited.summary,
        object: edited.object,
        operation: edited.operation,
        target: edited.target ?? null,
        missing_ids: edited.missing,
        edited_by: e.personId,
      },
      createdAt: at,
    },
    changeRecordRows(csId, edited),
  );
  const next = await tx.approvals.update(
    approval.id,
    { changesetHash: edited.hash, required: Math.max(edited.required, approval.required) },
    { status: 'pending', version: approval.version },
  );
  if (!next)
    throw new GatehouseError(APPROVAL_CODES.alreadyDecided, `approval ${approval.id} was decided meanwhile; reload it`);
  const moved = await tx.actions.update(
    action.id,
    { changesetId: csId, updatedAt: at },
    { status: 'pending_approval' },
  );
  if (!moved)
    throw new GatehouseError(APPROVAL_CODES.alreadyDecided, `action ${action.id} left pending_approval meanwhile`);
  await appendAudit(tx, [
    {
      at,
      type: 'approval.edited',
      actor: `person:${e.personId}`,
      subject: approval.id,
      data: {
        approval_id: approval.id,
        action_id: action.id,
        changeset_hash: edited.hash,
        previous_changeset_hash: approval.changesetHash,
        required: next.required,
      },
    },
  ]);
  return next;
}

interface EditedPlan extends ReturnType<typeof buildChangeSet> {
  required: number;
}

/**
 * approve-with-edits, judged but not recorded: the edited request goes through boundary, scope,
 * plan, pre-flight and policy again. Structural mistakes (no record values, records not in the
 * action) throw `edit_denied`; the judgement itself (refusal, deny, …) is answered as a value.
 */
async function judgeEdits(
  deps: PipelineDeps,
  agent: AgentDefinition,
  action: ActionRow,
  edits: Readonly<Record<string, Readonly<Record<string, string | null>>>>,
): Promise<Judgement> {
  const req = action.request as ActionRequest;
  if (!req.records)
    throw new GatehouseError(APPROVAL_CODES.editDenied, `a ${req.operation} has no record values to edit`);
  const known = new Set(req.records.map((r) => r.id));
  const unknown = Object.keys(edits).filter((id) => !known.has(id));
  if (unknown.length > 0)
    throw new GatehouseError(
      APPROVAL_CODES.editDenied,
      `edits may only change records of this action; not in it: ${unknown.join(', ')}`,
    );
  // Edits apply to the bytes under review (which may already carry an earlier edit).
  const current = action.changesetId ? await loadChangeSet(deps.storage, action.changesetId) : undefined;
  const afterOf = new Map(current?.records.map((r) => [r.id, r.after]) ?? []);
  const edited: ActionRequest = {
    ...req,
    records: req.records.map((r) => ({
      id: r.id,
      changes: { ...r.changes, ...(afterOf.get(r.id) ?? {}), ...(edits[r.id] ?? {}) },
    })),
  };
  const mode = await effectiveMode(deps.storage, agent);
  return judge(deps, agent, mode === 'observe' || mode === 'paused' ? mode : 'autonomous', edited);
}

/** The quorum an edited change needs: the most any rule that asked demands, at least one. */
const requiredBy = (decision: Decision) => Math.max(1, ...(decision.approvers ?? []).map((a) => a.count));

/** approve-with-edits: the edited request goes through boundary, scope, plan and policy again. */
async function planEdits(
  deps: PipelineDeps,
  agent: AgentDefinition,
  action: ActionRow,
  edits: Readonly<Record<string, Readonly<Record<string, string | null>>>>,
): Promise<EditedPlan> {
  const j = await judgeEdits(deps, agent, action, edits);
  if (j.type === 'refused')
    throw new GatehouseError(APPROVAL_CODES.editDenied, `the edited change is refused: ${j.message}`, {
      details: { code: j.code },
    });
  if (j.decision.effect === 'deny') {
    throw new GatehouseError(
      APPROVAL_CODES.editDenied,
      `policy denies the edited change: ${j.decision.reasons.join('; ')}`,
      { details: { rules: j.decision.rules } },
    );
  }
  return { ...buildChangeSet(j.plan), required: requiredBy(j.decision) };
}

export interface EditPreview {
  readonly approval: ApprovalRow;
  readonly action: ActionRow;
  /** What approving with these edits would be judged: the same path `decideApproval` takes. */
  readonly judgement: Judgement;
  /** Approving votes the edited change would need (the approval's own quorum never drops). */
  readonly required: number;
  /** Whether `decideApproval` would refuse the edit (`edit_denied`). */
  readonly refused: boolean;
}

/**
 * approve-with-edits, previewed: re-plans and re-judges the edited change exactly as a decision
 * with these edits would, and records nothing (no change set, vote, audit entry or state change).
 */
export async function previewEdits(
  deps: PipelineDeps,
  input: { readonly approvalId: string; readonly edits: DecisionInput['edits'] & object },
): Promise<EditPreview> {
  const { approval, action } = await load(deps, input.approvalId);
  if (approval.status !== 'pending') {
    throw new GatehouseError(APPROVAL_CODES.alreadyDecided, `approval ${approval.id} is already ${approval.status}`, {
      details: { status: approval.status },
    });
  }
  const agent = agentFor(deps, action.agentId);
  const judgement = await judgeEdits(deps, agent, action, input.edits);
  const refused = judgement.type === 'refused' || judgement.decision.effect === 'deny';
  const required =
    judgement.type === 'judged' ? Math.max(requiredBy(judgement.decision), approval.required) : approval.required;
  return { approval, action, judgement, required, refused };
}

/**
 * Runs an approved action: exactly one caller wins the claim approved → executing, and the
 * change set that runs must hash to what was approved.
 */
export async function executeApproved(
  deps: PipelineDeps,
  agent: AgentDefinition,
  action: ActionRow,
): Promise<ActionRow> {
  const at = deps.clock.now().toISOString();
  const claimed = await deps.storage.transaction(async (tx) => {
    const row = await tx.actions.update(action.id, { status: 'executing', updatedAt: at }, { status: 'approved' });
    if (!row) return undefined;
    await tx.transitions.append({ actionId: action.id, from: 'approved', to: 'executing', at, detail: {} });
    await appendAudit(tx, [
      {
        at,
        type: 'action.executing',
        actor: 'system',
        subject: action.id,
        data: { action_id: action.id, approval_id: action.approvalId },
      },
    ]);
    return row;
  });
  if (!claimed) return (await deps.storage.actions.get(action.id)) ?? action;
  const changeset = claimed.changesetId ? await loadChangeSet(deps.storage, claimed.changesetId) : undefined;
  const approval = claimed.approvalId ? await deps.storage.approvals.get(claimed.approvalId) : undefined;
  const votes = approval ? await deps.storage.approvals.listVotes(approval.id) : [];
  const approvedHashes = new Set(votes.map((v) => (v.checklist as Partial<VoteBinding> | null)?.changeset_hash));
  if (!changeset || !approval || !approvedHashes.has(changeset.hash)) {
    // Never run bytes nobody approved.
    return (
      await replanAction(deps, agent, claimed, { reason: 'the change set to run is not the one approved', replans: 0 })
    ).action;
  }
  return (await executeAction(deps, agent, claimed, changeset)).action;
}
