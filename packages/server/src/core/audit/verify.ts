/**
 * `audit verify`: reads every entry once, in constant memory, and says exactly what happened to
 * the log. Stages: the checkpoint chain (which checkpoints may vouch for entries), then the
 * entries (put in seq order, then walked along the hash chain), then what the trusted checkpoints
 * say about the entries (rewritten chain, deleted tail). Each finding is reduced to its cause so
 * one tampering reads as one problem. What this cannot detect is listed in docs/audit-log-format.md.
 */
import type { KeyObject } from 'node:crypto';
import { ProblemSink } from './problems.js';
import type { AuditCheckpoint, AuditEntry, AuditReport } from './types.js';
import { createChainStage, type TrustedCheckpoint } from './verify-chain.js';
import { checkCheckpoints, reportCheckpointFindings, reportStaleness } from './verify-checkpoints.js';
import { createOrderStage } from './verify-order.js';

export interface VerifyAuditInput {
  /** Every entry, normally in seq order (storage's `iterate()`, or the lines of an export). */
  entries: AsyncIterable<AuditEntry> | Iterable<AuditEntry>;
  checkpoints: readonly AuditCheckpoint[];
  /** The audit key's public half (a private key is accepted too). */
  publicKey: KeyObject;
  /**
   * When given, a newest checkpoint older than `maxAgeMs` (e.g. twice `checkpoint_every`) is
   * reported as `truncated`: deleting the newest checkpoints together with the entries they
   * covered is otherwise invisible.
   */
  freshness?: { now: Date; maxAgeMs: number };
}

export async function verifyAudit(input: VerifyAuditInput): Promise<AuditReport> {
  const sink = new ProblemSink();
  const trusted = checkCheckpoints(input.checkpoints, input.publicKey, sink);
  const byEntry = new Map<number, TrustedCheckpoint[]>();
  for (const t of trusted) byEntry.set(t.cp.lastEntrySeq, [...(byEntry.get(t.cp.lastEntrySeq) ?? []), t]);

  const chain = createChainStage(sink, byEntry);
  const order = createOrderStage((item) => chain.onItem(item), sink);
  let rows = 0;
  let firstEntryAt: string | undefined;
  for await (const entry of input.entries) {
    rows += 1;
    firstEntryAt ??= typeof entry?.at === 'string' ? entry.at : undefined;
    order.push(entry);
  }
  order.end();
  const { lastSeq } = chain.finish();

  // A tail renumbered down by one to hide a deletion ends one entry short of what was covered.
  const end = sink.renumberedTail === lastSeq ? lastSeq + 1 : lastSeq;
  reportCheckpointFindings(trusted, end, sink);
  if (input.freshness) reportStaleness(trusted, firstEntryAt, input.freshness, sink);

  const { problems, moreProblems } = sink.finish();
  const newest = trusted.at(-1)?.cp;
  return {
    ok: problems.length === 0 && moreProblems === 0,
    entries: rows,
    checkpoints: input.checkpoints.length,
    ...(newest
      ? { lastCheckpoint: { seq: newest.seq, at: newest.at, lastEntrySeq: newest.lastEntrySeq, keyId: newest.keyId } }
      : {}),
    uncoveredEntries: Math.max(0, lastSeq - (newest?.lastEntrySeq ?? 0)),
    problems,
    moreProblems,
  };
}
