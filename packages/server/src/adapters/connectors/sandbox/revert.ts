import type { Clock } from '../../../core/clock.js';
import {
  ARCHIVED_PROPERTY,
  type Actor,
  type ApplyContext,
  type RevertItem,
  type RevertOutcome,
} from '../../../core/ports/connector.js';
import { checkContext } from './apply.js';
import { propertyOf } from './query.js';
import { objectOf } from './schema.js';
import type { HistoryRow, SandboxStore } from './store.js';

/**
 * Undoing writes, one property at a time, refusing to overwrite anyone else's later work.
 *
 * Per item: the write being undone is the first history entry at `appliedAt` holding `wrote`; its
 * actor is the writer. Later entries by anyone other than the writer (rollback entries aside, so
 * that newest-first undo of one agent's successive writes works) mean someone else changed the
 * value since: `conflict`, naming who and when. A later rollback entry that left `restore` in
 * place means this undo already happened: `already_restored`. Otherwise, if the value is still
 * `wrote`, it is set back to `restore` with history source `rollback`.
 */

export const ROLLBACK_SOURCE = 'rollback';

const sameActor = (a: Actor, b: Actor) => a.kind === b.kind && a.id === b.id;
const UNKNOWN: Actor = { kind: 'system', id: 'unknown' };

/** History oldest first, split at the write being undone. */
function around(entries: readonly HistoryRow[], item: RevertItem) {
  const chronological = [...entries].reverse();
  const at = chronological.findIndex((e) => e.timestamp === item.appliedAt && e.value === item.wrote);
  if (at >= 0) return { write: chronological[at], later: chronological.slice(at + 1) };
  return { write: undefined, later: chronological.filter((e) => e.timestamp > item.appliedAt) };
}

function revertArchive(store: SandboxStore, item: RevertItem, ts: string, actor: Actor): RevertOutcome {
  const key = { id: item.id, property: item.property };
  const record = store.get(item.object, item.id);
  if (!record) return { ...key, type: 'missing' };
  if (record.archived) return { ...key, type: 'already_restored' };
  const entries = store.history(item.object, item.id);
  const chronological = [...entries].reverse();
  const creator = chronological.find((e) => e.timestamp === item.appliedAt)?.actor;
  const foreign = chronological.filter(
    (e) => e.timestamp >= item.appliedAt && e.source !== ROLLBACK_SOURCE && (!creator || !sameActor(e.actor, creator)),
  );
  const last = foreign[foreign.length - 1];
  if (last) return { ...key, type: 'conflict', current: 'false', changedBy: last.actor, changedAt: last.timestamp };
  store.setArchived(item.object, item.id, true, ts);
  store.appendHistory(item.object, item.id, ARCHIVED_PROPERTY, 'true', ts, ROLLBACK_SOURCE, actor);
  return { ...key, type: 'restored' };
}

function revertProperty(store: SandboxStore, item: RevertItem, ts: string, actor: Actor): RevertOutcome {
  const key = { id: item.id, property: item.property };
  const record = store.get(item.object, item.id);
  if (!record || record.archived) return { ...key, type: 'missing' };
  const current = record.properties[item.property] ?? null;
  const { write, later } = around(store.history(item.object, item.id, item.property), item);
  if (current === item.restore && later.some((e) => e.source === ROLLBACK_SOURCE && e.value === item.restore)) {
    return { ...key, type: 'already_restored' };
  }
  const foreign = later.filter((e) => e.source !== ROLLBACK_SOURCE && (!write || !sameActor(e.actor, write.actor)));
  const culprit = foreign[foreign.length - 1] ?? (current !== item.wrote ? later[later.length - 1] : undefined);
  if (culprit || current !== item.wrote) {
    return {
      ...key,
      type: 'conflict',
      current,
      changedBy: culprit?.actor ?? UNKNOWN,
      changedAt: culprit?.timestamp ?? record.updatedAt,
    };
  }
  const changes = { [item.property]: item.restore };
  if ('lastmodifieddate' in record.properties && item.property !== 'lastmodifieddate') changes['lastmodifieddate'] = ts;
  store.writeProperties(record, changes, ts, ROLLBACK_SOURCE, actor);
  return { ...key, type: 'restored' };
}

export function revertItems(
  deps: { store: SandboxStore; clock: Clock },
  items: readonly RevertItem[],
  ctx: ApplyContext,
): RevertOutcome[] {
  checkContext(ctx);
  for (const item of items) {
    const object = objectOf(item.object);
    if (item.property !== ARCHIVED_PROPERTY) propertyOf(object, item.property);
  }
  return deps.store.transaction(() => {
    const ts = deps.clock.now().toISOString();
    return items.map((item) =>
      item.property === ARCHIVED_PROPERTY
        ? revertArchive(deps.store, item, ts, ctx.actor)
        : revertProperty(deps.store, item, ts, ctx.actor),
    );
  });
}
