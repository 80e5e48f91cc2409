/**
 * Which grants cover an object, and which records a grant's `where` lets through.
 *
 * A `where` is a segment filter: it sees `record`, the record AS READ from the connector (its
 * properties, all strings or null, plus `id`). It runs before masking, so a filter on a PII
 * field works without exposing that field. Fail closed: a `where` that errors (a missing
 * property, a type mismatch) or returns anything but a boolean puts the record OUT of scope.
 */
import { isCelError } from '../cel.js';
import type { AgentBoundary, CrmRecord, Grant, ScopeCheck } from './types.js';

export const READ_OPERATION = 'read';

/** Grants of `agent` that name this connector, object and operation, in config order. */
export function grantsFor(
  agent: AgentBoundary,
  connector: string,
  object: string,
  operation: string,
): readonly Grant[] {
  return agent.grants.filter(
    (g) => g.connector === connector && g.objects.includes(object) && g.operations.includes(operation),
  );
}

/** The grants that let `agent` read `object`: reading requires the operation `read`. */
export function readGrantsFor(agent: AgentBoundary, connector: string, object: string): readonly Grant[] {
  return grantsFor(agent, connector, object, READ_OPERATION);
}

/** The configured rate limit, enforced by the pipeline against shared storage. */
export function actionsPerMinuteOf(agent: AgentBoundary): number | undefined {
  return agent.limits?.actionsPerMinute;
}

export type WhereOutcome = { inScope: true } | { inScope: false; error?: string };

/** Evaluates one grant's `where` against a record; no `where` means every record. */
export function evaluateWhere(grant: Grant, record: CrmRecord): WhereOutcome {
  if (!grant.where) return { inScope: true };
  const result = grant.where.evaluate({ record: { ...record.properties, id: record.id } });
  if (isCelError(result)) return { inScope: false, error: redact(result.message, record) };
  if (typeof result !== 'boolean') {
    return { inScope: false, error: `where returned ${describeType(result)}, not a boolean` };
  }
  return { inScope: result };
}

/**
 * A record is in scope when at least one of the given grants has it in scope. Pass the
 * `grants` of a successful `checkWrite` so that two grants with different segments each cover
 * their own records.
 */
export function checkRecordInScope(grants: Grant | readonly Grant[], record: CrmRecord): ScopeCheck {
  const list: readonly Grant[] = isGrantList(grants) ? grants : [grants];
  const errors: { where: string; error: string }[] = [];
  for (const grant of list) {
    const outcome = evaluateWhere(grant, record);
    if (outcome.inScope) return { ok: true, grant };
    if (outcome.error !== undefined) errors.push({ where: grant.where?.source ?? '', error: outcome.error });
  }
  const wheres = list.map((g) => g.where?.source).filter((s): s is string => s !== undefined);
  return {
    ok: false,
    code: 'record_out_of_scope',
    message:
      errors.length > 0
        ? `record ${record.id} is outside the agent's grants (the segment filter failed to evaluate, so it counts as outside)`
        : `record ${record.id} is outside the agent's grants`,
    details: { record: record.id, where: wheres, ...(errors.length > 0 ? { errors } : {}) },
  };
}

function isGrantList(g: Grant | readonly Grant[]): g is readonly Grant[] {
  return Array.isArray(g);
}

/** The type only: the value may be a record's property, and properties may be personal data. */
function describeType(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'bigint':
      return 'an int';
    case 'number':
      return 'a double';
    default:
      return `a ${typeof v}`;
  }
}

/**
 * CEL error messages can quote the value they failed on (`Cannot convert maria@example.com to a
 * BigInt`). The error travels in refusal details and the audit log, so every property value of the
 * record is replaced by the property's name before it leaves the boundary.
 */
function redact(message: string, record: CrmRecord): string {
  const values = Object.entries(record.properties)
    .filter((e): e is [string, string] => typeof e[1] === 'string' && e[1].length >= 2)
    .sort((a, b) => b[1].length - a[1].length);
  let out = message;
  for (const [field, value] of values) out = out.split(value).join(`<record.${field}>`);
  return out;
}
