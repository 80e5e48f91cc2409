/**
 * Breaker state lives in the database so every instance obeys the same trip. Writers
 * compare-and-set on `version`, so a trip and a concurrent reset cannot both win.
 */
import type { Selectable } from 'kysely';
import type { BreakerEventRow, BreakerRow, BreakerState, BreakersRepo } from '../../../core/ports/storage.js';
import type { BreakersTable } from '../schema.js';
import { fromJson, int, invalid, num, positiveLimit, toJson, ts } from '../values.js';
import type { RepoContext } from './context.js';
import { execRaw } from './hot.js';

const toBreaker = (r: Selectable<BreakersTable>): BreakerRow => ({
  breakerId: r.breaker_id,
  scopeKey: r.scope_key,
  state: r.state as BreakerState,
  version: num(r.version),
  since: r.since,
  reason: fromJson(r.reason),
  consecutiveFails: num(r.consecutive_fails),
  probeBudget: num(r.probe_budget),
  updatedAt: r.updated_at,
  updatedBy: r.updated_by,
});

const LIST_ALL_SQL = 'select * from "breakers" order by "breaker_id", "scope_key"';

export function breakersRepo(ctx: RepoContext): BreakersRepo {
  const { db } = ctx;
  return {
    async get(breakerId, scopeKey) {
      const r = await db
        .selectFrom('breakers')
        .selectAll()
        .where('breaker_id', '=', breakerId)
        .where('scope_key', '=', scopeKey)
        .executeTakeFirst();
      return r && toBreaker(r);
    },

    async list(filter = {}) {
      if (filter.breakerId === undefined) {
        // Every write reads this (the breaker gate): fixed text, no query building (hot.ts).
        const all = await execRaw<Selectable<BreakersTable>>(ctx, LIST_ALL_SQL, []);
        return all.rows.map(toBreaker);
      }
      let q = db.selectFrom('breakers').selectAll();
      if (filter.breakerId !== undefined) q = q.where('breaker_id', '=', filter.breakerId);
      const rows = await q.orderBy('breaker_id').orderBy('scope_key').execute();
      return rows.map(toBreaker);
    },

    async upsert(row, expectVersion) {
      const values: Selectable<BreakersTable> = {
        breaker_id: row.breakerId,
        scope_key: row.scopeKey,
        state: row.state,
        version: int(row.version, 'version'),
        since: ts(row.since, 'since'),
        reason: toJson(row.reason, 'reason'),
        consecutive_fails: int(row.consecutiveFails, 'consecutiveFails'),
        probe_budget: int(row.probeBudget, 'probeBudget'),
        updated_at: ts(row.updatedAt, 'updatedAt'),
        updated_by: row.updatedBy,
      };
      const { breaker_id: _b, scope_key: _s, ...mutable } = values;
      if (typeof expectVersion === 'number') {
        // An unchanged version would let a second writer holding the same expectation win too.
        if (row.version <= expectVersion) {
          throw invalid(`version must be greater than expectVersion (${row.version} <= ${expectVersion})`, {
            field: 'version',
          });
        }
        const r = await db
          .updateTable('breakers')
          .set(mutable)
          .where('breaker_id', '=', values.breaker_id)
          .where('scope_key', '=', values.scope_key)
          .where('version', '=', expectVersion)
          .executeTakeFirst();
        return Number(r.numUpdatedRows) === 1;
      }
      const r = await db
        .insertInto('breakers')
        .values(values)
        .onConflict((oc) => {
          const target = oc.columns(['breaker_id', 'scope_key']);
          return expectVersion === null ? target.doNothing() : target.doUpdateSet(mutable);
        })
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
    },

    async appendEvent(e: BreakerEventRow) {
      await db
        .insertInto('breaker_events')
        .values({
          breaker_id: e.breakerId,
          scope_key: e.scopeKey,
          at: ts(e.at, 'at'),
          kind: e.kind,
          from_state: e.from,
          to_state: e.to,
          actor: e.actor,
          detail: toJson(e.detail, 'detail'),
        })
        .execute();
    },

    async listEvents(filter) {
      let q = db.selectFrom('breaker_events').selectAll();
      if (filter.breakerId !== undefined) q = q.where('breaker_id', '=', filter.breakerId);
      if (filter.scopeKey !== undefined) q = q.where('scope_key', '=', filter.scopeKey);
      const rows = await q.orderBy('id').limit(positiveLimit(filter.limit)).execute();
      return rows.map((r) => ({
        breakerId: r.breaker_id,
        scopeKey: r.scope_key,
        at: r.at,
        kind: r.kind,
        from: r.from_state as BreakerState | null,
        to: r.to_state as BreakerState | null,
        actor: r.actor,
        detail: fromJson(r.detail),
      }));
    },
  };
}
