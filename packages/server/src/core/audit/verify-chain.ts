/**
 * Verification stage 2: walks the entries in seq order and decides, for each broken hash or link,
 * which single change explains it, so one tampering reads as one problem:
 * - a row whose content does not match its own hash was modified (or, paired with another such
 *   row, swapped with it; or, if it hashes correctly one seq higher, renumbered);
 * - a broken link between two self-consistent rows means one of them was rewritten with its hash
 *   recomputed: the later row if the earlier is vouched for by a signed checkpoint or the later
 *   row's successor does not link to it either, else the earlier row (its successor still links
 *   to its original hash). Links next to a row already blamed are not checked again.
 * Memory is constant in the number of entries: one held group, a few rows awaiting a swap
 * partner, and bounded lists of gaps.
 */
import { GENESIS_HASH, hashEntry } from './chain.js';
import type { ProblemSink } from './problems.js';
import type { AuditCheckpoint, AuditEntry } from './types.js';
import type { OrderedItem } from './verify-order.js';

/** A checkpoint whose signature verified, and what the entries said about its head. */
export interface TrustedCheckpoint {
  cp: AuditCheckpoint;
  status: 'unobserved' | 'match' | 'mismatch';
  /** The hash the log holds for entry `cp.lastEntrySeq` (when observed). */
  actual?: string;
}

/** Rows held back waiting for a swap partner. */
const MAX_ANOMALIES = 8;
/** Pair comparisons allowed in one verification (each costs up to two dozen hashes). */
const MAX_PAIR_ATTEMPTS = 2000;
/** Gaps remembered so that a far-moved row turning up later can fill one. */
const MAX_GAPS = 1000;

const CONTENT = ['at', 'type', 'actor', 'subject', 'data'] as const;
/** Field sets whose exchange between two rows is recognised as a swap (a set and its complement are the same swap). */
const SWAPS: readonly (readonly (keyof AuditEntry)[])[] = [
  ['seq'],
  CONTENT,
  [...CONTENT, 'prevHash'],
  [...CONTENT, 'hash'],
  ['prevHash'],
  ['hash'],
  ['prevHash', 'hash'],
  ...CONTENT.map((f) => [f]),
];

interface Accepted {
  seq: number;
  hash: string;
  selfOk: boolean;
  blamed: boolean;
  /** A signed checkpoint vouches for this entry's hash (the genesis is vouched for by definition). */
  anchoredBy: number | undefined;
}

interface Anomaly {
  row: AuditEntry;
  /** Hashes correctly under seq + 1. */
  shifted: boolean;
}

interface Gap {
  from: number;
  to: number;
  hashBefore: string;
  prevHashAfter: string | undefined;
}

export interface ChainStage {
  onItem(item: OrderedItem): void;
  /** Flushes held rows and gaps into the sink; answers the last seq and whether it was renumbered. */
  finish(): { lastSeq: number };
}

export function createChainStage(
  sink: ProblemSink,
  checkpointsAt: ReadonlyMap<number, TrustedCheckpoint[]>,
): ChainStage {
  let prev: Accepted = { seq: 0, hash: GENESIS_HASH, selfOk: true, blamed: false, anchoredBy: 0 };
  let held: { seq: number; rows: AuditEntry[] } | undefined;
  let anomalies: Anomaly[] = [];
  let pairAttempts = 0;
  const gaps: Gap[] = [];
  let gapAwaitingNext: Gap | undefined;

  const observe = (seq: number, hash: string) => {
    for (const t of checkpointsAt.get(seq) ?? []) {
      if (t.status !== 'unobserved') continue;
      t.status = t.cp.headHash === hash ? 'match' : 'mismatch';
      t.actual = hash;
    }
  };
  const anchorOf = (seq: number) => checkpointsAt.get(seq)?.find((t) => t.status === 'match')?.cp.seq;

  /**
   * A row that does not match its own hash waits (in a small window) for a partner: two such rows
   * that become consistent by exchanging fields were swapped. Unpaired, it is a modification, or a
   * renumbering when it hashes correctly one seq higher. Two "renumbered" rows are never a swap.
   */
  const addAnomaly = (row: AuditEntry, shifted: boolean) => {
    for (let i = anomalies.length - 1; i >= 0 && pairAttempts < MAX_PAIR_ATTEMPTS; i--) {
      const other = anomalies[i] as Anomaly;
      if (shifted && other.shifted) continue;
      pairAttempts += 1;
      const swapped = swapExplaining(other.row, row);
      if (swapped) {
        anomalies.splice(i, 1);
        const [a, b] = [other.row.seq, row.seq].sort((x, y) => x - y) as [number, number];
        const what = swapped.length === 1 && swapped[0] !== 'seq' ? swapped[0] : 'content';
        sink.add({
          kind: 'reordered',
          seq: a,
          otherSeq: b,
          message: `entries ${a} and ${b} were swapped: each holds the other's ${what}`,
        });
        return;
      }
    }
    anomalies.push({ row, shifted });
    if (anomalies.length > MAX_ANOMALIES) {
      const oldest = anomalies.shift() as Anomaly;
      sink.modifiedRow(oldest.row.seq, oldest.shifted);
    }
  };

  const choose = (group: { seq: number; rows: AuditEntry[] }, next: OrderedItem | undefined): AuditEntry => {
    const [first, ...rest] = group.rows as [AuditEntry, ...AuditEntry[]];
    if (rest.length === 0) return first;
    const nextRows = next?.type === 'group' && next.seq === group.seq + 1 ? next.rows : [];
    const score = (r: AuditEntry) =>
      (selfHash(r) === r.hash ? 4 : 0) +
      (prev.seq === r.seq - 1 && r.prevHash === prev.hash ? 2 : 0) +
      (nextRows.some((n) => n.prevHash === r.hash) ? 1 : 0);
    const best = group.rows.reduce((a, b) => (score(b) > score(a) ? b : a));
    for (const r of group.rows) {
      if (r === best) continue;
      sink.add({
        kind: 'inserted',
        seq: group.seq,
        message:
          r.hash === best.hash
            ? `entry ${group.seq} appears twice: a copy was inserted`
            : `a second entry ${group.seq} was inserted (hash ${short(r.hash)}): it is not part of the chain`,
      });
    }
    return best;
  };

  const accept = (group: { seq: number; rows: AuditEntry[] }, next: OrderedItem | undefined) => {
    const r = choose(group, next);
    const selfOk = selfHash(r) === r.hash;
    const contiguous = prev.seq === r.seq - 1;
    let blamed = false;
    if (!selfOk) {
      addAnomaly(r, selfHash({ ...r, seq: r.seq + 1 }) === r.hash);
    } else if (contiguous && prev.selfOk && !prev.blamed && r.prevHash !== prev.hash) {
      blamed = blameLinkBreak(r, next);
    }
    if (selfOk && !contiguous) {
      // The row after a gap still vouches for the hash of the entry just before it.
      observe(r.seq - 1, r.prevHash);
      if (gapAwaitingNext) gapAwaitingNext.prevHashAfter = r.prevHash;
    }
    gapAwaitingNext = undefined;
    observe(r.seq, r.hash);
    prev = { seq: r.seq, hash: r.hash, selfOk, blamed, anchoredBy: anchorOf(r.seq) };
  };

  /** Both rows are self-consistent but do not link: decide which was rewritten. Returns true if `r`. */
  const blameLinkBreak = (r: AuditEntry, next: OrderedItem | undefined): boolean => {
    const successors = next?.type === 'group' && next.seq === r.seq + 1 ? next.rows : [];
    const successorDisowns =
      successors.length > 0 && successors.every((n) => n.prevHash !== r.hash && selfHash(n) === n.hash);
    if (prev.anchoredBy !== undefined || successorDisowns) {
      const why =
        prev.seq === 0
          ? 'it does not start from the genesis hash'
          : prev.anchoredBy !== undefined
            ? `it does not link to entry ${prev.seq}, whose hash checkpoint ${prev.anchoredBy} vouches for`
            : `it links to neither entry ${prev.seq} nor entry ${r.seq + 1}`;
      sink.add({
        kind: 'modified',
        seq: r.seq,
        message: `entry ${r.seq} was rewritten and its hash recomputed: ${why}`,
      });
      return true;
    }
    sink.add({
      kind: 'modified',
      seq: prev.seq,
      message: `entry ${prev.seq} was modified and its hash recomputed: entry ${r.seq} still links to its original hash`,
    });
    return false;
  };

  const onGap = (from: number, to: number) => {
    const gap: Gap = { from, to, hashBefore: prev.hash, prevHashAfter: undefined };
    if (gaps.length < MAX_GAPS) gaps.push(gap);
    else sink.add(removedProblem(gap));
    gapAwaitingNext = gap;
  };

  /** A row for a seq already passed: fills a gap (moved far) or duplicates an accepted entry. */
  const onLate = (row: AuditEntry, after: number | undefined) => {
    const i = gaps.findIndex((g) => row.seq >= g.from && row.seq <= g.to);
    const gap = gaps[i];
    if (!gap) {
      sink.add({
        kind: 'inserted',
        seq: row.seq,
        message: `a second entry ${row.seq} appears after entry ${after ?? '?'}: it is not part of the chain`,
      });
      return;
    }
    const parts: Gap[] = [];
    if (gap.from < row.seq) parts.push({ ...gap, to: row.seq - 1, prevHashAfter: row.prevHash });
    if (row.seq < gap.to) parts.push({ ...gap, from: row.seq + 1, hashBefore: row.hash });
    gaps.splice(i, 1, ...parts);
    sink.add({
      kind: 'reordered',
      seq: row.seq,
      message: `entry ${row.seq} is out of place: it appears after entry ${after ?? '?'}`,
    });
    if (selfHash(row) !== row.hash) {
      sink.modifiedRow(row.seq, false);
      return;
    }
    const linkBroken =
      (row.seq === gap.from && row.prevHash !== gap.hashBefore) ||
      (row.seq === gap.to && gap.prevHashAfter !== undefined && gap.prevHashAfter !== row.hash);
    if (linkBroken) {
      sink.add({
        kind: 'modified',
        seq: row.seq,
        message: `entry ${row.seq} was rewritten and its hash recomputed: it does not link to its neighbours`,
      });
    }
    observe(row.seq, row.hash);
  };

  return {
    onItem(item) {
      switch (item.type) {
        case 'group':
          if (held) accept(held, item);
          held = item;
          return;
        case 'gap':
          if (held) accept(held, undefined);
          held = undefined;
          onGap(item.from, item.to);
          return;
        case 'late':
          onLate(item.row, item.after);
          return;
      }
    },
    finish() {
      if (held) accept(held, undefined);
      held = undefined;
      for (const a of anomalies) sink.modifiedRow(a.row.seq, a.shifted);
      anomalies = [];
      for (const gap of gaps) sink.add(removedProblem(gap));
      gaps.length = 0;
      return { lastSeq: prev.seq };
    },
  };
}

/** The fields whose exchange turns both rows back into self-consistent entries, if any. */
function swapExplaining(a: AuditEntry, b: AuditEntry): readonly (keyof AuditEntry)[] | undefined {
  return SWAPS.find((fields) => {
    const a2: Record<string, unknown> = { ...a };
    const b2: Record<string, unknown> = { ...b };
    for (const f of fields) [a2[f], b2[f]] = [b[f], a[f]];
    return selfHash(a2 as unknown as AuditEntry) === a2.hash && selfHash(b2 as unknown as AuditEntry) === b2.hash;
  });
}

/** hashEntry, or undefined when a tampered row cannot even be canonicalised. */
function selfHash(row: AuditEntry): string | undefined {
  try {
    return hashEntry(row);
  } catch {
    return undefined;
  }
}

function removedProblem(gap: Gap) {
  const which = gap.from === gap.to ? `entry ${gap.from} is missing` : `entries ${gap.from}–${gap.to} are missing`;
  const where =
    gap.from === 1
      ? `the log starts at entry ${gap.to + 1}`
      : `entry ${gap.from - 1} is followed by entry ${gap.to + 1}`;
  return {
    kind: 'removed' as const,
    seq: gap.from,
    ...(gap.to > gap.from ? { endSeq: gap.to } : {}),
    message: `${which}: ${where}`,
  };
}

export function short(hash: string): string {
  return `${hash.slice(0, 12)}…`;
}
