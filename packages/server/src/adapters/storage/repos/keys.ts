import type { Selectable } from 'kysely';
import type { KeyKind, KeyRow, KeysRepo } from '../../../core/ports/storage.js';
import type { ApiKeysTable } from '../schema.js';
import { ts } from '../values.js';
import type { RepoContext } from './context.js';
import { execRaw } from './hot.js';

const toKey = (r: Selectable<ApiKeysTable>): KeyRow => ({
  id: r.id,
  kind: r.kind as KeyKind,
  subject: r.subject,
  hash: r.hash,
  prefix: r.prefix,
  label: r.label,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

const BY_HASH_SQL = 'select * from "api_keys" where "hash" = ?';
const BY_HASH_LIVE_SQL = 'select * from "api_keys" where "hash" = ? and "revoked_at" is null';

export function keysRepo(ctx: RepoContext): KeysRepo {
  const { db } = ctx;
  return {
    async insert(row) {
      const values = {
        id: row.id,
        kind: row.kind,
        subject: row.subject,
        hash: row.hash,
        prefix: row.prefix,
        label: row.label ?? null,
        created_at: ts(row.createdAt, 'createdAt'),
        revoked_at: null,
      };
      await db.insertInto('api_keys').values(values).execute();
      return toKey(values);
    },
    // Every authenticated request runs this: fixed texts, no query building (hot.ts).
    async findByHash(hash, opts) {
      const text = opts?.includeRevoked ? BY_HASH_SQL : BY_HASH_LIVE_SQL;
      const r = (await execRaw<Selectable<ApiKeysTable>>(ctx, text, [hash])).rows[0];
      return r && toKey(r);
    },
    async get(id) {
      const r = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toKey(r);
    },
    async list(filter = {}) {
      let q = db.selectFrom('api_keys').selectAll();
      if (filter.kind !== undefined) q = q.where('kind', '=', filter.kind);
      if (filter.subject !== undefined) q = q.where('subject', '=', filter.subject);
      const rows = await q.orderBy('created_at').orderBy('id').execute();
      return rows.map(toKey);
    },
    async revoke(id, at) {
      const r = await db
        .updateTable('api_keys')
        .set({ revoked_at: ts(at, 'at') })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
  };
}
