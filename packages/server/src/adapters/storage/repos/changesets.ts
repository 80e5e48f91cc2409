/**
 * A change set is written once, header and records together, and never changed: approvals bind
 * to its hash. Records go in multi-row INSERTs sized under each dialect's parameter limit.
 */
import type { Insertable, Selectable } from 'kysely';
import type { ChangeRecordRow, ChangesetRow, ChangesetsRepo, Reversibility } from '../../../core/ports/storage.js';
import type { ChangeRecordsTable, ChangesetsTable } from '../schema.js';
import {
  fromJson,
  fromJsonOrNull,
  int,
  invalid,
  num,
  positiveLimit,
  rowsPerInsert,
  toJson,
  toJsonOrNull,
  ts,
} from '../values.js';
import { atomically, type RepoContext } from './context.js';
import { execRaw, insertRows } from './hot.js';

const CHANGESET_FIELDS = ['id', 'action_id', 'hash', 'summary', 'record_count', 'created_at'] as const;
const RECORD_FIELDS = [
  'changeset_id',
  'idx',
  'object',
  'record_id',
  'before',
  'after',
  'fingerprint',
  'reversibility',
  'noop',
] as const;
const REVERSIBILITY: ReadonlySet<string> = new Set<Reversibility>(['reversible', 'compensatable', 'irreversible']);

const toChangeset = (r: Selectable<ChangesetsTable>): ChangesetRow => ({
  id: r.id,
  actionId: r.action_id,
  hash: r.hash,
  summary: fromJson(r.summary),
  createdAt: r.created_at,
  recordCount: num(r.record_count),
});

const toRecord = (r: Selectable<ChangeRecordsTable>): ChangeRecordRow => ({
  changesetId: r.changeset_id,
  idx: num(r.idx),
  object: r.object,
  recordId: r.record_id,
  before: fromJsonOrNull(r.before),
  after: fromJsonOrNull(r.after),
  fingerprint: r.fingerprint,
  reversibility: r.reversibility as Reversibility,
  noop: num(r.noop) === 1,
});

function recordValues(changesetId: string, r: ChangeRecordRow, i: number): Insertable<ChangeRecordsTable> {
  if (r.changesetId !== changesetId) {
    throw invalid(`records[${i}].changesetId is ${r.changesetId}, expected ${changesetId}`, { field: `records[${i}]` });
  }
  if (!REVERSIBILITY.has(r.reversibility)) {
    throw invalid(`records[${i}].reversibility must be reversible, compensatable or irreversible`, {
      field: `records[${i}].reversibility`,
    });
  }
  return {
    changeset_id: changesetId,
    idx: int(r.idx, `records[${i}].idx`),
    object: r.object,
    record_id: r.recordId,
    before: toJsonOrNull(r.before, `records[${i}].before`),
    after: toJsonOrNull(r.after, `records[${i}].after`),
    fingerprint: r.fingerprint,
    reversibility: r.reversibility,
    noop: r.noop ? 1 : 0,
  };
}

// Fixed SQL (hot.ts): reading an action back (GET /v1/actions/:id, long polls, approvals) runs both.
const GET_SQL = 'select * from "changesets" where "id" = ?';
const RECORDS_SQL = 'select * from "change_records" where "changeset_id" = ? order by "idx" limit ? offset ?';

export function changesetsRepo(ctx: RepoContext): ChangesetsRepo {
  const { db } = ctx;
  return {
    async insert(header, records) {
      const row: Selectable<ChangesetsTable> = {
        id: header.id,
        action_id: header.actionId,
        hash: header.hash,
        summary: toJson(header.summary, 'summary'),
        record_count: records.length,
        created_at: ts(header.createdAt, 'createdAt'),
      };
      // Convert (and so validate) everything before the first statement.
      const values = records.map((r, i) => recordValues(header.id, r, i));
      await atomically(ctx, async (tx) => {
        const c = { ...ctx, db: tx };
        await insertRows(c, 'changesets', CHANGESET_FIELDS, [row], 1);
        await insertRows(c, 'change_records', RECORD_FIELDS, values, rowsPerInsert(ctx.ops.name, RECORD_FIELDS.length));
      });
      return toChangeset(row);
    },

    async get(id) {
      const r = (await execRaw<Selectable<ChangesetsTable>>(ctx, GET_SQL, [id])).rows[0];
      return r && toChangeset(r);
    },

    async listByAction(actionId) {
      const rows = await db
        .selectFrom('changesets')
        .selectAll()
        .where('action_id', '=', actionId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toChangeset);
    },

    async listRecords(changesetId, page) {
      if (!Number.isSafeInteger(page.offset) || page.offset < 0) {
        throw invalid(`offset must be a non-negative integer, got ${String(page.offset)}`, { field: 'offset' });
      }
      const params = [changesetId, positiveLimit(page.limit), page.offset];
      const { rows } = await execRaw<Selectable<ChangeRecordsTable>>(ctx, RECORDS_SQL, params);
      return rows.map(toRecord);
    },
  };
}
