/**
 * A change set is the staging diff of one action: what each record looks like now and after,
 * how undoable each change is, and a hash that binds approvals to exactly these bytes.
 *
 * No-op records (after == before) stay in the set, marked `noop`, so the diff shows that the agent
 * asked for them; they never count as changes and are never written.
 */
import { canonicalHash } from '../audit/canonical.js';
import type { ChangePlan, PlannedRecordChange, Reversibility } from '../ports/connector.js';

export interface ChangeSetSummary {
  records: number;
  fields: number;
  irreversible: number;
  compensatable: number;
  noop: number;
  missing: number;
  /** The replica the records were read and planned on, when not the action's (live) connector (`observe_on`). */
  data_source?: string;
}

export interface ChangeSet {
  /** SHA-256 over the canonical JSON of (object, operation, target, records with fingerprints). */
  hash: string;
  object: string;
  operation: string;
  target?: string;
  summary: ChangeSetSummary;
  records: readonly PlannedRecordChange[];
  missing: readonly string[];
}

const RANK: Record<Reversibility, number> = { reversible: 0, compensatable: 1, irreversible: 2 };

/** `dataSource`: the replica that served the plan, if any (recorded in the summary, not hashed). */
export function buildChangeSet(plan: ChangePlan, dataSource?: string): ChangeSet {
  let fields = 0;
  let irreversible = 0;
  let compensatable = 0;
  let noop = 0;
  for (const r of plan.records) {
    if (r.noop) {
      noop++;
      continue;
    }
    fields += Object.keys(r.after).filter((k) => r.after[k] !== r.before[k]).length;
    if (r.reversibility === 'irreversible') irreversible++;
    else if (r.reversibility === 'compensatable') compensatable++;
  }
  const content = {
    object: plan.object,
    operation: plan.operation,
    target: plan.target ?? null,
    records: plan.records.map((r) => [r.object, r.id, r.before, r.after, r.fingerprint, r.reversibility]),
  };
  const hash = canonicalHash(content);
  return {
    hash,
    object: plan.object,
    operation: plan.operation,
    ...(plan.target !== undefined ? { target: plan.target } : {}),
    summary: {
      records: plan.records.length - noop,
      fields,
      irreversible,
      compensatable,
      noop,
      missing: plan.missing.length,
      ...(dataSource !== undefined ? { data_source: dataSource } : {}),
    },
    records: plan.records,
    missing: plan.missing,
  };
}

/** The least reversible class in the set; what an approver must be warned about. */
export function worstReversibility(cs: ChangeSet): Reversibility {
  let worst: Reversibility = 'reversible';
  for (const r of cs.records) if (!r.noop && RANK[r.reversibility] > RANK[worst]) worst = r.reversibility;
  return worst;
}
