/**
 * Verification stage 1: puts rows back in seq order. Storage yields rows ordered by seq, but an
 * export file can have lines moved, duplicated or dropped; this stage reports those (`reordered`,
 * `inserted`, `removed`) and hands the chain stage one group per seq. It holds at most a window of
 * rows: a row that turns up further than `window` rows late is still reported, as a late arrival.
 */
import type { ProblemSink } from './problems.js';
import type { AuditEntry } from './types.js';

/** Rows buffered while waiting for a missing seq before it is declared removed. */
export const REORDER_WINDOW = 1024;
/** Arrivals remembered to explain one stretch of disorder. */
const MAX_EPISODE = 4 * REORDER_WINDOW;

export type OrderedItem =
  /** Every row that claims this seq, in arrival order (more than one means an insertion). */
  | { type: 'group'; seq: number; rows: AuditEntry[] }
  /** No row claims these seqs (so far). */
  | { type: 'gap'; from: number; to: number }
  /** A row for a seq already passed: moved far out of place, or a duplicate. */
  | { type: 'late'; row: AuditEntry; after: number | undefined };

export interface OrderStage {
  push(row: unknown): void;
  end(): void;
  /** Well-formed rows read. */
  readonly rows: number;
}

export function createOrderStage(
  emit: (item: OrderedItem) => void,
  sink: ProblemSink,
  window = REORDER_WINDOW,
): OrderStage {
  const buffer = new Map<number, AuditEntry[]>();
  let buffered = 0;
  let expected = 1;
  let maxSeen = 0;
  let lastArrived: number | undefined;
  let position = 0;
  let rows = 0;
  /** Arrival order of seqs while rows are out of order (null when in order). */
  let episode: number[] | null = null;
  let episodeAbandoned = false;

  const emitGroup = (seq: number) => {
    const group = buffer.get(seq) ?? [];
    buffer.delete(seq);
    buffered -= group.length;
    emit({ type: 'group', seq, rows: group });
    expected = seq + 1;
  };

  const declareGap = () => {
    let next = Infinity;
    for (const seq of buffer.keys()) next = Math.min(next, seq);
    emit({ type: 'gap', from: expected, to: next - 1 });
    expected = next;
  };

  /** `final`: no more rows will come, so nothing is held back. */
  const drain = (final: boolean) => {
    for (;;) {
      if (buffer.has(expected)) {
        // The group for `expected` stays open until a later seq shows up (a duplicate may follow).
        if (!final && maxSeen <= expected) break;
        emitGroup(expected);
      } else if (buffer.size > 0 && (final || buffered > window)) {
        declareGap();
      } else {
        break;
      }
    }
    const inOrder = buffer.size === 0 || buffer.has(expected);
    if (inOrder) {
      if (episode) reportDisorder(episode, sink);
      episode = null;
      episodeAbandoned = false;
    } else if (!episode && !episodeAbandoned) {
      // Map keys keep insertion order, i.e. the order the waiting rows arrived in.
      episode = [...buffer.keys()];
    } else if (episode && episode.length > MAX_EPISODE) {
      // A row that turned up far too early: name it now instead of remembering every arrival.
      for (const seq of buffer.keys()) {
        sink.add({
          kind: 'reordered',
          seq,
          message: `entry ${seq} is out of place: it appears before entry ${expected}`,
        });
      }
      episode = null;
      episodeAbandoned = true;
    }
  };

  return {
    get rows() {
      return rows;
    },
    push(raw: unknown) {
      position += 1;
      const row = asEntry(raw);
      if (!row) {
        sink.add({
          kind: 'inserted',
          message: `row ${position} of the log is not an audit entry (after entry ${lastArrived ?? 'none'})`,
        });
        return;
      }
      rows += 1;
      const seq = row.seq;
      if (seq < expected) {
        emit({ type: 'late', row, after: lastArrived });
      } else {
        const group = buffer.get(seq);
        if (group) group.push(row);
        else buffer.set(seq, [row]);
        buffered += 1;
        maxSeen = Math.max(maxSeen, seq);
        episode?.push(seq);
      }
      lastArrived = seq;
      drain(false);
    },
    end() {
      drain(true);
    },
  };
}

/**
 * Names the rows that moved: the arrival order minus its longest increasing subsequence (the
 * fewest rows whose moving explains the order). Two rows exchanged is said as a swap.
 */
function reportDisorder(arrivals: number[], sink: ProblemSink): void {
  const sorted = [...arrivals].sort((a, b) => a - b);
  const differing = arrivals.flatMap((seq, i) => (seq === sorted[i] ? [] : [i]));
  if (differing.length === 0) return;
  if (differing.length === 2) {
    const [a, b] = differing.map((i) => arrivals[i] ?? 0).sort((x, y) => x - y) as [number, number];
    sink.add({
      kind: 'reordered',
      seq: a,
      otherSeq: b,
      message: `entries ${a} and ${b} were swapped: entry ${b} appears where entry ${a} belongs`,
    });
    return;
  }
  const keep = new Set(longestIncreasing(arrivals));
  const moved = arrivals.filter((seq) => !keep.has(seq)).sort((a, b) => a - b);
  const [first = 0, second] = moved;
  if (moved.length === 1) {
    const i = arrivals.indexOf(first);
    const where = i > 0 ? `after entry ${arrivals[i - 1]}` : `before entry ${arrivals[1]}`;
    sink.add({ kind: 'reordered', seq: first, message: `entry ${first} is out of place: it appears ${where}` });
    return;
  }
  sink.add({
    kind: 'reordered',
    seq: first,
    ...(moved.length === 2 ? { otherSeq: second } : {}),
    message: `entries ${listSeqs(moved)} are out of order`,
  });
}

function listSeqs(seqs: number[]): string {
  const shown = seqs.slice(0, 10).join(', ');
  return seqs.length > 10 ? `${shown} and ${seqs.length - 10} more` : shown;
}

/** Patience sorting, O(n log n); values are distinct seqs (duplicates never reach an episode twice). */
function longestIncreasing(values: number[]): number[] {
  const tails: number[] = []; // index into values of the smallest tail of each length
  const prev: number[] = new Array<number>(values.length).fill(-1);
  values.forEach((v, i) => {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((values[tails[mid] ?? 0] ?? 0) < v) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1] ?? -1;
    tails[lo] = i;
  });
  const out: number[] = [];
  for (let i = tails.at(-1) ?? -1; i >= 0; i = prev[i] ?? -1) out.push(values[i] ?? 0);
  return out.reverse();
}

/** Just enough shape to order and hash a row; anything else is reported, not thrown. */
function asEntry(raw: unknown): AuditEntry | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Partial<Record<keyof AuditEntry, unknown>>;
  const ok =
    typeof r.seq === 'number' &&
    Number.isSafeInteger(r.seq) &&
    r.seq >= 1 &&
    typeof r.at === 'string' &&
    typeof r.type === 'string' &&
    typeof r.actor === 'string' &&
    (r.subject === null || typeof r.subject === 'string') &&
    typeof r.data === 'object' &&
    r.data !== null &&
    typeof r.prevHash === 'string' &&
    typeof r.hash === 'string';
  return ok ? (raw as AuditEntry) : undefined;
}
