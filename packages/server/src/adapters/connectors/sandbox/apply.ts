import { GatehouseError } from '../../../core/errors.js';
import type { Clock } from '../../../core/clock.js';
import {
  CONNECTOR_ERROR_CODES,
  type Actor,
  type ApplyContext,
  type ApplyResult,
  type ChangePlan,
  type PropertyValue,
} from '../../../core/ports/connector.js';
import { hashCanonical } from '../fingerprint.js';
import { invalidValue } from './planner.js';
import { propertyOf } from './query.js';
import { fullProperties, ID_PREFIX, objectOf } from './schema.js';
import type { SandboxStore, WritableRecord } from './store.js';

/**
 * Applying a plan. One IMMEDIATE transaction does, in this order: idempotency lookup, fingerprint
 * re-check of every record, the writes with their history, and recording the idempotency key with
 * the result. Because the key is committed with the writes, a crash can never apply a plan twice,
 * and a stale plan writes nothing at all.
 */

const ACTOR_KINDS: readonly Actor['kind'][] = ['agent', 'person', 'integration', 'system'];

const bad = (field: string, message: string) =>
  new GatehouseError(CONNECTOR_ERROR_CODES.invalidRequest, message, { details: { field } });

export function checkContext(ctx: ApplyContext): void {
  if (typeof ctx?.idempotencyKey !== 'string' || ctx.idempotencyKey === '' || ctx.idempotencyKey.length > 512) {
    throw bad('idempotencyKey', 'idempotencyKey must be a non-empty string of at most 512 characters');
  }
  if (!ACTOR_KINDS.includes(ctx.actor?.kind) || typeof ctx.actor.id !== 'string' || ctx.actor.id === '') {
    throw bad('actor', `actor must be { kind: ${ACTOR_KINDS.join('|')}, id: non-empty string }`);
  }
  if (typeof ctx.source !== 'string' || ctx.source === '') throw bad('source', 'source must be a non-empty string');
}

/** What the idempotency key is bound to: the same key with a different plan is refused, not replayed. */
const planHash = (plan: ChangePlan) =>
  hashCanonical({
    object: plan.object,
    operation: plan.operation,
    target: plan.target ?? null,
    records: plan.records.map((r) => ({
      object: r.object,
      id: r.id,
      after: r.after,
      fingerprint: r.fingerprint,
      noop: r.noop,
    })),
  });

const failed = (code: string, message: string, retryable: boolean): ApplyResult => ({
  type: 'failed',
  code,
  message,
  retryable,
});

/** SQLite says "busy/locked" when another process holds the write lock: worth retrying. */
const isRetryable = (e: unknown) =>
  typeof e === 'object' && e !== null && /^SQLITE_(BUSY|LOCKED|IOERR)/.test(String((e as { code?: unknown }).code));

/** Checks done before touching storage; returns the plan's hash. */
function prepare(plan: ChangePlan, ctx: ApplyContext): string {
  checkContext(ctx);
  // Reject plans naming unknown objects or properties before touching storage: they are malformed, not stale.
  for (const r of plan.records) for (const name of Object.keys(r.after)) propertyOf(objectOf(r.object), name);
  return planHash(plan);
}

const storageFailed = (e: unknown): ApplyResult => {
  if (e instanceof GatehouseError) throw e;
  return failed(
    'storage_error',
    `sandbox storage failed: ${e instanceof Error ? e.message : String(e)}`,
    isRetryable(e),
  );
};

export function applyPlan(
  deps: { store: SandboxStore; clock: Clock },
  plan: ChangePlan,
  ctx: ApplyContext,
): ApplyResult {
  const hash = prepare(plan, ctx);
  try {
    return deps.store.transaction(() => applyInTransaction(deps, plan, ctx, hash));
  } catch (e) {
    return storageFailed(e);
  }
}

/**
 * `applyPlan` with a COMMIT shared by the applies of one event-loop turn (store.ts `grouped`):
 * the same steps in the same (nested) transaction, the key still committed with the writes, and
 * the result given only after the COMMIT; a failed COMMIT is a `storage_error` with nothing applied.
 */
export async function applyPlanGrouped(
  deps: { store: SandboxStore; clock: Clock },
  plan: ChangePlan,
  ctx: ApplyContext,
): Promise<ApplyResult> {
  const hash = prepare(plan, ctx);
  const r = await deps.store.grouped(() => applyInTransaction(deps, plan, ctx, hash));
  return 'error' in r ? storageFailed(r.error) : r.value;
}

function applyInTransaction(
  deps: { store: SandboxStore; clock: Clock },
  plan: ChangePlan,
  ctx: ApplyContext,
  hash: string,
): ApplyResult {
  const { store, clock } = deps;
  const creating = plan.operation === 'create';
  const prior = store.appliedResult(ctx.idempotencyKey);
  if (prior) {
    if (prior.plan_hash !== hash) {
      return failed(
        'idempotency_key_reused',
        `idempotency key ${ctx.idempotencyKey} was used for a different change`,
        false,
      );
    }
    return { ...(JSON.parse(prior.result) as ApplyResult & { type: 'applied' }), replayed: true };
  }
  const invalid: { id: string; property: string; message: string }[] = [...(plan.invalid ?? [])];
  for (const r of plan.records) {
    const object = objectOf(r.object);
    for (const [name, value] of Object.entries(r.after)) {
      const message = invalidValue(propertyOf(object, name), value);
      if (message) invalid.push({ id: r.id, property: name, message });
    }
  }
  if (invalid.length > 0) {
    return failed(
      'invalid_plan',
      `the plan has ${invalid.length} invalid value(s), first: ${invalid[0]!.message}`,
      false,
    );
  }

  const stale: { id: string; expected: string; actual: string | null }[] = [];
  // Properties as read for the fingerprint check, reused by the writes below (same transaction).
  const read = new Map<number, WritableRecord>();
  if (!creating) {
    plan.records.forEach((r, i) => {
      const properties = store.liveProperties(r.object, r.id);
      const actual = properties ? store.fingerprint(properties) : null;
      if (actual !== r.fingerprint) stale.push({ id: r.id, expected: r.fingerprint, actual });
      else if (properties) read.set(i, { object: r.object, id: r.id, properties });
    });
  }
  if (stale.length > 0) return { type: 'stale', stale };

  const appliedAt = clock.now().toISOString();
  const written: { id: string; ref?: string }[] = [];
  const seen = new Set<string>();
  for (const [i, r] of plan.records.entries()) {
    if (r.noop) continue;
    if (creating) {
      const id = `${ID_PREFIX[r.object] ?? r.object}_${store.countObject(r.object) + 1}`;
      const properties = fullProperties(r.object, {
        ...r.after,
        createdate: appliedAt,
        lastmodifieddate: appliedAt,
      });
      store.insertRecord(r.object, id, properties, appliedAt, ctx.source, ctx.actor);
      written.push({ id, ref: r.id });
      continue;
    }
    // A record listed twice was read once per listing; the second write must see the first.
    const current = (seen.has(`${r.object}/${r.id}`) ? store.read(r.object, r.id) : read.get(i))!;
    seen.add(`${r.object}/${r.id}`);
    const changes: Record<string, PropertyValue> = {};
    let changed = false;
    for (const [name, value] of Object.entries(r.after)) {
      if (current.properties[name] !== value) {
        changes[name] = value;
        changed = true;
      }
    }
    if (!changed) continue;
    if ('lastmodifieddate' in current.properties) changes['lastmodifieddate'] = appliedAt;
    store.writeProperties(current, changes, appliedAt, ctx.source, ctx.actor);
    written.push({ id: r.id });
  }
  const result = { type: 'applied', appliedAt, records: written, replayed: false } as const;
  store.recordApplied(ctx.idempotencyKey, hash, JSON.stringify(result));
  return result;
}
