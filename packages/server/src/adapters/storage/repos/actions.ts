/**
 * Actions are the durable state machine's rows. Two rules keep several instances honest: every
 * move is a compare-and-set on (status, version), and claiming work is one statement that skips
 * rows another instance holds.
 */
import type { Selectable, Updateable } from 'kysely';
import type {
  ActionPatch,
  ActionRow,
  ActionsRepo,
  NewAction,
  TransitionRow,
  TransitionsRepo,
} from '../../../core/ports/storage.js';
import { GatehouseError } from '../../../core/errors.js';
import type { ActionsTable } from '../schema.js';
import {
  fromJson,
  fromJsonOrNull,
  int,
  num,
  positiveLimit,
  rowsPerInsert,
  toJson,
  toJsonOrNull,
  ts,
} from '../values.js';
import { atomically, pagingCursor, type RepoContext } from './context.js';
import { execRaw, insertRows, insertSql } from './hot.js';

type JsonColumns = Pick<ActionRow, 'request' | 'decision' | 'result' | 'error'>;

const rowOf = (r: Selectable<ActionsTable>, json: JsonColumns): ActionRow => ({
  id: r.id,
  agentId: r.agent_id,
  connector: r.connector,
  object: r.object,
  operation: r.operation,
  status: r.status,
  idempotencyKey: r.idempotency_key,
  ...json,
  changesetId: r.changeset_id,
  approvalId: r.approval_id,
  parentActionId: r.parent_action_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  version: num(r.version),
});

const toAction = (r: Selectable<ActionsTable>): ActionRow =>
  rowOf(r, {
    request: fromJson(r.request),
    decision: fromJsonOrNull(r.decision),
    result: fromJsonOrNull(r.result),
    error: fromJsonOrNull(r.error),
  });

/** The row just inserted: the caller's values, not parsed back from the JSON text they were stored as. */
const inserted = (row: NewAction, v: Selectable<ActionsTable>): ActionRow =>
  rowOf(v, {
    request: row.request,
    decision: row.decision ?? null,
    result: row.result ?? null,
    error: row.error ?? null,
  });

/** `base` with `patch` applied, as a read-back of the updated row would answer it. */
const patched = (base: ActionRow, patch: ActionPatch, version: number): ActionRow => ({
  ...base,
  updatedAt: patch.updatedAt,
  version,
  ...(patch.status !== undefined ? { status: patch.status } : {}),
  ...(patch.decision !== undefined ? { decision: patch.decision } : {}),
  ...(patch.result !== undefined ? { result: patch.result } : {}),
  ...(patch.error !== undefined ? { error: patch.error } : {}),
  ...(patch.changesetId !== undefined ? { changesetId: patch.changesetId } : {}),
  ...(patch.approvalId !== undefined ? { approvalId: patch.approvalId } : {}),
});

const ACTION_COLUMNS = [
  'id',
  'agent_id',
  'connector',
  'object',
  'operation',
  'status',
  'idempotency_key',
  'request',
  'decision',
  'result',
  'error',
  'changeset_id',
  'approval_id',
  'parent_action_id',
  'created_at',
  'updated_at',
  'version',
] as const satisfies readonly (keyof ActionsTable)[];

const INSERT_KEYED_SQL = insertSql(
  'actions',
  ACTION_COLUMNS,
  1,
  // Names the predicate of SQLite's partial unique index (migration 0005), which requires it;
  // PostgreSQL's full index matches it as well.
  'on conflict ("agent_id", "idempotency_key") where "idempotency_key" is not null do nothing returning "id"',
);

const GET_ACTION_SQL = 'select * from "actions" where "id" = ?';

const asList = (s: string | readonly string[]): readonly string[] => (typeof s === 'string' ? [s] : s);

export function actionsRepo(ctx: RepoContext): ActionsRepo {
  const { db } = ctx;

  const findByIdempotencyKey = async (agentId: string, key: string) => {
    const r = await db
      .selectFrom('actions')
      .selectAll()
      .where('agent_id', '=', agentId)
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
    return r && toAction(r);
  };

  return {
    async insert(row) {
      const values: Selectable<ActionsTable> = {
        id: row.id,
        agent_id: row.agentId,
        connector: row.connector,
        object: row.object,
        operation: row.operation,
        status: row.status,
        idempotency_key: row.idempotencyKey ?? null,
        request: toJson(row.request, 'request'),
        decision: toJsonOrNull(row.decision, 'decision'),
        result: toJsonOrNull(row.result, 'result'),
        error: toJsonOrNull(row.error, 'error'),
        changeset_id: row.changesetId ?? null,
        approval_id: row.approvalId ?? null,
        parent_action_id: row.parentActionId ?? null,
        created_at: ts(row.createdAt, 'createdAt'),
        updated_at: ts(row.updatedAt ?? row.createdAt, 'updatedAt'),
        version: int(row.version ?? 1, 'version'),
      };
      const params = ACTION_COLUMNS.map((c) => values[c]);
      if (values.idempotency_key === null) {
        await execRaw(ctx, insertSql('actions', ACTION_COLUMNS, 1), params);
        return { inserted: true, row: inserted(row, values) };
      }
      // DO NOTHING (not an error) so a duplicate does not abort the caller's PostgreSQL transaction.
      const keyed = (await execRaw<{ id: string }>(ctx, INSERT_KEYED_SQL, params)).rows[0];
      if (keyed) return { inserted: true, row: inserted(row, values) };
      const existing = await findByIdempotencyKey(values.agent_id, values.idempotency_key);
      // Unreachable unless the row vanished between the two statements (actions are never deleted).
      if (!existing) throw new GatehouseError('conflict', 'idempotency key conflict, but no action holds the key');
      return { inserted: false, existing };
    },

    async get(id) {
      // Fixed SQL (hot.ts): every GET /v1/actions/:id and every long-poll round reads it.
      const r = (await execRaw<Selectable<ActionsTable>>(ctx, GET_ACTION_SQL, [id])).rows[0];
      return r && toAction(r);
    },

    findByIdempotencyKey,

    async update(id, patch, expect) {
      const set: Updateable<ActionsTable> = { updated_at: ts(patch.updatedAt, 'updatedAt') };
      if (patch.status !== undefined) set.status = patch.status;
      if (patch.decision !== undefined) set.decision = toJsonOrNull(patch.decision, 'decision');
      if (patch.result !== undefined) set.result = toJsonOrNull(patch.result, 'result');
      if (patch.error !== undefined) set.error = toJsonOrNull(patch.error, 'error');
      if (patch.changesetId !== undefined) set.changeset_id = patch.changesetId;
      if (patch.approvalId !== undefined) set.approval_id = patch.approvalId;
      const names = Object.keys(set) as (keyof typeof set)[];
      const params: unknown[] = names.map((n) => set[n]);
      let where = '"id" = ?';
      params.push(id);
      if (expect.status !== undefined) {
        const statuses = asList(expect.status);
        if (statuses.length === 0) return undefined;
        where += ` and "status" in (${statuses.map(() => '?').join(', ')})`;
        params.push(...statuses);
      }
      if (expect.version !== undefined) {
        where += ' and "version" = ?';
        params.push(expect.version);
      }
      // The caller's row at the expected version is the stored row: answer it patched, not read back.
      const base = expect.row !== undefined && expect.row.version === expect.version ? expect.row : undefined;
      const text = `update "actions" set ${names.map((n) => `"${n}" = ?`).join(', ')}, "version" = "version" + 1 where ${where} returning ${base ? '"version"' : '*'}`;
      const r = (await execRaw<Selectable<ActionsTable>>(ctx, text, params)).rows[0];
      if (!r) return undefined;
      return base ? patched(base, patch, num(r.version)) : toAction(r);
    },

    async list(filter = {}) {
      const desc = (filter.order ?? 'desc') === 'desc';
      let q = db.selectFrom('actions').selectAll();
      if (filter.agentId !== undefined) q = q.where('agent_id', '=', filter.agentId);
      if (filter.statuses !== undefined) {
        if (filter.statuses.length === 0) return [];
        q = q.where('status', 'in', filter.statuses);
      }
      if (filter.since !== undefined) q = q.where('created_at', '>=', ts(filter.since, 'since'));
      if (filter.before !== undefined) q = q.where('created_at', '<', ts(filter.before, 'before'));
      if (filter.afterId !== undefined) {
        const cursor = await pagingCursor(db, 'actions', filter.afterId);
        const op = desc ? '<' : '>';
        q = q.where((eb) =>
          eb.or([
            eb('created_at', op, cursor.created_at),
            eb.and([eb('created_at', '=', cursor.created_at), eb('id', op, cursor.id)]),
          ]),
        );
      }
      const dir = desc ? 'desc' : 'asc';
      const rows = await q
        .orderBy('created_at', dir)
        .orderBy('id', dir)
        .limit(positiveLimit(filter.limit ?? 100))
        .execute();
      return rows.map(toAction);
    },

    async listByStatus(statuses, opts) {
      if (statuses.length === 0) return [];
      let q = db.selectFrom('actions').selectAll().where('status', 'in', statuses);
      if (opts.updatedBefore !== undefined) q = q.where('updated_at', '<', ts(opts.updatedBefore, 'updatedBefore'));
      const rows = await q.orderBy('updated_at').orderBy('id').limit(positiveLimit(opts.limit)).execute();
      return rows.map(toAction);
    },

    async claim(c) {
      if (c.from.length === 0) return [];
      const at = ts(c.at, 'at');
      const rows = await db
        .updateTable('actions')
        .set({ status: c.to, updated_at: at })
        .set((eb) => ({ version: eb('version', '+', 1) }))
        .where('status', 'in', c.from)
        .where('id', 'in', () => {
          let pick = db.selectFrom('actions').select('id').where('status', 'in', c.from);
          if (c.agentId !== undefined) pick = pick.where('agent_id', '=', c.agentId);
          if (c.updatedBefore !== undefined) {
            pick = pick.where('updated_at', '<', ts(c.updatedBefore, 'updatedBefore'));
          }
          pick = pick.orderBy('updated_at').orderBy('id').limit(positiveLimit(c.limit));
          return ctx.ops.skipLocked ? pick.forUpdate().skipLocked() : pick;
        })
        .returningAll()
        .execute();
      return rows.map(toAction).sort((a, b) => (a.createdAt + a.id < b.createdAt + b.id ? -1 : 1));
    },

    async countByAgentSince(agentId, since, statuses) {
      let q = db
        .selectFrom('actions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('agent_id', '=', agentId)
        .where('created_at', '>=', ts(since, 'since'));
      if (statuses !== undefined) {
        if (statuses.length === 0) return 0;
        q = q.where('status', 'in', statuses);
      }
      const r = await q.executeTakeFirstOrThrow();
      return num(r.n);
    },
  };
}

const TRANSITION_FIELDS = ['action_id', 'from_status', 'to_status', 'at', 'detail'] as const;

export function transitionsRepo(ctx: RepoContext): TransitionsRepo {
  const { db } = ctx;
  return {
    async append(t) {
      const rows = (Array.isArray(t) ? t : [t]) as readonly TransitionRow[];
      const values = rows.map((r) => ({
        action_id: r.actionId,
        from_status: r.from,
        to_status: r.to,
        at: ts(r.at, 'at'),
        detail: toJson(r.detail, 'detail'),
      }));
      if (values.length === 0) return;
      const size = rowsPerInsert(ctx.ops.name, TRANSITION_FIELDS.length);
      if (values.length <= size) return insertRows(ctx, 'action_transitions', TRANSITION_FIELDS, values, size);
      await atomically(ctx, (tx) =>
        insertRows({ ...ctx, db: tx }, 'action_transitions', TRANSITION_FIELDS, values, size),
      );
    },
    async list(actionId) {
      const rows = await db
        .selectFrom('action_transitions')
        .selectAll()
        .where('action_id', '=', actionId)
        .orderBy('id')
        .execute();
      return rows.map((r) => ({
        actionId: r.action_id,
        from: r.from_status,
        to: r.to_status,
        at: r.at,
        detail: fromJson(r.detail),
      }));
    },
  };
}
