/**
 * Dashboard sign-in: password hashes (made and checked by core; storage never sees a password)
 * and sessions keyed by the token's hash, so a database leak yields no usable cookie.
 */
import type { Selectable } from 'kysely';
import type { CredentialsRepo, SessionRow, SessionsRepo } from '../../../core/ports/storage.js';
import type { SessionsTable } from '../schema.js';
import { ts } from '../values.js';
import type { RepoContext } from './context.js';

const toSession = (r: Selectable<SessionsTable>): SessionRow => ({
  idHash: r.id_hash,
  personId: r.person_id,
  csrfToken: r.csrf_token,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
});

export function credentialsRepo({ db }: RepoContext): CredentialsRepo {
  return {
    async set(row) {
      const values = {
        person_id: row.personId,
        password_hash: row.passwordHash,
        updated_at: ts(row.updatedAt, 'updatedAt'),
      };
      await db
        .insertInto('credentials')
        .values(values)
        .onConflict((oc) =>
          oc.column('person_id').doUpdateSet({ password_hash: values.password_hash, updated_at: values.updated_at }),
        )
        .execute();
    },

    async get(personId) {
      const r = await db.selectFrom('credentials').selectAll().where('person_id', '=', personId).executeTakeFirst();
      return r && { personId: r.person_id, passwordHash: r.password_hash, updatedAt: r.updated_at };
    },
  };
}

export function sessionsRepo({ db }: RepoContext): SessionsRepo {
  return {
    async create(row) {
      await db
        .insertInto('sessions')
        .values({
          id_hash: row.idHash,
          person_id: row.personId,
          csrf_token: row.csrfToken,
          created_at: ts(row.createdAt, 'createdAt'),
          expires_at: ts(row.expiresAt, 'expiresAt'),
          revoked_at: null,
        })
        .execute();
    },

    async getActive(idHash, now) {
      const r = await db
        .selectFrom('sessions')
        .selectAll()
        .where('id_hash', '=', idHash)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', ts(now, 'now'))
        .executeTakeFirst();
      return r && toSession(r);
    },

    async revoke(idHash, at) {
      const r = await db
        .updateTable('sessions')
        .set({ revoked_at: ts(at, 'at') })
        .where('id_hash', '=', idHash)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async revokeAllFor(personId, at) {
      const r = await db
        .updateTable('sessions')
        .set({ revoked_at: ts(at, 'at') })
        .where('person_id', '=', personId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },

    async prune(before) {
      const r = await db.deleteFrom('sessions').where('expires_at', '<', ts(before, 'before')).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
