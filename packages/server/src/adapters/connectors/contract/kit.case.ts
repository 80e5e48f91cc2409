import { expect } from 'vitest';
import type { ManualClock } from '../../../core/clock.js';
import type {
  Actor,
  ApplyContext,
  Connector,
  CrmRecord,
  Filter,
  PropertySchema,
  PropertyValue,
} from '../../../core/ports/connector.js';

/** What each contract case gets: a fresh connector over seeded data, the clock it reads, and teardown. */
export interface ConnectorHarness {
  readonly connector: Connector;
  readonly clock: ManualClock;
  cleanup(): Promise<void>;
}

export type MakeHarness = () => Promise<ConnectorHarness>;

export const AGENT: Actor = { kind: 'agent', id: 'contract-agent' };
export const PERSON: Actor = { kind: 'person', id: 'contract-person' };
export const OPERATOR: Actor = { kind: 'system', id: 'contract-rollback' };
export const SECOND = 1000;

let keys = 0;
/** A fresh idempotency key per call: tests that want a replay reuse a context explicitly. */
export const ctxFor = (actor: Actor = AGENT): ApplyContext => ({
  idempotencyKey: `contract-${process.pid}-${++keys}`,
  actor,
  source: 'gatehouse',
});

/** Every record of an object, by paging with `limit`. */
export async function listAll(connector: Connector, object: string, limit = 100): Promise<CrmRecord[]> {
  const out: CrmRecord[] = [];
  let after: string | undefined;
  do {
    const page = await connector.list(object, { limit, ...(after ? { after } : {}) });
    out.push(...page.results);
    after = page.nextAfter;
  } while (after);
  return out;
}

export async function searchAll(connector: Connector, object: string, filters: Filter[], limit = 50) {
  const out: CrmRecord[] = [];
  let after: string | undefined;
  let total: number;
  do {
    const page = await connector.search(object, { filters, limit, ...(after ? { after } : {}) });
    out.push(...page.results);
    total = page.total;
    after = page.nextAfter;
  } while (after);
  return { results: out, total };
}

/** Asserts that a promise rejects with a GatehouseError-like `code`. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code });
}

/** Applies one property update as `actor` (plan + apply) and returns the apply time. */
export async function write(
  connector: Connector,
  object: string,
  id: string,
  changes: Record<string, PropertyValue>,
  actor: Actor = AGENT,
): Promise<string> {
  const plan = await connector.plan({ object, operation: 'update', records: [{ id, changes }] });
  const result = await connector.apply(plan, ctxFor(actor));
  if (result.type !== 'applied') throw new Error(`expected applied, got ${JSON.stringify(result)}`);
  return result.appliedAt;
}

/**
 * The reference semantics of search filters (the port's Filter contract), evaluated in memory.
 * Numbers compare numerically, datetimes as instants, strings case-insensitively, enumerations and
 * booleans exactly; NEQ and NOT_IN match unset values, range operators never do.
 */
export function filterMatches(prop: PropertySchema, f: Filter, raw: PropertyValue): boolean {
  const norm = (v: string): string | number => {
    if (prop.type === 'number') return Number(v);
    if (prop.type === 'datetime') return Date.parse(/^\d+$/.test(v) ? new Date(Number(v)).toISOString() : v);
    if (prop.type === 'string') return v.toLowerCase();
    return v;
  };
  const has = raw !== null && raw !== undefined;
  const value = has ? norm(raw) : undefined;
  const target = f.value === undefined ? undefined : norm(f.value);
  const set = (f.values ?? []).map(norm);
  switch (f.operator) {
    case 'EQ':
      return has && value === target;
    case 'NEQ':
      return !has || value !== target;
    case 'LT':
      return has && value! < target!;
    case 'LTE':
      return has && value! <= target!;
    case 'GT':
      return has && value! > target!;
    case 'GTE':
      return has && value! >= target!;
    case 'IN':
      return has && set.includes(value!);
    case 'NOT_IN':
      return !has || !set.includes(value!);
    case 'HAS_PROPERTY':
      return has && raw !== '';
    case 'NOT_HAS_PROPERTY':
      return !has || raw === '';
    case 'CONTAINS_TOKEN': {
      if (!has || !f.value) return false;
      const token = f.value.trim().toLowerCase();
      const text = raw.toLowerCase();
      if (token.includes('*')) {
        const re = token
          .split('*')
          .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*');
        return new RegExp(`^${re}$`, 's').test(text);
      }
      return text.split(/[\s;,]+/).includes(token);
    }
  }
}
