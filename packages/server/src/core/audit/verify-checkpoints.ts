/**
 * Verification of the checkpoint chain (before the entries are read: only checkpoints whose
 * signature verifies are allowed to vouch for entries) and, after the entries, of what the
 * trusted checkpoints say about them: head hashes that disagree (a rewritten chain) and
 * coverage beyond the end of the log (a deleted tail).
 */
import type { KeyObject } from 'node:crypto';
import { GENESIS_HASH } from './chain.js';
import { verifyCheckpoint, type CheckpointCheck } from './checkpoint.js';
import type { ProblemSink } from './problems.js';
import type { AuditCheckpoint } from './types.js';
import { short, type TrustedCheckpoint } from './verify-chain.js';

/** Reports forged, edited, missing and out-of-chain checkpoints; answers the trusted ones in order. */
export function checkCheckpoints(
  checkpoints: readonly AuditCheckpoint[],
  publicKey: KeyObject,
  sink: ProblemSink,
): TrustedCheckpoint[] {
  const trusted: TrustedCheckpoint[] = [];
  let prev: { cp: AuditCheckpoint; valid: boolean } | undefined;
  for (const cp of [...checkpoints].sort((a, b) => a.seq - b.seq)) {
    const check = safeVerify(cp, publicKey);
    if (!check.valid) {
      sink.add({
        kind: check.reason === 'bad_hash' ? 'checkpoint_chain_broken' : 'bad_checkpoint_signature',
        checkpointSeq: cp.seq,
        message: check.message,
      });
    } else {
      const broken = chainBreak(cp, prev);
      if (broken) sink.add({ kind: 'checkpoint_chain_broken', checkpointSeq: cp.seq, message: broken });
      const before = trusted.at(-1)?.cp;
      if (before && cp.lastEntrySeq < before.lastEntrySeq) {
        sink.add({
          kind: 'checkpoint_chain_broken',
          checkpointSeq: cp.seq,
          message: `checkpoint ${cp.seq} covers up to entry ${cp.lastEntrySeq}, less than checkpoint ${before.seq} before it (${before.lastEntrySeq})`,
        });
      }
      const t: TrustedCheckpoint = { cp, status: 'unobserved' };
      if (cp.lastEntrySeq === 0) {
        t.status = cp.headHash === GENESIS_HASH ? 'match' : 'mismatch';
        t.actual = GENESIS_HASH;
      }
      trusted.push(t);
    }
    prev = { cp, valid: check.valid };
  }
  return trusted;
}

function chainBreak(
  cp: AuditCheckpoint,
  prev: { cp: AuditCheckpoint; valid: boolean } | undefined,
): string | undefined {
  const expected = (prev?.cp.seq ?? 0) + 1;
  if (prev && cp.seq === prev.cp.seq) return `checkpoint ${cp.seq} appears twice`;
  if (cp.seq > expected) {
    const missing = cp.seq - 1 === expected ? `checkpoint ${expected} is` : `checkpoints ${expected}–${cp.seq - 1} are`;
    return `${missing} missing: ${prev ? `checkpoint ${cp.seq} follows checkpoint ${prev.cp.seq}` : `the first checkpoint is ${cp.seq}`}`;
  }
  if (!prev) {
    return cp.prevCheckpointHash === null
      ? undefined
      : `checkpoint ${cp.seq} refers to a previous checkpoint that is not there`;
  }
  // A forged neighbour is reported on its own; the link to it says nothing more.
  if (prev.valid && cp.prevCheckpointHash !== prev.cp.hash) {
    return `checkpoint ${cp.seq} does not chain to checkpoint ${prev.cp.seq}: it names ${short(String(cp.prevCheckpointHash))} as its predecessor, not ${short(prev.cp.hash)}`;
  }
  return undefined;
}

function safeVerify(cp: AuditCheckpoint, publicKey: KeyObject): CheckpointCheck {
  try {
    return verifyCheckpoint(cp, publicKey);
  } catch {
    return { valid: false, reason: 'bad_signature', message: `checkpoint ${String(cp.seq)} is malformed` };
  }
}

/**
 * After the entries: one `checkpoint_mismatch` per run of consecutive disagreeing checkpoints (a
 * rewritten chain makes every later checkpoint disagree), ignoring entries already reported, and
 * a `truncated` when the log ends before what a checkpoint covers.
 */
export function reportCheckpointFindings(trusted: readonly TrustedCheckpoint[], lastSeq: number, sink: ProblemSink) {
  let lastVouched = 0;
  let run: { first: TrustedCheckpoint; after: number; count: number; lastSeq: number } | undefined;
  const close = () => {
    if (!run) return;
    const { cp, actual } = run.first;
    const L = cp.lastEntrySeq;
    const where =
      run.after + 1 === L
        ? `entry ${L} was rewritten`
        : `the chain was rewritten from somewhere in entries ${run.after + 1}–${L} on`;
    const more =
      run.count === 1
        ? ''
        : run.count === 2
          ? `; checkpoint ${run.lastSeq} disagrees too`
          : `; checkpoints up to ${run.lastSeq} disagree too`;
    sink.add({
      kind: 'checkpoint_mismatch',
      seq: L,
      checkpointSeq: cp.seq,
      message:
        `checkpoint ${cp.seq} (signed ${cp.at}) vouches that entry ${L} had hash ${short(cp.headHash)}, ` +
        `but the log has ${short(actual ?? '')}: ${where} and the hashes recomputed${more}`,
    });
    run = undefined;
  };
  for (const t of trusted) {
    const L = t.cp.lastEntrySeq;
    if (t.status === 'match') {
      close();
      lastVouched = Math.max(lastVouched, L);
    } else if (t.status === 'mismatch' && !sink.explains(L)) {
      if (run) {
        run.count += 1;
        run.lastSeq = t.cp.seq;
      } else {
        run = { first: t, after: lastVouched, count: 1, lastSeq: t.cp.seq };
      }
    }
  }
  close();

  const maxCovered = trusted.reduce((m, t) => Math.max(m, t.cp.lastEntrySeq), 0);
  // The newest checkpoint with the widest coverage: the most recent signed statement of the length.
  const covering = trusted.findLast((t) => t.cp.lastEntrySeq === maxCovered)?.cp;
  if (covering && covering.lastEntrySeq > lastSeq) {
    const M = covering.lastEntrySeq;
    const ends = lastSeq === 0 ? 'the log is empty' : `the log ends at ${lastSeq}`;
    const gone = lastSeq + 1 === M ? `entry ${M} was deleted` : `entries ${lastSeq + 1}–${M} were deleted`;
    sink.add({
      kind: 'truncated',
      seq: lastSeq + 1,
      endSeq: M,
      checkpointSeq: covering.seq,
      message: `${ends} but checkpoint ${covering.seq} (signed ${covering.at}) covers up to ${M}: ${gone}`,
    });
  }
}

/**
 * Checkpoints are written on a schedule even when idle, so a newest checkpoint much older than
 * the schedule means the newer ones (and the entries they covered) were deleted, or the writer
 * stopped. Only the caller knows the schedule and the time, hence optional.
 */
export function reportStaleness(
  trusted: readonly TrustedCheckpoint[],
  firstEntryAt: string | undefined,
  freshness: { now: Date; maxAgeMs: number },
  sink: ProblemSink,
) {
  const newest = trusted.at(-1)?.cp;
  const limit = `${Math.round(freshness.maxAgeMs / 60_000)} min`;
  if (!newest) {
    const age = firstEntryAt === undefined ? 0 : freshness.now.getTime() - Date.parse(firstEntryAt);
    if (!(age <= freshness.maxAgeMs)) {
      sink.add({
        kind: 'truncated',
        message: `the log has entries from ${String(firstEntryAt)} on, more than ${limit} ago, but no valid checkpoint`,
      });
    }
    return;
  }
  const age = freshness.now.getTime() - Date.parse(newest.at);
  if (!(age <= freshness.maxAgeMs)) {
    sink.add({
      kind: 'truncated',
      checkpointSeq: newest.seq,
      message:
        `the newest checkpoint, ${newest.seq}, was signed ${newest.at}, more than ${limit} ago: ` +
        `later checkpoints (and the entries they covered) were deleted, or checkpoints stopped being written`,
    });
  }
}
