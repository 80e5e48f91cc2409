/**
 * The audit signing key on disk: an Ed25519 private key (PKCS#8 PEM, mode 0600), created on first
 * start, and its public half next to it as `<path>.pub` (SPKI PEM) so that verifiers and auditors
 * never need the private key. Keep the key where the database's writers cannot replace it:
 * whoever holds it can sign a rewritten log.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { keyIdOf } from '../../core/audit/checkpoint.js';
import { GatehouseError } from '../../core/errors.js';

export interface AuditSigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyId: string;
  /** True when this call generated the key. */
  created: boolean;
  publicKeyPath: string;
  /** Set when the key file can be read by group or others (worth a warning at start). */
  warning?: string;
}

/** Synchronous: it runs once at start, before anything can be audited. */
export function loadOrCreateSigningKey(path: string): AuditSigningKey {
  let pem = readIfExists(path);
  let created = false;
  if (pem === undefined) {
    pem = createKeyFile(path);
    created = pem !== undefined;
    // Another process won the race to create it: use theirs.
    pem ??= readIfExists(path);
    if (pem === undefined) throw invalid(path, 'it vanished while being created');
  }
  const privateKey = parsePrivateKey(pem, path);
  const publicKey = createPublicKey(privateKey);
  const publicKeyPath = `${path}.pub`;
  ensurePublicKeyFile(publicKeyPath, publicKey, path);
  const mode = statSync(path).mode & 0o777;
  return {
    privateKey,
    publicKey,
    keyId: keyIdOf(publicKey),
    created,
    publicKeyPath,
    ...(process.platform !== 'win32' && mode & 0o077
      ? { warning: `the audit signing key ${path} is readable by others (mode ${mode.toString(8)}); chmod 600 it` }
      : {}),
  };
}

/**
 * Reads a key for verification: a public key PEM (`<path>.pub`), or a private key PEM whose public
 * half is used.
 */
export function loadVerifyKey(path: string): KeyObject {
  const pem = readIfExists(path);
  if (pem === undefined) throw invalid(path, 'the file does not exist');
  let key: KeyObject;
  try {
    key = pem.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
  } catch (cause) {
    throw invalid(path, 'it is not a PEM key', cause);
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw invalid(path, `it is a ${key.asymmetricKeyType ?? 'non-asymmetric'} key, not Ed25519`);
  return key;
}

/** Answers the new file's PEM, or undefined if the file appeared meanwhile. */
function createKeyFile(path: string): string | undefined {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  try {
    // 'wx': never overwrite a key that appeared meanwhile; losing a key orphans every checkpoint.
    writeFileSync(path, pem, { mode: 0o600, flag: 'wx' });
    return pem;
  } catch (e) {
    if (errnoOf(e) === 'EEXIST') return undefined;
    throw new GatehouseError(
      'audit_key_invalid',
      `cannot create the audit signing key ${path}: ${(e as Error).message}`,
      {
        details: { path },
        cause: e,
      },
    );
  }
}

function parsePrivateKey(pem: string, path: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (cause) {
    throw invalid(path, 'it is not a PEM private key', cause);
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw invalid(path, `it is a ${key.asymmetricKeyType ?? 'symmetric'} key, not Ed25519`);
  return key;
}

function ensurePublicKeyFile(pubPath: string, publicKey: KeyObject, keyPath: string): void {
  const expected = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const existing = readIfExists(pubPath);
  if (existing === undefined) {
    writeFileSync(pubPath, expected, { mode: 0o644 });
    return;
  }
  let same: boolean;
  try {
    same = createPublicKey(existing).export({ type: 'spki', format: 'pem' }) === expected;
  } catch {
    same = false;
  }
  // Verifiers trust the .pub file: a mismatch must stop the server, not be overwritten silently.
  if (!same) throw invalid(pubPath, `it is not the public half of ${keyPath}`);
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return undefined;
    throw invalid(path, (e as Error).message, e);
  }
}

function invalid(path: string, why: string, cause?: unknown): GatehouseError {
  return new GatehouseError('audit_key_invalid', `audit key file ${path} cannot be used: ${why}`, {
    details: { path },
    ...(cause === undefined ? {} : { cause }),
  });
}

function errnoOf(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : undefined;
}
