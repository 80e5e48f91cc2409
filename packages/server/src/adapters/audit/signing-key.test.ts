import { sign, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keyIdOf } from '../../core/audit/checkpoint.js';
import { loadOrCreateSigningKey, loadVerifyKey } from './signing-key.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'gh-audit-key-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const posix = process.platform !== 'win32';

describe('loadOrCreateSigningKey', () => {
  it('creates a 0600 PKCS#8 key (and its directory) plus a public key file, then loads the same key', () => {
    const path = join(tmp(), 'data', 'nested', 'audit-ed25519.pem');
    const first = loadOrCreateSigningKey(path);
    expect(first.created).toBe(true);
    expect(first.keyId).toBe(keyIdOf(first.publicKey));
    expect(readFileSync(path, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(readFileSync(`${path}.pub`, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(first.publicKeyPath).toBe(`${path}.pub`);
    if (posix) expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(first.warning).toBeUndefined();

    const again = loadOrCreateSigningKey(path);
    expect(again.created).toBe(false);
    expect(again.keyId).toBe(first.keyId);
    const sig = sign(null, Buffer.from('x'), again.privateKey);
    expect(verify(null, Buffer.from('x'), first.publicKey, sig)).toBe(true);
  });

  it('recreates a missing public key file from the private key', () => {
    const path = join(tmp(), 'k.pem');
    const { keyId } = loadOrCreateSigningKey(path);
    rmSync(`${path}.pub`);
    loadOrCreateSigningKey(path);
    expect(keyIdOf(loadVerifyKey(`${path}.pub`))).toBe(keyId);
  });

  it('refuses a corrupt key file, naming it', () => {
    const path = join(tmp(), 'k.pem');
    writeFileSync(path, 'not a key', { mode: 0o600 });
    expect(() => loadOrCreateSigningKey(path)).toThrow(
      expect.objectContaining({ code: 'audit_key_invalid', message: expect.stringContaining(path) }),
    );
  });

  it('refuses a key of another type', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const path = join(tmp(), 'k.pem');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    expect(() => loadOrCreateSigningKey(path)).toThrow(/not Ed25519/);
  });

  it('refuses a public key file that belongs to another key', () => {
    const dir = tmp();
    const a = join(dir, 'a.pem');
    const b = join(dir, 'b.pem');
    loadOrCreateSigningKey(a);
    loadOrCreateSigningKey(b);
    writeFileSync(`${a}.pub`, readFileSync(`${b}.pub`));
    expect(() => loadOrCreateSigningKey(a)).toThrow(/a\.pem\.pub cannot be used: it is not the public half of/);
  });

  it.skipIf(!posix)('warns when an existing key file is readable by others', () => {
    const path = join(tmp(), 'k.pem');
    loadOrCreateSigningKey(path);
    chmodSync(path, 0o644);
    expect(loadOrCreateSigningKey(path).warning).toMatch(/readable by others \(mode 644\)/);
  });
});

describe('loadVerifyKey', () => {
  it('reads the public key file, or derives it from the private key file', () => {
    const path = join(tmp(), 'k.pem');
    const { keyId } = loadOrCreateSigningKey(path);
    expect(keyIdOf(loadVerifyKey(`${path}.pub`))).toBe(keyId);
    expect(loadVerifyKey(path).type).toBe('public');
  });

  it('names a missing file', () => {
    expect(() => loadVerifyKey('/nonexistent/k.pem.pub')).toThrow(
      /\/nonexistent\/k\.pem\.pub cannot be used: the file does not exist/,
    );
  });
});
