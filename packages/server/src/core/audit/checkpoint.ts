/**
 * Signed checkpoints (after CloudTrail's digest files): a checkpoint signs "entry N had hash H"
 * and the hash of the previous checkpoint, with an Ed25519 key the database writer does not hold.
 * Recomputing the entry chain then no longer goes unnoticed (the signed head hash disagrees), a
 * deleted tail is provable (a checkpoint covers entries that are gone), and checkpoints themselves
 * cannot be dropped from the middle or edited (they chain and are signed).
 *
 * A checkpoint is written on schedule even when no entry was added: a run of checkpoints that
 * all cover the same entry is proof that nothing was appended (and later removed) in between.
 */
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { GatehouseError } from '../errors.js';
import { canonicalJson, sha256Hex } from './canonical.js';
import { GENESIS_HASH } from './chain.js';
import type { AuditCheckpoint, AuditHead } from './types.js';

export interface CreateCheckpointInput {
  /** The latest stored checkpoint, or null for the first one. */
  prev: AuditCheckpoint | null;
  /** The current head of the entry chain, or null when the log is empty. */
  head: AuditHead | null;
  at: string;
  privateKey: KeyObject;
  /** keyIdOf(the public half of privateKey). */
  keyId: string;
}

export function createCheckpoint(input: CreateCheckpointInput): AuditCheckpoint {
  const { prev, head, at, privateKey, keyId } = input;
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new GatehouseError('audit_key_invalid', 'checkpoints are signed with an Ed25519 private key');
  }
  const lastEntrySeq = head?.seq ?? 0;
  // A head behind the previous checkpoint means entries it covered are gone: signing now would
  // bless the truncation, so refuse and let `audit verify` explain.
  if (prev && lastEntrySeq < prev.lastEntrySeq) {
    throw new GatehouseError(
      'audit_head_regressed',
      `the audit log ends at entry ${lastEntrySeq} but checkpoint ${prev.seq} already covers entry ${prev.lastEntrySeq}`,
      { details: { lastEntrySeq, covered: prev.lastEntrySeq } },
    );
  }
  const signed: SignedCheckpointFields = {
    seq: (prev?.seq ?? 0) + 1,
    at,
    lastEntrySeq,
    headHash: head?.hash ?? GENESIS_HASH,
    prevCheckpointHash: prev?.hash ?? null,
    keyId,
  };
  const signature = sign(null, Buffer.from(canonicalJson(signed), 'utf8'), privateKey).toString('base64');
  return Object.freeze({ ...signed, signature, hash: hashCheckpoint({ ...signed, signature }) });
}

/** The fields covered by the signature, in the form that is signed. */
export type SignedCheckpointFields = Omit<AuditCheckpoint, 'signature' | 'hash'>;

export function checkpointSigningInput(cp: SignedCheckpointFields): string {
  const { seq, at, lastEntrySeq, headHash, prevCheckpointHash, keyId } = cp;
  return canonicalJson({ seq, at, lastEntrySeq, headHash, prevCheckpointHash, keyId });
}

/** SHA-256 (hex) of the canonical JSON of the signed fields plus the signature. */
export function hashCheckpoint(cp: Omit<AuditCheckpoint, 'hash'>): string {
  const { seq, at, lastEntrySeq, headHash, prevCheckpointHash, keyId, signature } = cp;
  return sha256Hex(canonicalJson({ seq, at, lastEntrySeq, headHash, prevCheckpointHash, keyId, signature }));
}

export type CheckpointCheck =
  { valid: true } | { valid: false; reason: 'wrong_key' | 'bad_signature' | 'bad_hash'; message: string };

/**
 * Checks one checkpoint on its own: signed by `publicKey`, signature valid, `hash` matching its
 * content. Chaining to the previous checkpoint and agreement with the entries are verify.ts's job.
 */
export function verifyCheckpoint(cp: AuditCheckpoint, publicKey: KeyObject): CheckpointCheck {
  const key = asPublicKey(publicKey);
  const expectedKeyId = keyIdOf(key);
  if (cp.keyId !== expectedKeyId) {
    return {
      valid: false,
      reason: 'wrong_key',
      message: `checkpoint ${cp.seq} claims key ${String(cp.keyId)}, but the verifying key is ${expectedKeyId}: it was forged, or signed with a key that is not the audit key`,
    };
  }
  let ok: boolean;
  try {
    ok = verify(null, Buffer.from(checkpointSigningInput(cp), 'utf8'), key, Buffer.from(cp.signature, 'base64'));
  } catch {
    ok = false; // a malformed signature or a field that cannot be canonicalised is simply not valid
  }
  if (!ok) {
    return {
      valid: false,
      reason: 'bad_signature',
      message: `checkpoint ${cp.seq}'s signature does not verify: it was edited or forged`,
    };
  }
  if (cp.hash !== hashCheckpoint(cp)) {
    return {
      valid: false,
      reason: 'bad_hash',
      message: `checkpoint ${cp.seq}'s hash field does not match its signed content: it was edited`,
    };
  }
  return { valid: true };
}

/** First 16 hex digits of SHA-256 over the raw 32-byte Ed25519 public key. */
export function keyIdOf(publicKey: KeyObject): string {
  const key = asPublicKey(publicKey);
  const { x } = key.export({ format: 'jwk' });
  if (typeof x !== 'string') throw new GatehouseError('audit_key_invalid', 'not an Ed25519 key');
  return sha256Hex(Buffer.from(x, 'base64url')).slice(0, 16);
}

/** Accepts a public key, or a private key whose public half is meant. */
function asPublicKey(key: KeyObject): KeyObject {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  if (pub.type !== 'public' || pub.asymmetricKeyType !== 'ed25519') {
    throw new GatehouseError('audit_key_invalid', 'audit checkpoints use Ed25519 keys');
  }
  return pub;
}
