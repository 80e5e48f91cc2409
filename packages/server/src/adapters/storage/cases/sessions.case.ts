import { describe, expect, it } from 'vitest';
import type { SessionRow } from '../../../core/ports/storage.js';
import { at, expectStorageError, HOUR, MINUTE, T0, uid, type ContractContext } from './fixtures.case.js';

export function sessionCases(ctx: ContractContext): void {
  const session = (personId: string, over: Partial<SessionRow> = {}): Omit<SessionRow, 'revokedAt'> => ({
    idHash: uid('sess').padEnd(64, '0'),
    personId,
    csrfToken: uid('csrf'),
    createdAt: T0,
    expiresAt: at(T0, 8 * HOUR),
    ...over,
  });

  describe('credentials', () => {
    it('sets, replaces and reads a password hash per person', async () => {
      const s = ctx.storage();
      const personId = uid('ana');
      const first = { personId, passwordHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA', updatedAt: T0 };
      await s.credentials.set(first);
      expect(await s.credentials.get(personId)).toEqual(first);
      const changed = { personId, passwordHash: 'scrypt$16384$8$1$bmV3$bmV3aGFzaA', updatedAt: at(T0, HOUR) };
      await s.credentials.set(changed);
      expect(await s.credentials.get(personId)).toEqual(changed);
      expect(await s.credentials.get(uid('nobody'))).toBeUndefined();
      await expectStorageError(s.credentials.set({ ...first, updatedAt: 'now' }), 'storage_invalid_input');
      expect(await s.credentials.get(personId)).toEqual(changed);
    });
  });

  describe('sessions', () => {
    it('a session is active until it expires or is revoked', async () => {
      const s = ctx.storage();
      const row = session(uid('ana'));
      await s.sessions.create(row);
      const active = { ...row, revokedAt: null };
      expect(await s.sessions.getActive(row.idHash, T0)).toEqual(active);
      expect(await s.sessions.getActive(row.idHash, at(row.expiresAt, -1))).toEqual(active);
      expect(await s.sessions.getActive(row.idHash, row.expiresAt)).toBeUndefined();
      expect(await s.sessions.getActive('0'.repeat(64), T0)).toBeUndefined();
      await expectStorageError(s.sessions.create({ ...row, personId: uid('eve') }), 'conflict');

      expect(await s.sessions.revoke(row.idHash, at(T0, MINUTE))).toBe(true);
      expect(await s.sessions.getActive(row.idHash, at(T0, 2 * MINUTE))).toBeUndefined();
      expect(await s.sessions.revoke(row.idHash, at(T0, 2 * MINUTE))).toBe(false);
      expect(await s.sessions.revoke('0'.repeat(64), T0)).toBe(false);
    });

    it('revokeAllFor ends every live session of one person and no one else', async () => {
      const s = ctx.storage();
      const ana = uid('ana');
      const bob = uid('bob');
      const mine = [session(ana), session(ana), session(ana)];
      const theirs = session(bob);
      for (const r of [...mine, theirs]) await s.sessions.create(r);
      expect(await s.sessions.revoke(mine[2]!.idHash, at(T0, MINUTE))).toBe(true);

      expect(await s.sessions.revokeAllFor(ana, at(T0, HOUR))).toBe(2);
      for (const r of mine) expect(await s.sessions.getActive(r.idHash, at(T0, HOUR))).toBeUndefined();
      expect(await s.sessions.getActive(theirs.idHash, at(T0, HOUR))).toEqual({ ...theirs, revokedAt: null });
      expect(await s.sessions.revokeAllFor(ana, at(T0, 2 * HOUR))).toBe(0);
      expect(await s.sessions.revokeAllFor(uid('nobody'), T0)).toBe(0);
    });

    it('prunes sessions that expired before the cutoff, revoked or not', async () => {
      const s = ctx.storage();
      // Its own stretch of time: prune sees the whole table.
      const base = '2001-03-01T00:00:00.000Z';
      const person = uid('ana');
      const expired = session(person, { createdAt: base, expiresAt: at(base, HOUR) });
      const revoked = session(person, { createdAt: base, expiresAt: at(base, 2 * HOUR) });
      const live = session(person, { createdAt: base, expiresAt: at(base, 10 * HOUR) });
      for (const r of [expired, revoked, live]) await s.sessions.create(r);
      await s.sessions.revoke(revoked.idHash, at(base, MINUTE));

      expect(await s.sessions.prune(at(base, 5 * HOUR))).toBe(2);
      expect(await s.sessions.prune(at(base, 5 * HOUR))).toBe(0);
      expect(await s.sessions.getActive(live.idHash, at(base, 5 * HOUR))).toEqual({ ...live, revokedAt: null });
      // The pruned id is free again: the row is gone, not just hidden.
      await s.sessions.create(expired);
    });
  });
}
