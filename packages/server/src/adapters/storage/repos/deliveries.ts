/**
 * The notification outbox. Rows are enqueued in the producer's transaction and sent by whichever
 * instance claims them. Claiming is one statement that skips rows another instance holds, and
 * every later move is a compare-and-set from `sending`, so an attempt has exactly one owner.
 *
 * Delivery is at-least-once: a sender that outlives `staleBefore` may see its row reclaimed and
 * sent again by another instance.
 */
import type { ExpressionBuilder, Selectable } from 'kysely';
import type { DeliveryChannel, DeliveryRow, DeliveryStatus, DeliveriesRepo } from '../../../core/ports/storage.js';
import type { Database, DeliveriesTable } from '../schema.js';
import {
  chunks,
  fromJson,
  fromJsonOrNull,
  num,
  positiveLimit,
  rowsPerInsert,
  toJson,
  toJsonOrNull,
  ts,
} from '../values.js';
import { atomically, type RepoContext } from './context.js';

const toDelivery = (r: Selectable<DeliveriesTable>): DeliveryRow => ({
  id: r.id,
  channel: r.channel as DeliveryChannel,
  target: r.target,
  event: r.event,
  subject: r.subject,
  payload: fromJson(r.payload),
  status: r.status as DeliveryStatus,
  attempts: num(r.attempts),
  nextAttemptAt: r.next_attempt_at,
  lastError: r.last_error,
  lastResponse: fromJsonOrNull(r.last_response),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  deliveredAt: r.delivered_at,
});

const COLUMNS = 14;

export function deliveriesRepo(ctx: RepoContext): DeliveriesRepo {
  const { db } = ctx;

  /** Due work: pending and due, or `sending` by a sender presumed dead. */
  const due = (now: string, staleBefore: string) => (eb: ExpressionBuilder<Database, 'deliveries'>) =>
    eb.or([
      eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', now)]),
      eb.and([eb('status', '=', 'sending'), eb('updated_at', '<', staleBefore)]),
    ]);

  return {
    async enqueue(rows) {
      if (rows.length === 0) return;
      const values = rows.map((row): Selectable<DeliveriesTable> => {
        const createdAt = ts(row.createdAt, 'createdAt');
        return {
          id: row.id,
          channel: row.channel,
          target: row.target,
          event: row.event,
          subject: row.subject,
          payload: toJson(row.payload, 'payload'),
          status: 'pending',
          attempts: 0,
          next_attempt_at: ts(row.nextAttemptAt ?? createdAt, 'nextAttemptAt'),
          last_error: null,
          last_response: null,
          created_at: createdAt,
          updated_at: createdAt,
          delivered_at: null,
        };
      });
      const batches = chunks(values, rowsPerInsert(ctx.ops.name, COLUMNS));
      const insert = async (d: typeof db) => {
        for (const batch of batches) await d.insertInto('deliveries').values(batch).execute();
      };
      // One statement is atomic by itself; several need a transaction to stay all-or-nothing.
      await (batches.length === 1 ? insert(db) : atomically(ctx, insert));
    },

    async claimDue(now, limit, staleBefore) {
      const at = ts(now, 'now');
      const isDue = due(at, ts(staleBefore, 'staleBefore'));
      const rows = await db
        .updateTable('deliveries')
        .set({ status: 'sending', updated_at: at })
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        // Repeated outside the subquery: on PostgreSQL the row may have moved since it was picked.
        .where(isDue)
        .where('id', 'in', () => {
          const pick = db
            .selectFrom('deliveries')
            .select('id')
            .where(isDue)
            .orderBy('next_attempt_at')
            .orderBy('id')
            .limit(positiveLimit(limit));
          return ctx.ops.skipLocked ? pick.forUpdate().skipLocked() : pick;
        })
        .returningAll()
        .execute();
      return rows.map(toDelivery).sort((a, b) => (a.nextAttemptAt + a.id < b.nextAttemptAt + b.id ? -1 : 1));
    },

    async markDelivered(id, at, response) {
      const when = ts(at, 'at');
      const r = await db
        .updateTable('deliveries')
        .set({
          status: 'delivered',
          delivered_at: when,
          updated_at: when,
          last_response: toJsonOrNull(response, 'response'),
        })
        .where('id', '=', id)
        .where('status', '=', 'sending')
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async markFailed(id, at, error, response, retryAt) {
      const when = ts(at, 'at');
      const retry =
        retryAt === null ? { status: 'gave_up' } : { status: 'pending', next_attempt_at: ts(retryAt, 'retryAt') };
      const r = await db
        .updateTable('deliveries')
        .set({
          ...retry,
          updated_at: when,
          last_error: error,
          last_response: toJsonOrNull(response, 'response'),
        })
        .where('id', '=', id)
        .where('status', '=', 'sending')
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async get(id) {
      const r = await db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toDelivery(r);
    },

    async list(filter) {
      let q = db.selectFrom('deliveries').selectAll();
      if (filter.status !== undefined) q = q.where('status', '=', filter.status);
      if (filter.subject !== undefined) q = q.where('subject', '=', filter.subject);
      if (filter.event !== undefined) q = q.where('event', '=', filter.event);
      const rows = await q
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(positiveLimit(filter.limit))
        .execute();
      return rows.map(toDelivery);
    },
  };
}
