/**
 * Collects what verification finds, so that one tampering reads as one problem: consecutive
 * modified entries become one range, a renumbering after a deletion becomes one `removed`, and
 * the list is capped (the rest counted) so a wrecked log cannot produce a million-line report.
 */
import type { AuditProblem } from './types.js';

/** Problems listed in a report; the rest are counted in `moreProblems`. */
export const MAX_LISTED_PROBLEMS = 50;
/** Problems held while verifying (memory bound); beyond this they are only counted. */
const MAX_HELD_PROBLEMS = 1000;

interface ModifiedRun {
  kind: 'run';
  seq: number;
  endSeq: number;
  /** How many rows of the run hash correctly under seq + 1 (renumbered down by one). */
  shifted: number;
}

type Held = AuditProblem | ModifiedRun;
const ENTRY_KINDS = new Set<string>(['modified', 'removed', 'reordered', 'inserted']);

export class ProblemSink {
  readonly #held: Held[] = [];
  #dropped = 0;
  #lastRun: ModifiedRun | undefined;

  add(problem: AuditProblem): void {
    this.#hold(problem);
  }

  /** A row whose content does not match its own hash; `shifted` when it matches under seq + 1. */
  modifiedRow(seq: number, shifted: boolean): void {
    const run = this.#lastRun;
    if (run && run.endSeq === seq - 1) {
      run.endSeq = seq;
      run.shifted += shifted ? 1 : 0;
      return;
    }
    const fresh: ModifiedRun = { kind: 'run', seq, endSeq: seq, shifted: shifted ? 1 : 0 };
    if (this.#hold(fresh)) this.#lastRun = fresh;
  }

  /** True if an entry problem already explains what happened at `seq` (follow-ons are dropped). */
  explains(seq: number): boolean {
    return this.#held.some((p) => {
      if (p.kind === 'run') return seq >= p.seq && seq <= p.endSeq;
      if (!ENTRY_KINDS.has(p.kind) || p.seq === undefined) return false;
      return (seq >= p.seq && seq <= (p.endSeq ?? p.seq)) || p.otherSeq === seq;
    });
  }

  /** Rows at the end of the log that were renumbered down by one (hide a deletion). */
  get renumberedTail(): number | undefined {
    const run = this.#lastRun;
    return run && run.shifted === run.endSeq - run.seq + 1 ? run.endSeq : undefined;
  }

  finish(): { problems: AuditProblem[]; moreProblems: number } {
    const runs = mergeRuns(this.#held.filter((p): p is ModifiedRun => p.kind === 'run'));
    const others = this.#held.filter((p): p is AuditProblem => p.kind !== 'run');
    const all = [...others, ...runs.map(renderRun)].sort(byPosition);
    return {
      problems: all.slice(0, MAX_LISTED_PROBLEMS),
      moreProblems: Math.max(0, all.length - MAX_LISTED_PROBLEMS) + this.#dropped,
    };
  }

  #hold(p: Held): boolean {
    if (this.#held.length >= MAX_HELD_PROBLEMS) {
      this.#dropped += 1;
      return false;
    }
    this.#held.push(p);
    return true;
  }
}

function renderRun(p: ModifiedRun): AuditProblem {
  const n = p.endSeq - p.seq + 1;
  if (p.shifted === n) {
    return {
      kind: 'removed',
      seq: p.seq,
      message:
        `entry ${p.seq} was deleted and the entries after it renumbered to hide the gap: ` +
        `${n === 1 ? `entry ${p.seq} hashes` : `entries ${p.seq}–${p.endSeq} hash`} correctly only under their old number (one higher)`,
    };
  }
  if (n === 1) {
    return {
      kind: 'modified',
      seq: p.seq,
      message: `entry ${p.seq} was modified: its content no longer matches its hash`,
    };
  }
  return {
    kind: 'modified',
    seq: p.seq,
    endSeq: p.endSeq,
    message: `entries ${p.seq}–${p.endSeq} (${n} entries) were modified: their content no longer matches their hashes`,
  };
}

/** Joins runs recorded apart (e.g. a row held back for swap detection, then found to be plain). */
function mergeRuns(runs: ModifiedRun[]): ModifiedRun[] {
  const merged: ModifiedRun[] = [];
  for (const run of [...runs].sort((a, b) => a.seq - b.seq)) {
    const last = merged.at(-1);
    if (last && last.endSeq === run.seq - 1) {
      merged[merged.length - 1] = { ...last, endSeq: run.endSeq, shifted: last.shifted + run.shifted };
    } else {
      merged.push(run);
    }
  }
  return merged;
}

/** Entry problems by seq, then checkpoint problems by checkpoint. */
function byPosition(a: AuditProblem, b: AuditProblem): number {
  const rank = (p: AuditProblem) => (p.checkpointSeq !== undefined && p.kind !== 'truncated' ? 1 : 0);
  return (
    rank(a) - rank(b) || (a.seq ?? Infinity) - (b.seq ?? Infinity) || (a.checkpointSeq ?? 0) - (b.checkpointSeq ?? 0)
  );
}
