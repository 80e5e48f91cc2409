/**
 * From stored actions to scorer inputs. A shadowed action contributes one proposal per record and
 * field its change set would have changed (no-op fields are not proposals: they change nothing),
 * and one action to rule adherence. An action denied while its operation was observed is a
 * proposal that broke a rule: it counts against rule adherence, with no field proposals.
 */
import type { PropertyHistoryEntry } from '../ports/connector.js';
import type { ActionRow, ChangeRecordRow } from '../ports/storage.js';
import type { HumanChange, ShadowAction, ShadowProposal } from './types.js';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Denials that are about load or control, not about what the agent proposed. */
const NOT_A_RULE = new Set(['rate_limited', 'agent_paused', 'breaker_open']);

export const operationKey = (object: string, operation: string) => `${object}.${operation}`;

/** Is this stored action evidence for shadow scoring, and would the policy have allowed it? */
export function shadowActionOf(row: ActionRow): ShadowAction | undefined {
  const d = isRecord(row.decision) ? row.decision : undefined;
  if (!d) return undefined;
  const base = {
    agentId: row.agentId,
    actionId: row.id,
    operation: operationKey(row.object, row.operation),
    at: Date.parse(row.createdAt),
  };
  if (row.status === 'shadowed') return { ...base, allowed: d.effect === 'allow' };
  if (row.status === 'denied' && d.mode === 'observe' && !NOT_A_RULE.has(String(d.code))) {
    return { ...base, allowed: false };
  }
  return undefined;
}

export function proposalsOf(row: ActionRow, records: readonly ChangeRecordRow[]): ShadowProposal[] {
  if (row.status !== 'shadowed') return [];
  const at = Date.parse(row.createdAt);
  const operation = operationKey(row.object, row.operation);
  const out: ShadowProposal[] = [];
  for (const r of records) {
    if (!isRecord(r.after)) continue;
    const before = isRecord(r.before) ? r.before : {};
    for (const [field, value] of Object.entries(r.after)) {
      if (value !== null && typeof value !== 'string') continue;
      if (field in before && before[field] === value) continue;
      out.push({
        agentId: row.agentId,
        actionId: row.id,
        operation,
        connector: row.connector,
        object: r.object,
        recordId: r.recordId,
        field,
        value,
        at,
      });
    }
  }
  return out;
}

export function humanChangeOf(connector: string, e: PropertyHistoryEntry): HumanChange {
  return {
    connector,
    object: e.object,
    recordId: e.id,
    field: e.property,
    value: e.value,
    at: Date.parse(e.timestamp),
    actor: `${e.actor.kind}:${e.actor.id}`,
  };
}
