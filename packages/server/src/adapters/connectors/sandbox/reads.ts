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
import type { HistoryRow, SandboxStore, StoredRecord } from './store.js';

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

export const toEntry = ({ seq: _seq, ...entry }: HistoryRow): PropertyHistoryEntry => entry;

const badRequest = (field: string, message: string) =>
  new GatehouseError(CONNECTOR_ERROR_CODES.invalidRequest, message, { details: { field } });

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
      const record = store.get(objectOf(object).schema.name, id);
      return record && !record.archived ? toCrm(record) : undefined;
    },

    getMany(object: string, ids: readonly string[]): Map<string, CrmRecord> {
      const name = objectOf(object).schema.name;
      if (!isList(ids)) throw badRequest('ids', 'ids must be a list');
      const found = new Map<string, CrmRecord>();
      for (const id of ids) {
        const record = typeof id === 'string' ? store.get(name, id) : undefined;
        if (record && !record.archived) found.set(id, toCrm(record));
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
      const where = ['ts >= ?', 'ts < ?'];
      const params: unknown[] = [from, to];
      if (opts.object !== undefined) {
        where.push('object = ?');
        params.push(objectOf(opts.object).schema.name);
      }
      if (opts.actorKinds !== undefined) {
        if (!isList(opts.actorKinds) || opts.actorKinds.some((k) => !ACTOR_KINDS.includes(k))) {
          throw badRequest('actorKinds', `actorKinds must list some of ${ACTOR_KINDS.join(', ')}`);
        }
        if (opts.actorKinds.length === 0) return { results: [] };
        where.push(`actor_kind IN (${opts.actorKinds.map(() => '?').join(', ')})`);
        params.push(...opts.actorKinds);
      }
      if (opts.after !== undefined) {
        const pos = decodeCursor(opts.after, (v) => {
          const c = v as { k?: unknown; t?: unknown; s?: unknown } | null;
          return c?.k === 'ch' && typeof c.t === 'string' && Number.isSafeInteger(c.s)
            ? { t: c.t, s: c.s as number }
            : undefined;
        });
        where.push('(ts > ? OR (ts = ? AND seq > ?))');
        params.push(pos.t, pos.t, pos.s);
      }
      const rows = store.queryHistory(`SELECT * FROM history WHERE ${where.join(' AND ')} ORDER BY ts, seq LIMIT ?`, [
        ...params,
        limit + 1,
      ]);
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
