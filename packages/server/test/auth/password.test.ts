import { describe, expect, it } from 'vitest';
import {
  checkPasswordPolicy,
  hashPassword,
  needsRehash,
  parsePasswordHash,
  SCRYPT_DEFAULTS,
  verifyAgainstDecoy,
  verifyPassword,
} from '../../src/core/auth/password.js';
import { isGatehouseError } from '../../src/core/errors.js';

const GOOD = 'correct horse battery staple';

describe('hashPassword / verifyPassword', () => {
  it('round-trips, and a wrong password (even one character off) does not verify', async () => {
    const stored = await hashPassword(GOOD);
    expect(await verifyPassword(GOOD, stored)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', stored)).toBe(false);
    expect(await verifyPassword('Correct horse battery staple', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('stores scrypt$N$r$p$salt$hash with the default cost, a fresh salt each time, and never the password', async () => {
    const a = await hashPassword(GOOD);
    const b = await hashPassword(GOOD);
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain(GOOD);
    const parsed = parsePasswordHash(a)!;
    expect(parsed.salt).toHaveLength(16);
    expect(parsed.key).toHaveLength(32);
  });

  it('verifies with the parameters stored in the hash, and flags weaker ones for rehashing', async () => {
    const cheap = await hashPassword(GOOD, { N: 2 ** 10, r: 8, p: 1, saltBytes: 16, keyBytes: 32 });
    expect(cheap.startsWith('scrypt$1024$8$1$')).toBe(true);
    expect(await verifyPassword(GOOD, cheap)).toBe(true);
    expect(await verifyPassword(`${GOOD}!`, cheap)).toBe(false);
    expect(needsRehash(cheap)).toBe(true);
    expect(needsRehash(await hashPassword(GOOD))).toBe(false);
  });

  it('treats malformed or out-of-bounds stored hashes as "does not verify", without throwing', async () => {
    const real = await hashPassword(GOOD);
    const [, , r, p, salt, key] = real.split('$');
    for (const bad of [
      '',
      'bcrypt$2b$10$abc',
      real.replace(/^scrypt/, 'Scrypt'),
      `scrypt$1000$${r}$${p}$${salt}$${key}`, // N not a power of two
      `scrypt$${2 ** 24}$${r}$${p}$${salt}$${key}`, // N beyond the bound: would cost gigabytes
      `scrypt$32768$8$1$${salt}`,
      `scrypt$32768$8$1$${salt}$not base64!`,
    ]) {
      expect(parsePasswordHash(bad), bad).toBeUndefined();
      expect(await verifyPassword(GOOD, bad), bad).toBe(false);
    }
  });

  it('normalises Unicode: a composed and a decomposed accent are the same password', async () => {
    const composed = 'pâte feuilletée maison';
    const decomposed = composed.normalize('NFD');
    expect(decomposed).not.toBe(composed);
    expect(await verifyPassword(decomposed, await hashPassword(composed))).toBe(true);
  });

  it('the decoy check never succeeds', async () => {
    expect(await verifyAgainstDecoy(GOOD)).toBe(false);
  });
});

describe('password policy', () => {
  it('needs at least 12 characters and says so', async () => {
    const r = checkPasswordPolicy('short-pass1');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/at least 12 characters.*has 11/);
    expect(checkPasswordPolicy('twelve chars').ok).toBe(true);
    await expect(hashPassword('short')).rejects.toSatisfy(
      (e: unknown) => isGatehouseError(e) && e.code === 'password_too_weak' && /12 characters/.test(e.message),
    );
  });

  it('counts characters, not bytes or UTF-16 units', () => {
    expect(checkPasswordPolicy('🔑'.repeat(11)).ok).toBe(false);
    expect(checkPasswordPolicy('🔑'.repeat(12)).ok).toBe(true);
  });

  it('refuses whitespace-only and absurdly long passwords', () => {
    expect(checkPasswordPolicy(' '.repeat(20)).ok).toBe(false);
    expect(checkPasswordPolicy('a'.repeat(1025)).ok).toBe(false);
  });

  it('defaults are the documented ones', () => {
    expect(SCRYPT_DEFAULTS).toMatchObject({ N: 32768, r: 8, p: 1, saltBytes: 16, keyBytes: 32 });
  });
});
