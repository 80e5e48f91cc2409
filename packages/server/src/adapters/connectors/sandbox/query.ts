import { GatehouseError } from '../../../core/errors.js';
import {
  CONNECTOR_ERROR_CODES,
  FILTER_OPERATORS,
  MAX_PAGE_LIMIT,
  type Filter,
  type PropertySchema,
  type SearchOptions,
} from '../../../core/ports/connector.js';
import { cursorInt, decodeCursor, encodeCursor } from '../cursor.js';
import type { CompiledObject } from './schema.js';

/**
 * Search as SQL over the records table. Every identifier in the SQL comes from the schema (property
 * names are validated first), every value is a bound parameter, so nothing a caller sends is ever
 * spliced into SQL text.
 */

const fail = (code: string, message: string, details?: Record<string, unknown>) =>
  new GatehouseError(code, message, details ? { details } : undefined);

/** Array.isArray without widening a typed list to any[] (inputs may come from untyped callers). */
export function isList<T>(value: readonly T[] | null | undefined): value is readonly T[] {
  return Array.isArray(value);
}

export function checkLimit(limit: number, max = MAX_PAGE_LIMIT): number {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > max) {
    throw fail(
      CONNECTOR_ERROR_CODES.invalidRequest,
      `limit must be an integer from 1 to ${max}, got ${String(limit)}`,
      {
        field: 'limit',
      },
    );
  }
  return limit;
}

export function propertyOf(object: CompiledObject, name: string): PropertySchema {
  const prop = object.byName.get(name);
  if (!prop) {
    throw fail(CONNECTOR_ERROR_CODES.unknownProperty, `${object.schema.name} has no property "${name}"`, {
      object: object.schema.name,
      property: name,
    });
  }
  return prop;
}

/** A datetime filter value: ISO 8601 or epoch milliseconds (HubSpot sends the latter), as ISO. */
export function normalizeDatetime(value: string): string | undefined {
  const ms = /^\d{1,15}$/.test(value) ? Number(value) : Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

interface Compiled {
  readonly sql: string;
  readonly params: unknown[];
}

function compileFilter(object: CompiledObject, filter: Filter): Compiled {
  const bad = (message: string) =>
    fail(CONNECTOR_ERROR_CODES.invalidFilter, `filter on ${filter.property}: ${message}`, {
      property: filter.property,
      operator: filter.operator,
    });
  if (!FILTER_OPERATORS.includes(filter.operator)) throw bad(`unknown operator "${String(filter.operator)}"`);
  const prop = propertyOf(object, filter.property);
  const v = `json_extract(properties, '$.${prop.name}')`;

  // One value as it is compared: numbers numerically, datetimes as ISO instants, strings case-insensitively
  // (gh_lower is JavaScript's full Unicode toLowerCase; SQLite's lower() folds ASCII only).
  const operand = (raw: unknown): { expr: string; param: unknown } => {
    if (typeof raw !== 'string') throw bad('value must be a string');
    switch (prop.type) {
      case 'number': {
        const n = Number(raw);
        if (raw.trim() === '' || !Number.isFinite(n)) throw bad(`"${raw}" is not a number`);
        return { expr: `CAST(${v} AS REAL)`, param: n };
      }
      case 'datetime': {
        const at = normalizeDatetime(raw);
        if (at === undefined) throw bad(`"${raw}" is not a date-time`);
        return { expr: v, param: at };
      }
      case 'string':
        return { expr: `gh_lower(${v})`, param: raw.toLowerCase() };
      default:
        return { expr: v, param: raw };
    }
  };
  const one = () => {
    if (filter.value === undefined) throw bad(`${filter.operator} needs a value`);
    return operand(filter.value);
  };
  const many = () => {
    if (!isList(filter.values) || filter.values.length === 0)
      throw bad(`${filter.operator} needs a non-empty values list`);
    if (filter.values.length > 1000) throw bad('at most 1000 values');
    const ops = filter.values.map(operand);
    return { expr: ops[0]!.expr, params: ops.map((o) => o.param), marks: ops.map(() => '?').join(', ') };
  };
  const range = (sym: string): Compiled => {
    const o = one();
    return { sql: `(${v} IS NOT NULL AND ${o.expr} ${sym} ?)`, params: [o.param] };
  };

  switch (filter.operator) {
    case 'EQ': {
      const o = one();
      return { sql: `(${v} IS NOT NULL AND ${o.expr} = ?)`, params: [o.param] };
    }
    case 'NEQ': {
      const o = one();
      return { sql: `(${v} IS NULL OR ${o.expr} <> ?)`, params: [o.param] };
    }
    case 'LT':
      return range('<');
    case 'LTE':
      return range('<=');
    case 'GT':
      return range('>');
    case 'GTE':
      return range('>=');
    case 'IN': {
      const m = many();
      return { sql: `(${v} IS NOT NULL AND ${m.expr} IN (${m.marks}))`, params: m.params };
    }
    case 'NOT_IN': {
      const m = many();
      return { sql: `(${v} IS NULL OR ${m.expr} NOT IN (${m.marks}))`, params: m.params };
    }
    case 'HAS_PROPERTY':
      return { sql: `(${v} IS NOT NULL AND ${v} <> '')`, params: [] };
    case 'NOT_HAS_PROPERTY':
      return { sql: `(${v} IS NULL OR ${v} = '')`, params: [] };
    case 'CONTAINS_TOKEN': {
      if (typeof filter.value !== 'string' || filter.value.trim() === '') throw bad('CONTAINS_TOKEN needs a value');
      return { sql: `gh_contains_token(${v}, ?) = 1`, params: [filter.value.trim()] };
    }
  }
}

type SearchCursor = { kind: 'seq'; seq: number } | { kind: 'offset'; offset: number };

/** The search as SQL: a WHERE clause, an ORDER BY, and the page position decoded from `after`. */
export function compileSearch(object: CompiledObject, opts: SearchOptions) {
  if (!isList(opts.filters)) throw fail(CONNECTOR_ERROR_CODES.invalidFilter, 'filters must be a list');
  if (opts.filters.length > 50) throw fail(CONNECTOR_ERROR_CODES.invalidFilter, 'at most 50 filters');
  const parts = opts.filters.map((f) => compileFilter(object, f));
  const where = ['object = ?', 'archived = 0', ...parts.map((p) => p.sql)].join(' AND ');
  const params: unknown[] = [object.schema.name, ...parts.flatMap((p) => p.params)];

  const sorts = opts.sorts ?? [];
  const order = sorts.map((s) => {
    const prop = propertyOf(object, s.property);
    if (s.direction !== 'ASCENDING' && s.direction !== 'DESCENDING') {
      throw fail(CONNECTOR_ERROR_CODES.invalidRequest, `sort direction must be ASCENDING or DESCENDING`, {
        field: 'sorts',
      });
    }
    const v = `json_extract(properties, '$.${prop.name}')`;
    const expr = prop.type === 'number' ? `CAST(${v} AS REAL)` : v;
    // Unset values sort last in both directions, as HubSpot does.
    return `(${v} IS NULL), ${expr} ${s.direction === 'ASCENDING' ? 'ASC' : 'DESC'}`;
  });
  // Unsorted searches page by the immutable insertion order (stable under concurrent updates);
  // sorted ones by offset, like HubSpot's search.
  const sorted = order.length > 0;
  const cursor: SearchCursor | undefined =
    opts.after === undefined
      ? undefined
      : decodeCursor(opts.after, (value): SearchCursor | undefined => {
          if (sorted) {
            const offset = cursorInt(value, 'so', 'o');
            return offset === undefined ? undefined : { kind: 'offset', offset };
          }
          const seq = cursorInt(value, 'ss', 's');
          return seq === undefined ? undefined : { kind: 'seq', seq };
        });
  return {
    countSql: `SELECT count(*) AS n FROM records WHERE ${where}`,
    countParams: params,
    pageSql: sorted
      ? `SELECT * FROM records WHERE ${where} ORDER BY ${order.join(', ')}, seq ASC LIMIT ? OFFSET ?`
      : `SELECT * FROM records WHERE ${where} AND seq > ? ORDER BY seq ASC LIMIT ?`,
    pageParams: sorted
      ? [...params, opts.limit + 1, cursor?.kind === 'offset' ? cursor.offset : 0]
      : [...params, cursor?.kind === 'seq' ? cursor.seq : 0, opts.limit + 1],
    /** The cursor for the page after one that ended at `lastSeq` (having served `served` rows). */
    next: (lastSeq: number, served: number) =>
      sorted
        ? encodeCursor({ k: 'so', o: (cursor?.kind === 'offset' ? cursor.offset : 0) + served })
        : encodeCursor({ k: 'ss', s: lastSeq }),
  };
}

export const listCursor = {
  encode: (seq: number) => encodeCursor({ k: 'l', s: seq }),
  decode: (after: string | undefined) => (after === undefined ? 0 : decodeCursor(after, (v) => cursorInt(v, 'l', 's'))),
};
