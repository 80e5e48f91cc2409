/**
 * Approvals and their votes. Deciding is a compare-and-set on (status, version), so two
 * approvers (or an approver and the expiry sweeper) cannot both decide one approval; a person
 * votes at most once, enforced by a unique index and answered as `false`, not an error.
 */
import type { Selectable, Updateable } from 'kysely';
import type { ApprovalRow, ApprovalStatus, ApprovalsRepo, VoteRow } from '../../../core/ports/storage.js';
import type { ApprovalsTable, ApprovalVotesTable } from '../schema.js';
import { fromJson, fromJsonOrNull, int, num, positiveLimit, toJson, toJsonOrNull, ts, tsOrNull } from '../values.js';
import { pagingCursor, type RepoContext } from './context.js';

const toApproval = (r: Selectable<ApprovalsTable>): ApprovalRow => ({
  id: r.id,
  actionId: r.action_id,
  changesetHash: r.changeset_hash,
  policyVersion: r.policy_version,
  agentVersion: r.agent_version,
  required: num(r.required),
  role: r.role,
  checklist: fromJson(r.checklist),
  status: r.status as ApprovalStatus,
  expiresAt: r.expires_at,
  escalationLevel: num(r.escalation_level),
  nextEscalationAt: r.next_escalation_at,
  createdAt: r.created_at,
  decidedAt: r.decided_at,
  outcome: fromJsonOrNull(r.outcome),
  version: num(r.version),
});

const toVote = (r: Selectable<ApprovalVotesTable>): VoteRow => ({
  approvalId: r.approval_id,
  personId: r.person_id,
  decision: r.decision as VoteRow['decision'],
  comment: r.comment,
  checklist: fromJson(r.checklist),
  edits: fromJsonOrNull(r.edits),
  changesetHash: r.changeset_hash,
  at: r.at,
});

export function approvalsRepo({ db }: RepoContext): ApprovalsRepo {
  return {
    async insert(a) {
      const values: Selectable<ApprovalsTable> = {
        id: a.id,
        action_id: a.actionId,
        changeset_hash: a.changesetHash,
        policy_version: a.policyVersion,
        agent_version: a.agentVersion,
        required: int(a.required, 'required'),
        role: a.role,
        checklist: toJson(a.checklist, 'checklist'),
        status: a.status,
        expires_at: ts(a.expiresAt, 'expiresAt'),
        escalation_level: int(a.escalationLevel, 'escalationLevel'),
        next_escalation_at: tsOrNull(a.nextEscalationAt, 'nextEscalationAt'),
        created_at: ts(a.createdAt, 'createdAt'),
        decided_at: tsOrNull(a.decidedAt, 'decidedAt'),
        outcome: toJsonOrNull(a.outcome, 'outcome'),
        version: int(a.version ?? 1, 'version'),
      };
      await db.insertInto('approvals').values(values).execute();
      return toApproval(values);
    },

    async get(id) {
      const r = await db.selectFrom('approvals').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toApproval(r);
    },

    async list(filter = {}) {
      let q = db.selectFrom('approvals').selectAll();
      if (filter.status !== undefined) q = q.where('status', '=', filter.status);
      if (filter.actionId !== undefined) q = q.where('action_id', '=', filter.actionId);
      if (filter.afterId !== undefined) {
        const cursor = await pagingCursor(db, 'approvals', filter.afterId);
        q = q.where((eb) =>
          eb.or([
            eb('created_at', '>', cursor.created_at),
            eb.and([eb('created_at', '=', cursor.created_at), eb('id', '>', cursor.id)]),
          ]),
        );
      }
      const rows = await q
        .orderBy('created_at')
        .orderBy('id')
        .limit(positiveLimit(filter.limit ?? 100))
        .execute();
      return rows.map(toApproval);
    },

    async update(id, patch, expect) {
      const set: Updateable<ApprovalsTable> = {};
      if (patch.status !== undefined) set.status = patch.status;
      if (patch.expiresAt !== undefined) set.expires_at = ts(patch.expiresAt, 'expiresAt');
      if (patch.escalationLevel !== undefined) set.escalation_level = int(patch.escalationLevel, 'escalationLevel');
      if (patch.nextEscalationAt !== undefined) {
        set.next_escalation_at = tsOrNull(patch.nextEscalationAt, 'nextEscalationAt');
      }
      if (patch.decidedAt !== undefined) set.decided_at = tsOrNull(patch.decidedAt, 'decidedAt');
      if (patch.outcome !== undefined) set.outcome = toJsonOrNull(patch.outcome, 'outcome');
      if (patch.changesetHash !== undefined) set.changeset_hash = patch.changesetHash;
      if (patch.required !== undefined) set.required = int(patch.required, 'required');
      let q = db
        .updateTable('approvals')
        .set(set)
        .set((eb) => ({ version: eb('version', '+', 1) }))
        .where('id', '=', id);
      if (expect.status !== undefined) q = q.where('status', '=', expect.status);
      if (expect.version !== undefined) q = q.where('version', '=', expect.version);
      const r = await q.returningAll().executeTakeFirst();
      return r && toApproval(r);
    },

    async addVote(v) {
      const r = await db
        .insertInto('approval_votes')
        .values({
          approval_id: v.approvalId,
          person_id: v.personId,
          decision: v.decision,
          comment: v.comment ?? null,
          checklist: toJson(v.checklist, 'checklist'),
          edits: toJsonOrNull(v.edits, 'edits'),
          changeset_hash: v.changesetHash ?? '',
          at: ts(v.at, 'at'),
        })
        .onConflict((oc) => oc.columns(['approval_id', 'person_id', 'changeset_hash']).doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
    },

    async listVotes(approvalId) {
      const rows = await db
        .selectFrom('approval_votes')
        .selectAll()
        .where('approval_id', '=', approvalId)
        .orderBy('id')
        .execute();
      return rows.map(toVote);
    },

    async listPendingExpiringBefore(now, limit) {
      const rows = await db
        .selectFrom('approvals')
        .selectAll()
        .where('status', '=', 'pending')
        .where('expires_at', '<=', ts(now, 'now'))
        .orderBy('expires_at')
        .orderBy('id')
        .limit(positiveLimit(limit))
        .execute();
      return rows.map(toApproval);
    },

    async listDue(now, limit) {
      const at = ts(now, 'now');
      const rows = await db
        .selectFrom('approvals')
        .selectAll()
        .select((eb) =>
          eb
            .case()
            .when('next_escalation_at', 'is not', null)
            .then(
              eb
                .case()
                .when('next_escalation_at', '<', eb.ref('expires_at'))
                .then(eb.ref('next_escalation_at'))
                .else(eb.ref('expires_at'))
                .end(),
            )
            .else(eb.ref('expires_at'))
            .end()
            .as('due_at'),
        )
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('expires_at', '<=', at), eb('next_escalation_at', '<=', at)]))
        .orderBy('due_at')
        .orderBy('id')
        .limit(positiveLimit(limit))
        .execute();
      return rows.map(toApproval);
    },
  };
}
