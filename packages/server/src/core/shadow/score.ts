/**
 * Shadow scoring: what an agent in observe mode proposed, against what people then did to the
 * same record and field. Definitions (docs/shadow-mode.md explains them to users):
 *
 * - A proposal is answered by the FIRST person's change to the same record and field at or after
 *   the proposal (`p.at <= h.at`) and before its window closes (`h.at < p.at + matchWindow`).
 *   Same value → `agreement`, another value → `disagreement`. Changes before the proposal are
 *   ignored; a first change after the window leaves it `unconfirmed` (late changes never count).
 * - A later proposal by the same agent for the same record and field made before the earlier one
 *   was answered (at or before the answering change, or within the window when nobody answered)
 *   `supersedes` it: the agent changed its mind, and only the later proposal is scored.
 * - `unconfirmed`: nobody changed the field in the window; `pending` marks those whose window is
 *   still open at `now`. Neither counts for or against precision or recall.
 * - `missed`: a person changed a field the agent may write (`writableAs`), on a record in its view
 *   (`inView`), and no proposal of the agent for that record and field was waiting for an answer
 *   (made at or before the change, window still open). Counted from the agent's first proposal in
 *   the period (the period's start when it proposed nothing), attributed to `object.update`.
 * - precision = agreement / (agreement + disagreement); recall = agreement / (agreement +
 *   disagreement + missed); rule adherence = allowed / actions. Each with a Wilson 95% interval.
 *
 * Cost: one pass to index people's changes by (connector, object, record, field), sorted once;
 * each proposal is a binary search into its key's list. 100,000 proposals against 1,000,000
 * changes score in a couple of seconds (bench/shadow.bench.ts).
 */
import type {
  AgentScore,
  BucketSize,
  HumanChange,
  OperationScore,
  ProposalOutcome,
  ScoreOptions,
  ShadowAction,
  ShadowBucket,
  ShadowCounts,
  ShadowExample,
  ShadowMetrics,
  ShadowProposal,
  ShadowReport,
} from './types.js';
import { wilson } from './wilson.js';

const DAY = 86_400_000;

export function emptyCounts(): ShadowCounts {
  return {
    proposals: 0,
    agreement: 0,
    disagreement: 0,
    missed: 0,
    unconfirmed: 0,
    pending: 0,
    superseded: 0,
    actions: 0,
    allowed: 0,
  };
}

export function metricsOf(c: Readonly<ShadowCounts>): ShadowMetrics {
  return {
    ...c,
    precision: wilson(c.agreement, c.agreement + c.disagreement),
    recall: wilson(c.agreement, c.agreement + c.disagreement + c.missed),
    ruleAdherence: wilson(c.allowed, c.actions),
  };
}

export function bucketStart(at: number, size: BucketSize): number {
  const day = Math.floor(at / DAY);
  if (size === 'day') return day * DAY;
  // 1970-01-01 was a Thursday; weeks start on Monday (ISO 8601).
  return (day - ((day + 3) % 7)) * DAY;
}

/**
 * Items by (connector, object, field) and then record id: nested maps, so indexing a million
 * changes builds no composite key strings.
 */
class FieldIndex<T> {
  readonly #byConnector = new Map<string, Map<string, Map<string, Field<T>>>>();
  readonly fields: Field<T>[] = [];

  field(connector: string, object: string, name: string, create: true): Field<T>;
  field(connector: string, object: string, name: string, create?: false): Field<T> | undefined;
  field(connector: string, object: string, name: string, create = false): Field<T> | undefined {
    let objects = this.#byConnector.get(connector);
    if (!objects) {
      if (!create) return undefined;
      this.#byConnector.set(connector, (objects = new Map<string, Map<string, Field<T>>>()));
    }
    let fields = objects.get(object);
    if (!fields) {
      if (!create) return undefined;
      objects.set(object, (fields = new Map<string, Field<T>>()));
    }
    let f = fields.get(name);
    if (!f && create) {
      f = { connector, object, field: name, records: new Map() };
      fields.set(name, f);
      this.fields.push(f);
    }
    return f;
  }
}

interface Field<T> {
  readonly connector: string;
  readonly object: string;
  readonly field: string;
  readonly records: Map<string, T>;
}

/** One record and field's changes, in time order: times, and indexes into the input. */
interface ChangeList {
  readonly at: Float64Array;
  readonly idx: Int32Array;
}

interface ChangeIndex {
  readonly fields: FieldIndex<number>;
  list(slot: number): ChangeList;
  readonly changes: readonly HumanChange[];
  /** Slot `s` holds positions `[start[s], start[s + 1])` of `at` and `idx`. */
  readonly start: Int32Array;
  readonly at: Float64Array;
  readonly idx: Int32Array;
}

/**
 * People's changes by record and field, each list in time order (input order breaks ties).
 * Counting sort into typed arrays: one map lookup per change and no per-record arrays, which is
 * what keeps a million changes at well under a second.
 */
function indexChanges(changes: readonly HumanChange[]): ChangeIndex {
  const fields = new FieldIndex<number>();
  const n = changes.length;
  const slotOf = new Int32Array(n);
  let counts = new Int32Array(1024);
  let slots = 0;
  let f: Field<number> | undefined;
  for (let i = 0; i < n; i++) {
    const h = changes[i]!;
    // Consecutive changes usually share connector, object and field: skip the lookup then.
    if (!f || f.field !== h.field || f.object !== h.object || f.connector !== h.connector)
      f = fields.field(h.connector, h.object, h.field, true);
    let slot = f.records.get(h.recordId);
    if (slot === undefined) {
      slot = slots++;
      f.records.set(h.recordId, slot);
      if (slot >= counts.length) {
        const grown = new Int32Array(counts.length * 2);
        grown.set(counts);
        counts = grown;
      }
    }
    slotOf[i] = slot;
    counts[slot]!++;
  }
  const start = new Int32Array(slots + 1);
  for (let s = 0; s < slots; s++) start[s + 1] = start[s]! + counts[s]!;
  const fill = start.slice(0, slots);
  const idx = new Int32Array(n);
  const at = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const pos = fill[slotOf[i]!]!++;
    idx[pos] = i;
    at[pos] = changes[i]!.at;
  }
  // Input is oldest first as connectors answer; sort only the lists that are not (stable by input order).
  for (let s = 0; s < slots; s++) {
    const a = start[s]!;
    const b = start[s + 1]!;
    let sorted = true;
    for (let k = a + 1; k < b && sorted; k++) if (at[k - 1]! > at[k]!) sorted = false;
    if (sorted) continue;
    const seg = Array.from(idx.subarray(a, b)).sort((x, y) => changes[x]!.at - changes[y]!.at || x - y);
    for (let k = 0; k < seg.length; k++) {
      idx[a + k] = seg[k]!;
      at[a + k] = changes[seg[k]!]!.at;
    }
  }
  return {
    fields,
    changes,
    start,
    at,
    idx,
    list: (slot) => ({
      at: at.subarray(start[slot], start[slot + 1]),
      idx: idx.subarray(start[slot], start[slot + 1]),
    }),
  };
}

/** First index with `arr[i] >= x` (arr ascending), searching `[lo, hi)`. */
function lowerBound(arr: ArrayLike<number>, x: number, lo = 0, hi = arr.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Last index with `arr[i] <= x`, or -1. */
function lastAtOrBefore(arr: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Proposals per agent, by record and field, each group in time order. */
function groupProposals(proposals: readonly ShadowProposal[]): Map<string, FieldIndex<ShadowProposal[]>> {
  const byAgent = new Map<string, FieldIndex<ShadowProposal[]>>();
  for (const p of proposals) {
    let index = byAgent.get(p.agentId);
    if (!index) byAgent.set(p.agentId, (index = new FieldIndex()));
    const records = index.field(p.connector, p.object, p.field, true).records;
    const list = records.get(p.recordId);
    if (list) list.push(p);
    else records.set(p.recordId, [p]);
  }
  for (const index of byAgent.values()) {
    for (const f of index.fields) {
      for (const list of f.records.values()) {
        if (list.length > 1) {
          // Stable: proposals with the same timestamp keep their input order (the later one supersedes).
          const order = list.map((p, i) => ({ p, i })).sort((a, b) => a.p.at - b.p.at || a.i - b.i);
          for (let i = 0; i < order.length; i++) list[i] = order[i]!.p;
        }
      }
    }
  }
  return byAgent;
}

/** Calls `fn` with every proposal group and the people's changes to the same record and field. */
function eachGroup(
  mine: FieldIndex<ShadowProposal[]>,
  index: ChangeIndex,
  fn: (list: ShadowProposal[], changes: ChangeList | undefined, all: readonly HumanChange[]) => void,
): void {
  for (const f of mine.fields) {
    const theirs = index.fields.field(f.connector, f.object, f.field)?.records;
    for (const [recordId, list] of f.records) {
      const slot = theirs?.get(recordId);
      fn(list, slot === undefined ? undefined : index.list(slot), index.changes);
    }
  }
}

function classifyGroup(
  list: readonly ShadowProposal[],
  changes: ChangeList | undefined,
  all: readonly HumanChange[],
  opts: Pick<ScoreOptions, 'matchWindowMs' | 'now'>,
  out: (o: ProposalOutcome) => void,
): void {
  for (let i = 0; i < list.length; i++) {
    const p = list[i]!;
    const next = list[i + 1];
    const deadline = p.at + opts.matchWindowMs;
    let answer: HumanChange | undefined;
    if (changes) {
      const j = lowerBound(changes.at, p.at);
      if (j < changes.at.length && changes.at[j]! < deadline) answer = all[changes.idx[j]!];
    }
    const supersededBy = next && (answer ? next.at <= answer.at : next.at < deadline);
    if (supersededBy) {
      out({ proposal: p, category: 'superseded', pending: false });
    } else if (answer) {
      out({ proposal: p, category: answer.value === p.value ? 'agreement' : 'disagreement', pending: false, answer });
    } else {
      out({ proposal: p, category: 'unconfirmed', pending: deadline > opts.now });
    }
  }
}

/** Every proposal's category (for tests and drill-downs); proposals outside [from, to) are skipped. */
export function classifyProposals(
  proposals: readonly ShadowProposal[],
  changes: readonly HumanChange[],
  opts: Pick<ScoreOptions, 'matchWindowMs' | 'now' | 'from' | 'to'>,
): ProposalOutcome[] {
  const index = indexChanges(changes);
  const inPeriod = proposals.filter((p) => p.at >= opts.from && p.at < opts.to);
  const out: ProposalOutcome[] = [];
  for (const mine of groupProposals(inPeriod).values())
    eachGroup(mine, index, (list, changes, all) => classifyGroup(list, changes, all, opts, (o) => out.push(o)));
  return out;
}

class Tally {
  readonly total = emptyCounts();
  readonly buckets = new Map<number, ShadowCounts>();
  readonly ops = new Map<string, { total: ShadowCounts; buckets: Map<number, ShadowCounts> }>();
  readonly examples: ShadowExample[] = [];
  readonly exampleCount = new Map<string, number>();
  firstProposalAt = Infinity;

  constructor(readonly bucket: BucketSize) {}

  add(op: string, at: number, field: keyof ShadowCounts): void {
    const b = bucketStart(at, this.bucket);
    this.total[field]++;
    bump(this.buckets, b)[field]++;
    let o = this.ops.get(op);
    if (!o) this.ops.set(op, (o = { total: emptyCounts(), buckets: new Map() }));
    o.total[field]++;
    bump(o.buckets, b)[field]++;
  }

  wantsExample(category: ShadowExample['category'], limit: number): boolean {
    return (this.exampleCount.get(category) ?? 0) < limit;
  }

  example(e: ShadowExample, limit: number): void {
    const n = this.exampleCount.get(e.category) ?? 0;
    if (n >= limit) return;
    this.exampleCount.set(e.category, n + 1);
    this.examples.push(e);
  }
}

function bump(m: Map<number, ShadowCounts>, b: number): ShadowCounts {
  let c = m.get(b);
  if (!c) m.set(b, (c = emptyCounts()));
  return c;
}

const bucketsOf = (m: Map<number, ShadowCounts>): ShadowBucket[] =>
  [...m.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, c]) => ({ start: new Date(start).toISOString(), metrics: metricsOf(c) }));

const iso = (ms: number) => new Date(ms).toISOString();

export function scoreShadow(
  proposals: readonly ShadowProposal[],
  actions: readonly ShadowAction[],
  changes: readonly HumanChange[],
  opts: ScoreOptions,
): ShadowReport {
  const bucket = opts.bucket ?? 'day';
  const exampleLimit = opts.examples ?? 5;
  const index = indexChanges(changes);
  const inPeriod = (at: number) => at >= opts.from && at < opts.to;
  const byAgent = groupProposals(proposals.filter((p) => inPeriod(p.at)));
  const tallies = new Map<string, Tally>();
  const tally = (agentId: string) => {
    let t = tallies.get(agentId);
    if (!t) tallies.set(agentId, (t = new Tally(bucket)));
    return t;
  };
  for (const id of opts.agents ?? []) tally(id);

  // 1. Every proposal gets its category.
  for (const [agentId, mine] of byAgent) {
    const t = tally(agentId);
    eachGroup(mine, index, (list, changes, all) => {
      classifyGroup(list, changes, all, opts, (o) => {
        const p = o.proposal;
        if (p.at < t.firstProposalAt) t.firstProposalAt = p.at;
        t.add(p.operation, p.at, 'proposals');
        t.add(p.operation, p.at, o.category);
        if (o.pending) t.add(p.operation, p.at, 'pending');
        if (!t.wantsExample(o.category, exampleLimit)) return;
        t.example(
          {
            category: o.category,
            operation: p.operation,
            object: p.object,
            recordId: p.recordId,
            field: p.field,
            proposed: p.value,
            human: o.answer ? o.answer.value : undefined,
            proposedAt: iso(p.at),
            ...(o.answer ? { changedAt: iso(o.answer.at) } : {}),
            actionId: p.actionId,
            ...(o.answer?.actor ? { actor: o.answer.actor } : {}),
          },
          exampleLimit,
        );
      });
    });
  }

  // 2. Rule adherence, per action.
  for (const a of actions) {
    if (!inPeriod(a.at)) continue;
    const t = tally(a.agentId);
    t.add(a.operation, a.at, 'actions');
    if (a.allowed) t.add(a.operation, a.at, 'allowed');
  }

  // 3. Missed: people's changes no waiting proposal of the agent covered.
  if (opts.writableAs) {
    for (const [agentId, t] of tallies) {
      const start = Math.max(opts.from, Number.isFinite(t.firstProposalAt) ? t.firstProposalAt : opts.from);
      const mine = byAgent.get(agentId);
      for (const f of index.fields.fields) {
        const op = opts.writableAs(agentId, f.connector, f.object, f.field);
        if (op === undefined) continue;
        const proposed = mine?.field(f.connector, f.object, f.field)?.records;
        for (const [recordId, slot] of f.records) {
          const end = index.start[slot + 1]!;
          const first = lowerBound(index.at, start, index.start[slot], end);
          if (first >= end || index.at[first]! >= opts.to) continue;
          if (opts.inView && !opts.inView(agentId, f.connector, f.object, recordId)) continue;
          const propAt = proposed?.get(recordId)?.map((p) => p.at);
          for (let i = first; i < end && index.at[i]! < opts.to; i++) {
            const at = index.at[i]!;
            if (propAt) {
              const j = lastAtOrBefore(propAt, at);
              if (j >= 0 && at < propAt[j]! + opts.matchWindowMs) continue;
            }
            t.add(op, at, 'missed');
            if (!t.wantsExample('missed', exampleLimit)) continue;
            const h = changes[index.idx[i]!]!;
            t.example(
              {
                category: 'missed',
                operation: op,
                object: h.object,
                recordId: h.recordId,
                field: h.field,
                proposed: undefined,
                human: h.value,
                changedAt: iso(h.at),
                ...(h.actor ? { actor: h.actor } : {}),
              },
              exampleLimit,
            );
          }
        }
      }
    }
  }

  const agents: AgentScore[] = [...tallies.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([agentId, t]) => ({
      agentId,
      metrics: metricsOf(t.total),
      buckets: bucketsOf(t.buckets),
      operations: [...t.ops.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([operation, o]): OperationScore => ({
          operation,
          metrics: metricsOf(o.total),
          buckets: bucketsOf(o.buckets),
        })),
      firstProposalAt: Number.isFinite(t.firstProposalAt) ? iso(t.firstProposalAt) : null,
      examples: t.examples,
    }));
  return { from: iso(opts.from), to: iso(opts.to), matchWindowMs: opts.matchWindowMs, bucket, agents };
}
