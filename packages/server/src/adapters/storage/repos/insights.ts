/**
 * Read-only aggregates for the dashboard. Counting happens in SQL (one GROUP BY per question), so
 * an overview of 50 agents with 10,000 actions today reads a few hundred rows, not 10,000.
 * Substring filters use `instr` (SQLite) / `strpos` (PostgreSQL): no LIKE wildcards to escape.
 */
import { sql, type Expression, type RawBuilder, type Selectable, type SqlBool } from 'kysely';
import type { AuditEntry, InsightsRepo } from '../../../core/ports/storage.js';
import type { AuditEntriesTable } from '../schema.js';
import { num, positiveLimit, ts } from '../values.js';
import type { RepoContext } from './context.js';

/** `YYYY-MM-DDTHH` of an ISO timestamp: the hour bucket, the same on both dialects (TEXT columns). */
const HOUR_PREFIX = 13;

const toEntry = (r: Selectable<AuditEntriesTable>): AuditEntry => ({
  seq: num(r.seq),
  at: r.at,
  type: r.type,
  actor: r.actor,
  subject: r.subject,
  data: JSON.parse(r.data) as Record<string, unknown>,
  prevHash: r.prev_hash,
  hash: r.hash,
});

/** `"key":"value"` as JSON.stringify writes it into the stored data text. */
const jsonMember = (key: string, value: string) => `${JSON.stringify(key)}:${JSON.stringify(value)}`;

export function insightsRepo(ctx: RepoContext): InsightsRepo {
  const { db } = ctx;
  const contains = (haystack: RawBuilder<unknown> | Expression<unknown>, needle: string): RawBuilder<SqlBool> =>
    ctx.ops.name === 'postgres'
      ? sql<SqlBool>`strpos(${haystack}, ${needle}) > 0`
      : sql<SqlBool>`instr(${haystack}, ${needle}) > 0`;

  return {
    async actionCounts(q) {
      const since = ts(q.since, 'since');
      const hour = sql<string>`substr(created_at, 1, ${sql.lit(HOUR_PREFIX)})`;
      const via = sql<number>`case when approval_id is null then 0 else 1 end`;
      let query = db
        .selectFrom('actions')
        .select((eb) => ['agent_id', 'status', via.as('via'), eb.fn.countAll<number>().as('n')])
        .where('created_at', '>=', since);
      if (q.before !== undefined) query = query.where('created_at', '<', ts(q.before, 'before'));
      if (q.agentId !== undefined) query = query.where('agent_id', '=', q.agentId);
      if (q.byHour) {
        const rows = await query
          .select(hour.as('hour'))
          .groupBy(['agent_id', 'status'])
          .groupBy(via)
          .groupBy(hour)
          .execute();
        return rows.map((r) => ({
          agentId: r.agent_id,
          status: r.status,
          hour: `${r.hour}:00:00.000Z`,
          viaApproval: num(r.via) === 1,
          count: num(r.n),
        }));
      }
      const rows = await query.groupBy(['agent_id', 'status']).groupBy(via).execute();
      return rows.map((r) => ({
        agentId: r.agent_id,
        status: r.status,
        hour: null,
        viaApproval: num(r.via) === 1,
        count: num(r.n),
      }));
    },

    async pendingApprovalsByAgent() {
      const rows = await db
        .selectFrom('approvals')
        .innerJoin('actions', 'actions.id', 'approvals.action_id')
        .select((eb) => ['actions.agent_id', eb.fn.countAll<number>().as('n')])
        .where('approvals.status', '=', 'pending')
        .groupBy('actions.agent_id')
        .execute();
      return rows.map((r) => ({ agentId: r.agent_id, count: num(r.n) }));
    },

    async approvalDecisions(agentId) {
      const revise = contains(sql.ref('approvals.outcome'), jsonMember('outcome', 'revise'));
      const rows = await db
        .selectFrom('approvals')
        .innerJoin('actions', 'actions.id', 'approvals.action_id')
        .select((eb) => [
          'approvals.status',
          eb.fn.countAll<number>().as('n'),
          eb.fn
            .sum<number>(
              eb
                .case()
                .when(sql<SqlBool>`${revise}`)
                .then(1)
                .else(0)
                .end(),
            )
            .as('revised'),
          eb.fn
            .sum<number>(
              eb
                .case()
                .when(
                  eb.exists(
                    eb
                      .selectFrom('approval_votes')
                      .select('approval_votes.approval_id')
                      .whereRef('approval_votes.approval_id', '=', 'approvals.id')
                      .where('approval_votes.edits', 'is not', null),
                  ),
                )
                .then(1)
                .else(0)
                .end(),
            )
            .as('edited'),
        ])
        .where('actions.agent_id', '=', agentId)
        .where('approvals.status', 'in', ['approved', 'rejected'])
        .groupBy('approvals.status')
        .execute();
      const out = { approved: 0, rejected: 0, revised: 0, edited: 0 };
      for (const r of rows) {
        if (r.status === 'approved') {
          out.approved = num(r.n);
          out.edited = num(r.edited ?? 0);
        } else {
          out.rejected = num(r.n);
          out.revised = num(r.revised ?? 0);
        }
      }
      return out;
    },

    async searchAudit(q) {
      const desc = q.order === 'desc';
      let query = db.selectFrom('audit_entries').selectAll();
      if (q.afterSeq !== undefined) query = query.where('seq', '>', q.afterSeq);
      if (q.beforeSeq !== undefined) query = query.where('seq', '<', q.beforeSeq);
      if (q.type !== undefined) {
        const type = q.type;
        // A prefix ending in '.' takes every type under it (`action.` → action.decided, …).
        query = type.endsWith('.')
          ? query.where(() => sql<SqlBool>`substr(type, 1, ${sql.lit(type.length)}) = ${type}`)
          : query.where('type', '=', q.type);
      }
      if (q.from !== undefined) query = query.where('at', '>=', ts(q.from, 'from'));
      if (q.to !== undefined) query = query.where('at', '<', ts(q.to, 'to'));
      const subjectOrData = (actor: string | undefined, key: string, id: string, subject = false) =>
        query.where((eb) =>
          eb.or([
            ...(actor !== undefined ? [eb('actor', '=', actor)] : []),
            ...(subject ? [eb('subject', '=', id)] : []),
            contains(sql.ref('data'), jsonMember(key, id)),
          ]),
        );
      if (q.agentId !== undefined) query = subjectOrData(`agent:${q.agentId}`, 'agent_id', q.agentId);
      if (q.personId !== undefined) query = subjectOrData(`person:${q.personId}`, 'person_id', q.personId);
      if (q.actionId !== undefined) query = subjectOrData(undefined, 'action_id', q.actionId, true);
      if (q.text !== undefined && q.text !== '') {
        const all = sql`lower(type || ' ' || actor || ' ' || coalesce(subject, '') || ' ' || data)`;
        query = query.where(() => contains(all, q.text!.toLowerCase()));
      }
      const rows = await query
        .orderBy('seq', desc ? 'desc' : 'asc')
        .limit(positiveLimit(q.limit))
        .execute();
      return rows.map(toEntry);
    },
  };
}
