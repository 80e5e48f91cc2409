/**
 * Turns a judgement into what gets persisted: the action's next status, the stored decision and,
 * when people must look, the approval request's quorum, role and checklist.
 */
import type { AgentMode } from '../ports/storage.js';
import type { ChangeSet } from './changeset.js';
import type { Judgement } from './judge.js';
import type { Verdict } from './record.js';
import type { AgentDefinition, PipelineDeps, StoredDecision } from './types.js';

type Base = Pick<StoredDecision, 'policyVersion' | 'agentVersion' | 'mode'>;

export function baseDecision(deps: PipelineDeps, agent: AgentDefinition, mode: AgentMode): Base {
  return { policyVersion: deps.policyVersion, agentVersion: agent.version, mode };
}

/** A refusal before policy: boundary, scope, pause, breaker, rate budget. */
export function refusalVerdict(
  base: Base,
  code: string,
  message: string,
  opts: { status?: 'denied' | 'breaker_open'; details?: Record<string, unknown>; changeset?: ChangeSet } = {},
): Verdict {
  return {
    status: opts.status ?? 'denied',
    decision: {
      ...base,
      effect: 'deny',
      rules: [],
      reasons: [message],
      code,
      routing: 'deny',
      ...(opts.details ? { details: opts.details } : {}),
    },
    error: { code, message },
    ...(opts.changeset ? { changeset: opts.changeset } : {}),
  };
}

export function verdictFor(outer: Base, j: Judgement, agentId: string): Verdict {
  // The operation's mode, when judging resolved one (per-operation modes), is the mode recorded.
  const base: Base = j.mode !== undefined ? { ...outer, mode: j.mode } : outer;
  if (j.type === 'refused') {
    return refusalVerdict(base, j.code, j.message, {
      details: { ...j.details },
      ...(j.changeset ? { changeset: j.changeset } : {}),
    });
  }
  const d = j.decision;
  const decision = {
    ...base,
    effect: d.effect,
    rules: d.rules,
    reasons: d.reasons,
    routing: j.routing.type,
    defaulted: d.defaulted,
    matched: d.matched,
    errors: d.errors,
    dryRun: d.dryRun,
    ...(d.approvers ? { approvers: d.approvers } : {}),
    checklist: d.checklist,
    ...(j.checks ? { checks: j.checks } : {}),
  };
  const changeset = j.changeset;
  switch (j.routing.type) {
    case 'refuse_paused':
      return refusalVerdict(base, 'agent_paused', `${agentId} is paused: writes are refused, reads still work`, {
        changeset,
      });
    case 'deny': {
      const message = d.reasons.join('; ') || 'denied by policy';
      return {
        status: 'denied',
        decision: { ...decision, code: 'policy_denied' },
        error: { code: 'policy_denied', message },
        changeset,
      };
    }
    case 'shadow':
      return { status: 'shadowed', decision, changeset };
    case 'require_approval': {
      // Quorum: the largest count any deciding rule asks for; gated agents with no rule need one approver.
      const approvers =
        d.effect === 'require_approval' && d.approvers && d.approvers.length > 0
          ? d.approvers
          : [{ role: 'approver', count: 1 }];
      const top = approvers.reduce((a, b) => (b.count > a.count ? b : a));
      return {
        status: 'pending_approval',
        decision,
        changeset,
        approval: { required: top.count, role: top.role, checklist: d.checklist },
      };
    }
    case 'execute':
      // Nothing to write (every record is a no-op): done without touching the connector.
      if (changeset.summary.records === 0 && changeset.records.length > 0) {
        return { status: 'executed', decision, changeset, result: { noop: true } };
      }
      return { status: 'executing', decision, changeset };
  }
}
