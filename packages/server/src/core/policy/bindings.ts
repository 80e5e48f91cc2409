/**
 * Turns a `PolicyInput` into CEL variables: exactly `agent`, `action`, `changes`, `now`, `checks`.
 *
 * Numbers: CEL keeps `int` and `double` apart, and a JS number is a `double`. Counts and other
 * whole numbers are passed as `int` (bigint), so `changes.records > 100`, `changes.records > 100.0`
 * and `changes.records + 1 > 100` all work as written; fractional numbers stay `double`.
 * `now` is a CEL timestamp (`now > timestamp('2026-01-01T00:00:00Z')`, `now.getHours()`).
 * `checks` is always a map, empty when there are none, so `has(checks.consent)` is safe.
 */
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { PolicyInput } from './types.js';

export type PolicyBindings = Record<'agent' | 'action' | 'changes' | 'now' | 'checks', unknown>;

export function policyBindings(input: PolicyInput): PolicyBindings {
  return {
    agent: { id: input.agent.id, mode: input.agent.mode, owner: input.agent.owner },
    action: {
      connector: input.action.connector,
      object: input.action.object,
      operation: input.action.operation,
      reason: input.action.reason,
    },
    changes: {
      records: toCel(input.changes.records),
      fields: toCel(input.changes.fields),
      irreversible: toCel(input.changes.irreversible),
    },
    now: timestampFromDate(input.now),
    checks: toCel(input.checks ?? {}),
  };
}

/** JSON-like values to CEL input values; `undefined` properties are dropped (CEL has no undefined). */
export function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value instanceof Date) return timestampFromDate(value);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, toCel(v)]),
    );
  }
  return value;
}
