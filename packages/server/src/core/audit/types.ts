/**
 * Audit log shapes, built and checked here and persisted through the storage port (which
 * re-exports them).
 * Every field of an entry except `hash` is inside `hash`; see docs/audit-log-format.md.
 */

export interface AuditEntry {
  /** 1, 2, 3, … without gaps; the first entry ever is 1. */
  seq: number;
  /** ISO 8601 instant, as given by the injected clock. */
  at: string;
  type: string;
  actor: string;
  subject: string | null;
  /** A JSON object (RFC 8785 canonicalisable): approver, policy version, change set hash, … */
  data: Record<string, unknown>;
  /** `hash` of entry `seq - 1`, or GENESIS_HASH for entry 1. */
  prevHash: string;
  /** SHA-256 (hex) of the canonical JSON of every other field. */
  hash: string;
}

export interface AuditHead {
  seq: number;
  hash: string;
}

/** A signed statement "entry `lastEntrySeq` had hash `headHash` at `at`", chained like CloudTrail digests. */
export interface AuditCheckpoint {
  /** 1, 2, 3, … without gaps. */
  seq: number;
  at: string;
  /** 0 when the log was empty. */
  lastEntrySeq: number;
  /** GENESIS_HASH when the log was empty. */
  headHash: string;
  /** `hash` of checkpoint `seq - 1`; null for checkpoint 1. */
  prevCheckpointHash: string | null;
  /** keyIdOf(the signing key's public half). */
  keyId: string;
  /** Ed25519 over the canonical JSON of the six fields above, base64. */
  signature: string;
  /** SHA-256 (hex) of the canonical JSON of the seven fields above. */
  hash: string;
}

/** What a caller supplies; seq, prevHash and hash are filled in by sealEntries. */
export interface AuditEntryDraft {
  at: string;
  type: string;
  actor: string;
  subject?: string | null;
  data: Record<string, unknown>;
}

export const AUDIT_PROBLEM_KINDS = [
  'modified',
  'removed',
  'reordered',
  'truncated',
  'inserted',
  'bad_checkpoint_signature',
  'checkpoint_chain_broken',
  'checkpoint_mismatch',
] as const;
export type AuditProblemKind = (typeof AUDIT_PROBLEM_KINDS)[number];

export interface AuditProblem {
  kind: AuditProblemKind;
  /** The (first) entry concerned; for checkpoint problems, the entry the checkpoint covers, if any. */
  seq?: number;
  /** Last entry of a range (removed entries, a run of modified entries, a truncated tail). */
  endSeq?: number;
  /** The other entry of a reordering. */
  otherSeq?: number;
  /** The checkpoint concerned. */
  checkpointSeq?: number;
  message: string;
}

export interface AuditReport {
  ok: boolean;
  /** Entry rows read (including tampered ones). */
  entries: number;
  /** Checkpoints read. */
  checkpoints: number;
  /** The newest checkpoint whose signature and chain verified. */
  lastCheckpoint?: { seq: number; at: string; lastEntrySeq: number; keyId: string };
  /** Entries after the last valid checkpoint: only the next checkpoint can protect them. */
  uncoveredEntries: number;
  /** One per tampering found (follow-on effects are folded in): entry problems by seq, then checkpoint problems. */
  problems: AuditProblem[];
  /** Problems found beyond the reporting cap (not listed). */
  moreProblems: number;
}
