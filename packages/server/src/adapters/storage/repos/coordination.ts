/**
 * Coordination between instances: rate windows and leases. Each operation is one UPSERT, so it
 * is atomic on both dialects without an explicit transaction or lock.
 */
import type { LeasesRepo, RatesRepo } from '../../../core/ports/storage.js';
import { int, invalid, num, ts } from '../values.js';
import type { RepoContext } from './context.js';
import { execRaw } from './hot.js';

const CURRENT_SQL = 'select "count" from "rate_counters" where "key" = ? and "window_start" = ?';
// The conditional DO UPDATE is the whole algorithm: it increments only while the window stays
// within the limit, and RETURNING yields no row when it did not.
const TAKE_SQL =
  'insert into "rate_counters" ("key", "window_start", "count") values (?, ?, ?) on conflict ("key", "window_start") ' +
  'do update set "count" = "rate_counters"."count" + ? where "rate_counters"."count" <= ? returning "count"';

export function ratesRepo(ctx: RepoContext): RatesRepo {
  const { db } = ctx;
  const current = async (key: string, windowStart: string) => {
    const r = (await execRaw<{ count: number | string }>(ctx, CURRENT_SQL, [key, windowStart])).rows[0];
    return r ? num(r.count) : 0;
  };

  return {
    async take(key, windowStart, limit, amount = 1) {
      const start = ts(windowStart, 'windowStart');
      int(limit, 'limit');
      if (!Number.isSafeInteger(amount) || amount < 1)
        throw invalid(`amount must be a positive integer, got ${amount}`);
      if (amount > limit) return { allowed: false, count: await current(key, start) };
      // The conditional DO UPDATE is the whole algorithm: it increments only while the window
      // stays within the limit, and RETURNING yields no row when it did not.
      const r = (await execRaw<{ count: number | string }>(ctx, TAKE_SQL, [key, start, amount, amount, limit - amount]))
        .rows[0];
      if (r) return { allowed: true, count: num(r.count) };
      return { allowed: false, count: await current(key, start) };
    },

    current: (key, windowStart) => current(key, ts(windowStart, 'windowStart')),

    async prune(before) {
      const r = await db
        .deleteFrom('rate_counters')
        .where('window_start', '<', ts(before, 'before'))
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}

export function leasesRepo({ db }: RepoContext): LeasesRepo {
  return {
    async tryAcquire(name, holder, until, now) {
      const u = ts(until, 'until');
      const n = ts(now, 'now');
      if (u <= n) throw invalid('until must be later than now', { field: 'until' });
      const r = await db
        .insertInto('leases')
        .values({ name, holder, until: u })
        .onConflict((oc) =>
          oc
            .column('name')
            .doUpdateSet({ holder, until: u })
            .where((eb) => eb.or([eb('leases.until', '<=', n), eb('leases.holder', '=', holder)])),
        )
        .returning('holder')
        .executeTakeFirst();
      return r !== undefined;
    },

    async release(name, holder) {
      const r = await db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).executeTakeFirst();
      return Number(r.numDeletedRows) === 1;
    },

    async get(name) {
      const r = await db.selectFrom('leases').selectAll().where('name', '=', name).executeTakeFirst();
      return r && { name: r.name, holder: r.holder, until: r.until };
    },
  };
}
