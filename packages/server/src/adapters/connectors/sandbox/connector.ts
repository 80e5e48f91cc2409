import { GatehouseError } from '../../../core/errors.js';
import { systemClock, type Clock } from '../../../core/clock.js';
import {
  ARCHIVED_PROPERTY,
  CONNECTOR_ERROR_CODES,
  type Actor,
  type ChangesOptions,
  type Connector,
  type CrmRecord,
  type ObjectSchema,
  type PropertyHistoryEntry,
} from '../../../core/ports/connector.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { applyPlan } from './apply.js';
import { validateSize, type SandboxSize } from './generator.js';
import { planChange } from './planner.js';
import { checkLimit, isList, compileSearch, listCursor, normalizeDatetime, propertyOf } from './query.js';
import { revertItems } from './revert.js';
import { SANDBOX_SCHEMA, objectOf } from './schema.js';
import { openSeededStore } from './seed.js';
import type { HistoryRow, SandboxStore, StoredRecord } from './store.js';

/**
 * The built-in sandbox CRM as a `Connector`. Storage is synchronous (better-sqlite3); the port is
 * async so the sandbox is interchangeable with remote CRMs. A database file is seeded on first
 * open only; reopening it with the same seed and size reuses the data, anything else is refused
 * rather than silently mixing two datasets.
 */

export interface SandboxOptions {
  readonly id: string;
  readonly seed: number;
  readonly size: SandboxSize;
  /** A database file, or ':memory:' (the default). */
  readonly path?: string;
  readonly clock?: Clock;
}

export interface SandboxConnector extends Connector {
  readonly type: 'sandbox';
  readonly seed: number;
  readonly size: SandboxSize;
  /** The underlying store, for the campaign simulator and the HubSpot-shaped emulator. */
  readonly store: SandboxStore;
  /** SHA-256 over a canonical dump of all records and history: equal for equal seeds and sizes. */
  dumpHash(): string;
}

const ACTOR_KINDS: readonly Actor['kind'][] = ['agent', 'person', 'integration', 'system'];

const toCrm = (record: StoredRecord, properties?: readonly string[]): CrmRecord => ({
  id: record.id,
  properties: properties
    ? Object.fromEntries(properties.map((p) => [p, record.properties[p] ?? null]))
    : record.properties,
  createdAt: record.createdAt,
  updatedAt: record.updatedAt,
});

const toEntry = ({ seq: _seq, ...entry }: HistoryRow): PropertyHistoryEntry => entry;

const badRequest = (field: string, message: string) =>
  new GatehouseError(CONNECTOR_ERROR_CODES.invalidRequest, message, { details: { field } });

export async function createSandboxConnector(options: SandboxOptions): Promise<SandboxConnector> {
  if (!Number.isSafeInteger(options.seed))
    throw new GatehouseError('invalid_config', `sandbox seed must be an integer, got ${options.seed}`, {
      details: { field: 'seed' },
    });
  const size = validateSize(options.size);
  const path = options.path ?? ':memory:';
  const clock = options.clock ?? systemClock;
  const store = openSeededStore(path, options.seed, size);
  const deps = { store, clock };

  /** Every call goes through here: a closed connector fails loudly instead of with a driver error. */
  const run = <T>(fn: () => T): Promise<T> => {
    if (!store.isOpen()) {
      return Promise.reject(
        new GatehouseError(CONNECTOR_ERROR_CODES.connectorClosed, `sandbox ${options.id} is closed`),
      );
    }
    try {
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  };

  const changes = (opts: ChangesOptions) => {
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
      ...(rows.length > limit && last ? { nextAfter: encodeCursor({ k: 'ch', t: last.timestamp, s: last.seq }) } : {}),
    };
  };

  return {
    id: options.id,
    type: 'sandbox',
    seed: options.seed,
    size,
    store,
    dumpHash: () => store.dumpHash(),
    schema: (): ObjectSchema[] => [...SANDBOX_SCHEMA],

    list: (object, opts) =>
      run(() => {
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
      }),

    get: (object, id) =>
      run(() => {
        const record = store.get(objectOf(object).schema.name, id);
        return record && !record.archived ? toCrm(record) : undefined;
      }),

    getMany: (object, ids) =>
      run(() => {
        const name = objectOf(object).schema.name;
        if (!isList(ids)) throw badRequest('ids', 'ids must be a list');
        const found = new Map<string, CrmRecord>();
        for (const id of ids) {
          const record = typeof id === 'string' ? store.get(name, id) : undefined;
          if (record && !record.archived) found.set(id, toCrm(record));
        }
        return found;
      }),

    search: (object, opts) =>
      run(() => {
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
      }),

    plan: (req) => run(() => planChange(store, req)),
    apply: (plan, ctx) => run(() => applyPlan(deps, plan, ctx)),
    revert: (items, ctx) => run(() => revertItems(deps, items, ctx)),

    history: (object, id, property) =>
      run(() => {
        const compiled = objectOf(object);
        if (property !== undefined && property !== ARCHIVED_PROPERTY) propertyOf(compiled, property);
        return store.history(compiled.schema.name, id, property).map(toEntry);
      }),

    changes: (opts) => run(() => changes(opts)),

    health: () =>
      run(() => {
        store.db.prepare('SELECT 1').get();
        return { ok: true, detail: `sandbox seed ${options.seed}, ${size.contacts} contacts (${path})` };
      }).catch((e: unknown) => ({ ok: false, detail: e instanceof Error ? e.message : String(e) })),

    close: () => {
      if (store.isOpen()) store.close();
      return Promise.resolve();
    },
  };
}
