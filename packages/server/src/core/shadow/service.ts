/**
 * Loads shadow evidence and scores it: shadowed proposals from storage, people's changes from the
 * connectors (`changes({ actorKinds: ['person'] })`), the agent's view from its grants.
 *
 * "In the agent's view" is judged on the record as it is now (its grants' `where` over the current
 * record): CRMs keep property history, not a queryable past of whole records, and the segment
 * filters agents get (country, lifecycle stage) rarely change under a record.
 */
import { checkRecordInScope, type Grant } from '../boundary/index.js';
import type { Connector, CrmRecord } from '../ports/connector.js';
import type { ActionRow } from '../ports/storage.js';
import type { PipelineDeps } from '../pipeline/types.js';
import { humanChangeOf, proposalsOf, shadowActionOf } from './proposals.js';
import { scoreShadow } from './score.js';
import type { BucketSize, HumanChange, ShadowAction, ShadowProposal, ShadowReport } from './types.js';

export type ShadowDeps = Pick<PipelineDeps, 'storage' | 'connectors' | 'agents' | 'clock'>;

export interface ShadowQuery {
  /** Score one agent (else every agent with shadow evidence in the period). */
  readonly agentId?: string;
  /** Only this `object.operation`. */
  readonly operation?: string;
  /** Period start (inclusive). */
  readonly since: Date;
  /** Period end (exclusive); default (and anything later than) now, inclusive. */
  readonly until?: Date;
  readonly matchWindowMs: number;
  readonly bucket?: BucketSize;
  /** Example proposals per category and agent (default 5). */
  readonly examples?: number;
}

const PAGE = 1_000;
const RECORD_PAGE = 10_000;
const GET_MANY = 200;

export async function loadShadowReport(deps: ShadowDeps, q: ShadowQuery): Promise<ShadowReport> {
  const now = deps.clock.now().getTime();
  const from = q.since.getTime();
  // Up to now means including now: an action recorded this millisecond is evidence too.
  const to = q.until && q.until.getTime() < now ? q.until.getTime() : now + 1;
  const proposals: ShadowProposal[] = [];
  const actions: ShadowAction[] = [];
  const wanted = (op: string) => q.operation === undefined || op === q.operation;

  for await (const row of actionRows(deps, q.agentId, from, to)) {
    const action = shadowActionOf(row);
    if (!action || !wanted(action.operation)) continue;
    actions.push(action);
    if (row.status !== 'shadowed' || !row.changesetId) continue;
    for (let offset = 0; ; offset += RECORD_PAGE) {
      const records = await deps.storage.changesets.listRecords(row.changesetId, { offset, limit: RECORD_PAGE });
      proposals.push(...proposalsOf(row, records));
      if (records.length < RECORD_PAGE) break;
    }
  }

  const agentIds = new Set(actions.map((a) => a.agentId));
  if (q.agentId !== undefined) agentIds.add(q.agentId);
  const grantsOf = (agentId: string): readonly Grant[] => deps.agents.get(agentId)?.grants ?? [];
  const writableAs = (agentId: string, connector: string, object: string, field: string) => {
    const op = `${object}.update`;
    if (!wanted(op)) return undefined;
    const ok = grantsOf(agentId).some(
      (g) =>
        g.connector === connector &&
        g.objects.includes(object) &&
        g.operations.includes('update') &&
        (g.writeFields ?? []).includes(field),
    );
    return ok ? op : undefined;
  };

  // People's changes on every object a scored agent proposed for or may write.
  const targets = new Map<string, { connector: string; object: string }>();
  for (const p of proposals) targets.set(`${p.connector}/${p.object}`, { connector: p.connector, object: p.object });
  for (const id of agentIds)
    for (const g of grantsOf(id))
      if (g.operations.includes('update') && (g.writeFields ?? []).length > 0)
        for (const object of g.objects) targets.set(`${g.connector}/${object}`, { connector: g.connector, object });
  const changesTo = Math.min(to + q.matchWindowMs, now + 1);
  const changes: HumanChange[] = [];
  for (const t of targets.values()) {
    const connector = deps.connectors.get(t.connector);
    if (!connector) continue;
    await readChanges(connector, t.object, new Date(from).toISOString(), new Date(changesTo).toISOString(), changes);
  }

  const records = await currentRecords(deps, changes, agentIds, writableAs);
  const inView = (agentId: string, connector: string, object: string, recordId: string) => {
    const record = records.get(`${connector}/${object}`)?.get(recordId);
    if (!record) return false;
    const grants = grantsOf(agentId).filter((g) => g.connector === connector && g.objects.includes(object));
    return grants.length > 0 && checkRecordInScope(grants, record).ok;
  };

  return scoreShadow(proposals, actions, changes, {
    from,
    to,
    now,
    matchWindowMs: q.matchWindowMs,
    bucket: q.bucket ?? 'day',
    writableAs,
    inView,
    agents: [...agentIds],
    ...(q.examples !== undefined ? { examples: q.examples } : {}),
  });
}

async function* actionRows(deps: ShadowDeps, agentId: string | undefined, from: number, to: number) {
  let afterId: string | undefined;
  for (;;) {
    const rows: ActionRow[] = await deps.storage.actions.list({
      ...(agentId !== undefined ? { agentId } : {}),
      statuses: ['shadowed', 'denied'],
      since: new Date(from).toISOString(),
      before: new Date(to).toISOString(),
      order: 'asc',
      limit: PAGE,
      ...(afterId !== undefined ? { afterId } : {}),
    });
    yield* rows;
    if (rows.length < PAGE) return;
    afterId = rows[rows.length - 1]!.id;
  }
}

async function readChanges(connector: Connector, object: string, from: string, to: string, out: HumanChange[]) {
  let after: string | undefined;
  do {
    const page = await connector.changes({
      from,
      to,
      object,
      actorKinds: ['person'],
      limit: 1_000,
      ...(after !== undefined ? { after } : {}),
    });
    for (const e of page.results) out.push(humanChangeOf(connector.id, e));
    after = page.nextAfter;
  } while (after !== undefined);
}

/** The current records people changed on fields some scored agent may write (for `inView`). */
async function currentRecords(
  deps: ShadowDeps,
  changes: readonly HumanChange[],
  agentIds: ReadonlySet<string>,
  writableAs: (agentId: string, connector: string, object: string, field: string) => string | undefined,
): Promise<Map<string, Map<string, CrmRecord>>> {
  const wanted = new Map<string, { connector: string; object: string; ids: Set<string> }>();
  const writable = new Map<string, boolean>();
  for (const h of changes) {
    const fk = `${h.connector}/${h.object}/${h.field}`;
    let ok = writable.get(fk);
    if (ok === undefined) {
      ok = [...agentIds].some((a) => writableAs(a, h.connector, h.object, h.field) !== undefined);
      writable.set(fk, ok);
    }
    if (!ok) continue;
    const key = `${h.connector}/${h.object}`;
    let w = wanted.get(key);
    if (!w) wanted.set(key, (w = { connector: h.connector, object: h.object, ids: new Set() }));
    w.ids.add(h.recordId);
  }
  const out = new Map<string, Map<string, CrmRecord>>();
  for (const [key, w] of wanted) {
    const connector = deps.connectors.get(w.connector);
    if (!connector) continue;
    const found = new Map<string, CrmRecord>();
    const ids = [...w.ids];
    for (let i = 0; i < ids.length; i += GET_MANY) {
      for (const [id, r] of await connector.getMany(w.object, ids.slice(i, i + GET_MANY))) found.set(id, r);
    }
    out.set(key, found);
  }
  return out;
}
