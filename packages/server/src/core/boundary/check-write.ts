/**
 * Whether an agent's grants permit an action, before anything is planned or read.
 *
 * Checks run in a fixed order so the refusal names the first thing that is wrong, from the
 * coarsest to the finest: connector, object, operation, batch size, fields. The per-record
 * segment check needs the records as read and runs later (`checkRecordInScope`).
 *
 * Fields: absent `writeFields` means no property writes. Every written field must be granted,
 * and one grant must permit all fields of the action together: grants are not merged for
 * writes, so one grant's fields are never paired with another grant's segment.
 */
import { grantsFor } from './scope.js';
import type {
  AgentBoundary,
  BoundaryRefusal,
  Grant,
  ObjectSchema,
  WriteAction,
  WriteCheck,
  WriteRefusalCode,
} from './types.js';

/**
 * `schema` is accepted so every boundary check takes the same inputs; writes to PII fields
 * follow `writeFields` like any other field (masking governs what is shown, not what is written).
 */
export function checkWrite(agent: AgentBoundary, action: WriteAction, _schema?: ObjectSchema): WriteCheck {
  const { connector, object, operation } = action;
  const base = { agent: agent.id, connector, object, operation };

  const onConnector = agent.grants.filter((g) => g.connector === connector);
  if (onConnector.length === 0) {
    return refuse('connector_not_granted', `${agent.id} has no grant on connector ${connector}`, base);
  }
  const onObject = onConnector.filter((g) => g.objects.includes(object));
  if (onObject.length === 0) {
    return refuse('object_not_granted', `${agent.id} has no grant on ${connector}.${object}`, base);
  }
  const matching = grantsFor(agent, connector, object, operation);
  if (matching.length === 0) {
    return refuse('operation_not_granted', `${agent.id} may not ${operation} ${object}`, {
      ...base,
      granted: [...new Set(onObject.flatMap((g) => g.operations))],
    });
  }

  const records = action.records ?? [];
  const maxBatch = agent.limits?.maxBatch;
  if (maxBatch !== undefined && records.length > maxBatch) {
    return refuse(
      'batch_too_large',
      `${agent.id} may change at most ${maxBatch} records in one action; this one has ${records.length}`,
      { ...base, records: records.length, maxBatch },
    );
  }

  const fields = writtenFields(action);
  const anyGrantWrites = (field: string): boolean => matching.some((g) => writable(g, field));
  const ungranted = fields.find((f) => !anyGrantWrites(f));
  if (ungranted !== undefined) {
    return refuse('field_not_writable', `${agent.id} may not write ${object}.${ungranted}`, {
      ...base,
      field: ungranted,
      writable: [...new Set(matching.flatMap((g) => g.writeFields ?? []))],
    });
  }
  const permitting = matching.filter((g) => fields.every((f) => writable(g, f)));
  const [first] = permitting;
  if (first === undefined) {
    return refuse(
      'field_not_writable',
      `${agent.id} may not write ${fields.map((f) => `${object}.${f}`).join(', ')} in one action: no single grant allows them together`,
      { ...base, fields },
    );
  }
  return { ok: true, grant: first, grants: permitting };
}

/** Distinct property names written by the action, in first-seen order. */
function writtenFields(action: WriteAction): string[] {
  const seen = new Set<string>();
  for (const r of action.records ?? []) for (const f of Object.keys(r.changes)) seen.add(f);
  return [...seen];
}

function writable(grant: Grant, field: string): boolean {
  return grant.writeFields?.includes(field) ?? false;
}

function refuse<C extends WriteRefusalCode>(
  code: C,
  message: string,
  details: Record<string, unknown>,
): BoundaryRefusal<C> {
  return { ok: false, code, message, details };
}
