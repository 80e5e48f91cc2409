/**
 * The action as agents, people and scripts see it on the wire (API.md): snake_case, the decision
 * with its rules and reasons, the staging diff (bounded: huge change sets are paged elsewhere),
 * and the id of the audit entry that recorded the decision.
 */
import type { ActionRow, ApprovalRow } from '../ports/storage.js';
import type { ChangeSet } from './changeset.js';
import type { ActionRequest, StoredDecision } from './types.js';

export const VIEW_RECORD_LIMIT = 100;

export const auditEventId = (seq: number) => `aud_${seq}`;

export function actionView(
  action: ActionRow,
  changeset: (ChangeSet & { id?: string }) | undefined,
  approval?: ApprovalRow,
) {
  const d = (action.decision ?? {}) as Partial<StoredDecision>;
  const req = action.request as ActionRequest;
  const error = action.error as { code: string; message: string } | null;
  const records = changeset?.records ?? [];
  return {
    id: action.id,
    agent: action.agentId,
    connector: action.connector,
    object: action.object,
    operation: action.operation,
    ...(req.target !== undefined ? { target: req.target } : {}),
    status: action.status,
    reason: req.reason,
    decision: {
      effect: d.effect ?? 'deny',
      rules: [...(d.rules ?? [])],
      reasons: [...(d.reasons ?? [])],
      ...(d.code ? { code: d.code } : {}),
      ...(d.mode ? { mode: d.mode } : {}),
      ...(d.routing ? { routing: d.routing } : {}),
      ...(d.dryRun && d.dryRun.length > 0 ? { dry_run: d.dryRun } : {}),
      ...(d.details ? { details: d.details } : {}),
      ...(d.checks ? { checks: d.checks } : {}),
      ...(d.policyVersion ? { policy_version: d.policyVersion } : {}),
    },
    changeset: {
      ...(changeset?.id ? { id: changeset.id } : {}),
      ...(changeset ? { hash: changeset.hash } : {}),
      summary: changeset?.summary ?? { records: 0, fields: 0, irreversible: 0, compensatable: 0, noop: 0, missing: 0 },
      records: records.slice(0, VIEW_RECORD_LIMIT).map((r) => ({
        id: r.id,
        ...(r.object !== action.object ? { object: r.object } : {}),
        before: r.before,
        after: r.after,
        reversibility: r.reversibility,
        ...(r.noop ? { noop: true } : {}),
      })),
      ...(records.length > VIEW_RECORD_LIMIT || (changeset && 'truncated' in changeset && changeset.truncated)
        ? { truncated: true }
        : {}),
    },
    ...(approval
      ? {
          approval: {
            id: approval.id,
            required: approval.required,
            expires_at: approval.expiresAt,
            status: approval.status,
          },
        }
      : action.approvalId
        ? { approval: { id: action.approvalId } }
        : {}),
    ...(error ? { error: { code: error.code, message: error.message } } : {}),
    ...(action.result ? { result: action.result } : {}),
    audit_event_id: auditEventId(d.auditSeq ?? 0),
    ...(action.idempotencyKey ? { idempotency_key: action.idempotencyKey } : {}),
    ...(action.parentActionId ? { parent_action_id: action.parentActionId } : {}),
    created_at: action.createdAt,
    updated_at: action.updatedAt,
  };
}
export type ActionWireView = ReturnType<typeof actionView>;

/** HTTP-independent status class of an action, for transports to map. */
export function outcomeClass(action: ActionRow): 'ok' | 'accepted' | 'refused' | 'halted' | 'limited' | 'failed' {
  const code = (action.error as { code?: string } | null)?.code;
  switch (action.status) {
    case 'executed':
      return 'ok';
    case 'pending_approval':
    case 'shadowed':
    case 'executing':
    case 'approved':
      return 'accepted';
    case 'breaker_open':
      return 'halted';
    case 'denied':
      return code === 'agent_paused' ? 'halted' : code === 'rate_limited' ? 'limited' : 'refused';
    case 'failed':
      return 'failed';
    default:
      return 'accepted';
  }
}
