import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from './canonical.js';
import { GENESIS_HASH } from './chain.js';
import { checkpointSigningInput, createCheckpoint, hashCheckpoint, keyIdOf, verifyCheckpoint } from './checkpoint.js';
import { newKey } from './make-log.case.js';

const key = newKey();
const at = '2026-03-02T10:00:00.000Z';

describe('createCheckpoint', () => {
  it('signs the empty log as entry 0 with the genesis hash', () => {
    const cp = createCheckpoint({ prev: null, head: null, at, ...key });
    expect(cp).toMatchObject({
      seq: 1,
      lastEntrySeq: 0,
      headHash: GENESIS_HASH,
      prevCheckpointHash: null,
      keyId: key.keyId,
    });
    expect(verifyCheckpoint(cp, key.publicKey)).toEqual({ valid: true });
  });

  it('chains to the previous checkpoint, also when no entries were added', () => {
    const head = { seq: 7, hash: 'c'.repeat(64) };
    const first = createCheckpoint({ prev: null, head, at, ...key });
    const idle = createCheckpoint({ prev: first, head, at: '2026-03-02T11:00:00.000Z', ...key });
    expect(idle).toMatchObject({ seq: 2, lastEntrySeq: 7, headHash: head.hash, prevCheckpointHash: first.hash });
    expect(idle.hash).not.toBe(first.hash);
  });

  it('signs the canonical JSON of the six signed fields with Ed25519 and hashes it with the signature', () => {
    const cp = createCheckpoint({ prev: null, head: { seq: 3, hash: 'd'.repeat(64) }, at, ...key });
    const signed =
      `{"at":"${at}","headHash":"${'d'.repeat(64)}","keyId":"${key.keyId}","lastEntrySeq":3,` +
      `"prevCheckpointHash":null,"seq":1}`;
    expect(checkpointSigningInput(cp)).toBe(signed);
    expect(verify(null, Buffer.from(signed), key.publicKey, Buffer.from(cp.signature, 'base64'))).toBe(true);
    // "signature" sorts last, so the hashed form is the signed form with one more member.
    expect(cp.hash).toBe(sha256Hex(`${signed.slice(0, -1)},"signature":"${cp.signature}"}`));
    expect(hashCheckpoint(cp)).toBe(cp.hash);
  });

  it('refuses to sign a head behind the previous checkpoint (a truncated log)', () => {
    const prev = createCheckpoint({ prev: null, head: { seq: 10, hash: 'e'.repeat(64) }, at, ...key });
    expect(() => createCheckpoint({ prev, head: { seq: 8, hash: 'f'.repeat(64) }, at, ...key })).toThrow(
      /ends at entry 8 but checkpoint 1 already covers entry 10/,
    );
  });

  it('refuses a public key as the signing key', () => {
    expect(() => createCheckpoint({ prev: null, head: null, at, privateKey: key.publicKey, keyId: key.keyId })).toThrow(
      /Ed25519 private key/,
    );
  });
});

describe('verifyCheckpoint', () => {
  const cp = createCheckpoint({ prev: null, head: { seq: 3, hash: 'd'.repeat(64) }, at, ...key });

  it.each([
    ['lastEntrySeq', { lastEntrySeq: 4 }],
    ['headHash', { headHash: '0'.repeat(64) }],
    ['at', { at: '2026-03-02T10:00:01.000Z' }],
    ['prevCheckpointHash', { prevCheckpointHash: 'a'.repeat(64) }],
    ['signature', { signature: Buffer.alloc(64).toString('base64') }],
    ['signature (garbage)', { signature: 'not base64!' }],
  ])('rejects an edited %s as a bad signature', (_field, change) => {
    expect(verifyCheckpoint({ ...cp, ...change }, key.publicKey)).toMatchObject({
      valid: false,
      reason: 'bad_signature',
    });
  });

  it('rejects an edited hash field', () => {
    expect(verifyCheckpoint({ ...cp, hash: 'a'.repeat(64) }, key.publicKey)).toMatchObject({
      valid: false,
      reason: 'bad_hash',
    });
  });

  it('rejects a checkpoint signed by another key, naming both keys', () => {
    const other = newKey();
    const forged = createCheckpoint({ prev: null, head: { seq: 3, hash: 'd'.repeat(64) }, at, ...other });
    const check = verifyCheckpoint(forged, key.publicKey);
    expect(check).toMatchObject({ valid: false, reason: 'wrong_key' });
    if (!check.valid)
      expect(check.message).toContain(`claims key ${other.keyId}, but the verifying key is ${key.keyId}`);
    // Claiming the right key id does not help a forger.
    expect(verifyCheckpoint({ ...forged, keyId: key.keyId }, key.publicKey)).toMatchObject({ reason: 'bad_signature' });
  });
});

describe('keyIdOf', () => {
  it('is the first 16 hex digits of SHA-256 over the raw 32-byte public key', () => {
    const raw = key.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    expect(keyIdOf(key.publicKey)).toBe(sha256Hex(raw).slice(0, 16));
    expect(keyIdOf(key.privateKey)).toBe(keyIdOf(key.publicKey));
    expect(keyIdOf(createPublicKey(key.privateKey))).toMatch(/^[0-9a-f]{16}$/);
  });
});
