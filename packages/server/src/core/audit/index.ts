export { canonicalJson, sha256Hex } from './canonical.js';
export { GENESIS_HASH, hashEntry, sealEntries } from './chain.js';
export {
  checkpointSigningInput,
  createCheckpoint,
  hashCheckpoint,
  keyIdOf,
  verifyCheckpoint,
  type CheckpointCheck,
  type CreateCheckpointInput,
} from './checkpoint.js';
export { formatReport } from './report.js';
export {
  AUDIT_PROBLEM_KINDS,
  type AuditCheckpoint,
  type AuditEntry,
  type AuditEntryDraft,
  type AuditHead,
  type AuditProblem,
  type AuditProblemKind,
  type AuditReport,
} from './types.js';
export { verifyAudit, type VerifyAuditInput } from './verify.js';
