import { GatehouseError } from '../../../core/errors.js';
import {
  ARCHIVED_PROPERTY,
  CONNECTOR_ERROR_CODES,
  type Actor,
  type ChangesOptions,
  type CrmRecord,
  type ListOptions,
  type Page,
  type PropertyHistoryEntry,
  type SearchOptions,
} from '../../../core/ports/connector.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { checkLimit, compileSearch, isList, listCursor, normalizeDatetime, propertyOf } from './query.js';
import type { CompiledObject } from './schema.js';
import type { HistoryRow, SandboxStore, SharedRecord, StoredRecord } from './store.js';

/**
 * The read half of the connector port over a sandbox-format store: list, get, getMany, search,
 * history and changes. Shared by the sandbox and by replicas (which keep their copy in the same
 * file format), so both page, filter and order exactly alike. Synchronous; callers wrap the
 * results in promises.
 */

export const ACTOR_KINDS: readonly Actor['kind'][] = ['agent', 'person', 'integration', 'system'];

export const toCrm = (record: StoredRecord, properties?: readonly string[]): CrmRecord => ({
  id: record.id,
  properties: properties
    ? Object.fromEntries(properties.map((p) => [p, record.properties[p] ?? null]))
    : record.properties,
  createdAt: record.createdAt,
  updatedAt: record.updatedAt,
});

/** A record read through the store's parse cache, with a properties map of the caller's own. */
const ownCrm = (record: SharedRecord): CrmRecord => ({
  id: record.id,
  properties: { ...record.properties },
  createdAt: record.createdAt,
  updatedAt: record.updatedAt,
});

// A literal, not `{ seq, ...entry }`: object rest is several times slower, and changes() maps a million rows.
export const toEntry = (r: HistoryRow): PropertyHistoryEntry => ({
  object: r.object,
  id: r.id,
  property: r.property,
  value: r.value,
  timestamp: r.timestamp,
  source: r.source,
  actor: r.actor,
});

const badRequest = (field: string, message: string) =>
  new GatehouseError(CONNECTOR_ERROR_CODES.invalidRequest, message, { details: { field } });

const compareTs = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const parseChangesCursor = (v: unknown): { t: string; s: number } | undefined => {
  const c = v as { k?: unknown; t?: unknown; s?: unknown } | null;
  return c?.k === 'ch' && typeof c.t === 'string' && Number.isSafeInteger(c.s)
    ? { t: c.t, s: c.s as number }
    : undefined;
};

/**
 * One page of `changes()` for at most one actor kind, as keyset SQL that an index range answers
 * in O(page) however deep the walk is (no OFFSET, no sort):
 * - with a kind: `history_kind_ts (actor_kind, ts[, seq])` — the range starts at (kind, cursor);
 * - without: `history_ts (ts[, seq])`.
 * SQLite appends the rowid (`seq`) to every index entry, so `ORDER BY ts, seq` is index order. The
 * cursor's lower bound is folded into the single `ts >=` bound (two lower bounds on one column let
 * the planner pick the wrong one), ties on `ts` are resolved by `seq`, and `+object` keeps the
 * planner off `history_record (object, …)`, which would sort the object's whole history per page.
 */
export function changesQuery(q: {
  readonly from: string;
  readonly to: string;
  readonly kind: Actor['kind'] | undefined;
  readonly object: string | undefined;
  readonly position: { readonly t: string; readonly s: number } | undefined;
  readonly limit: number;
}): [sql: string, params: unknown[]] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.kind !== undefined) {
    where.push('actor_kind = ?');
    params.push(q.kind);
  }
  if (q.object !== undefined) {
    where.push('+object = ?');
    params.push(q.object);
  }
  const lower = q.position && q.position.t > q.from ? q.position.t : q.from;
  where.push('ts >= ?', 'ts < ?');
  params.push(lower, q.to);
  if (q.position) {
    where.push('(ts > ? OR seq > ?)');
    params.push(q.position.t, q.position.s);
  }
  return [`SELECT * FROM history WHERE ${where.join(' AND ')} ORDER BY ts, seq LIMIT ?`, [...params, q.limit]];
}

export function createStoreReads(store: SandboxStore, objectOf: (object: string) => CompiledObject) {
  return {
    list(object: string, opts: ListOptions): Page {
      const compiled = objectOf(object);
      const limit = checkLimit(opts.limit);
      opts.properties?.forEach((p) => propertyOf(compiled, p));
      const rows = store.page(compiled.schema.name, listCursor.decode(opts.after), limit + 1);
      const results = rows.slice(0, limit);
      const last = results[results.length - 1];
      return {
        results: results.map((r) => toCrm(r, opts.properties)),
        ...(rows.length > limit && last ? { nextAfter: listCursor.encode(last.seq) } : {}),
      };
    },

    get(object: string, id: string): CrmRecord | undefined {
      const record = store.read(objectOf(object).schema.name, id);
      return record && !record.archived ? ownCrm(record) : undefined;
    },

    getMany(object: string, ids: readonly string[]): Map<string, CrmRecord> {
      const name = objectOf(object).schema.name;
      if (!isList(ids)) throw badRequest('ids', 'ids must be a list');
      const found = new Map<string, CrmRecord>();
      for (const id of ids) {
        const record = typeof id === 'string' ? store.read(name, id) : undefined;
        if (!record || record.archived) continue;
        const copy = ownCrm(record);
        store.noteCopy(copy, record);
        found.set(id, copy);
      }
      return found;
    },

    search(object: string, opts: SearchOptions): Page & { total: number } {
      const compiled = objectOf(object);
      const limit = checkLimit(opts.limit);
      const query = compileSearch(compiled, { ...opts, limit });
      const total = store.queryCount(query.countSql, query.countParams);
      const rows = store.queryRecords(query.pageSql, query.pageParams);
      const results = rows.slice(0, limit);
      const last = results[results.length - 1];
      return {
        total,
        results: results.map((r) => toCrm(r)),
        ...(rows.length > limit && last ? { nextAfter: query.next(last.seq, results.length) } : {}),
      };
    },

    history(object: string, id: string, property?: string): PropertyHistoryEntry[] {
      const compiled = objectOf(object);
      if (property !== undefined && property !== ARCHIVED_PROPERTY) propertyOf(compiled, property);
      return store.history(compiled.schema.name, id, property).map(toEntry);
    },

    changes(opts: ChangesOptions): { results: PropertyHistoryEntry[]; nextAfter?: string } {
      const from = normalizeDatetime(opts.from);
      const to = normalizeDatetime(opts.to);
      if (from === undefined) throw badRequest('from', `from must be an ISO 8601 date-time, got ${opts.from}`);
      if (to === undefined) throw badRequest('to', `to must be an ISO 8601 date-time, got ${opts.to}`);
      const limit = checkLimit(opts.limit);
      const object = opts.object === undefined ? undefined : objectOf(opts.object).schema.name;
      const kinds = opts.actorKinds;
      if (kinds !== undefined && (!isList(kinds) || kinds.some((k) => !ACTOR_KINDS.includes(k)))) {
        throw badRequest('actorKinds', `actorKinds must list some of ${ACTOR_KINDS.join(', ')}`);
      }
      if (kinds?.length === 0) return { results: [] };
      const position = opts.after === undefined ? undefined : decodeCursor(opts.after, parseChangesCursor);
      // One keyset query per actor kind (all kinds: one unfiltered query), merged by (ts, seq).
      const selected =
        kinds === undefined || ACTOR_KINDS.every((k) => kinds.includes(k)) ? [undefined] : [...new Set(kinds)];
      const rows = selected.flatMap((kind) =>
        store.queryHistory(...changesQuery({ from, to, kind, object, position, limit: limit + 1 })),
      );
      if (selected.length > 1) rows.sort((a, b) => compareTs(a.timestamp, b.timestamp) || a.seq - b.seq);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        results: page.map(toEntry),
        ...(rows.length > limit && last
          ? { nextAfter: encodeCursor({ k: 'ch', t: last.timestamp, s: last.seq }) }
          : {}),
      };
    },
  };
}

export type StoreReads = ReturnType<typeof createStoreReads>;
