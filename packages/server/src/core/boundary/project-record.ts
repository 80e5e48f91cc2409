/**
 * What an agent sees of a record it reads.
 *
 * Several grants may cover the same object (say, one for US contacts with emails masked and
 * one for all contacts with only `country`). The rule, chosen so that adding a grant can
 * only widen access by what that grant itself says:
 * - only grants with operation `read` count, and of those only the ones whose `where` has the
 *   record in scope (fail closed: an erroring `where` does not count);
 * - no such grant: the record does not exist for the agent (`undefined`; callers answer 404);
 * - the readable fields are the union of those grants' `readFields` (absent = all properties);
 * - PII fields are presented with the strictest `pii` among those grants (allow < mask < hash).
 */
import { presentPii, strictestPii, type PiiOptions } from './pii.js';
import { evaluateWhere, READ_OPERATION } from './scope.js';
import type { CrmRecord, CrmRecordView, Grant } from './types.js';

export type ProjectOptions = PiiOptions;

export function projectRecord(
  grants: Grant | readonly Grant[],
  record: CrmRecord,
  piiFields: ReadonlySet<string>,
  opts: ProjectOptions,
): CrmRecordView | undefined {
  const list: readonly Grant[] = Array.isArray(grants) ? (grants as readonly Grant[]) : [grants as Grant];
  const covering = list.filter((g) => g.operations.includes(READ_OPERATION) && evaluateWhere(g, record).inScope);
  if (covering.length === 0) return undefined;

  const allFields = covering.some((g) => g.readFields === undefined);
  const readable = new Set(allFields ? [] : covering.flatMap((g) => g.readFields ?? []));
  const pii = strictestPii(covering.map((g) => g.pii));

  // fromEntries defines own properties, so a property named `__proto__` stays data.
  const properties: Record<string, string | null> = Object.fromEntries(
    Object.entries(record.properties)
      .filter(([field]) => allFields || readable.has(field))
      .map(([field, value]) => [field, piiFields.has(field) ? presentPii(value, pii, opts) : value]),
  );
  return { id: record.id, properties };
}
