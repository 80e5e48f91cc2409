/**
 * Group commit for SQLite: transactions that arrive while one is running share the next commit.
 *
 * SQLite has one writer and Kysely's SQLite driver one connection, so concurrent
 * `storage.transaction` calls already run one after another; each paid for its own BEGIN and
 * COMMIT, and a commit writes every page it touched to the WAL (most of a small transaction's
 * cost). Here the callers queued behind a running transaction run next, together, in ONE
 * transaction, each inside its own SAVEPOINT:
 *
 * - Serial semantics: bodies run one at a time in arrival order, each sees the writes of those
 *   before it (the audit chain head included), exactly as if they had committed one by one.
 * - Isolation of failures: a body that throws rolls back to its savepoint; only its caller sees
 *   the error, the others commit.
 * - Durability before answers: no caller's promise settles before the shared COMMIT returns, so a
 *   decision is durable before anything acts on it. If the COMMIT (or a savepoint statement)
 *   fails, nothing of the group is durable and every caller gets the error.
 * - One event-loop turn of company: a transaction that finds the queue idle starts on the next
 *   turn (`setImmediate`), so the requests whose I/O arrived in the same poll, which each run on
 *   synchronous SQLite calls up to their own transaction, join it. Without the turn an HTTP
 *   server never grouped: a request runs to its commit within its own I/O callback, so
 *   transactions never overlapped. The turn costs microseconds when the loop is idle. Groups are
 *   bounded (`maxGroup`).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { DirectQuery } from './sqlite-direct.js';

/** Captured at load: a test's fake timers must not be able to stall every transaction. */
const nextTurn: (fn: () => void) => void = globalThis.setImmediate.bind(globalThis);

interface Job {
  readonly fn: (trx: Kysely<Database>) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export interface GroupCommitStats {
  /** Transactions committed (groups, including groups of one). */
  commits: number;
  /** Transaction bodies run. */
  bodies: number;
}

export function groupCommitter(
  db: Kysely<Database>,
  opts: {
    maxGroup?: number;
    direct?: DirectQuery;
    /** Told when a body's writes are rolled back to its savepoint (state cached for the transaction is stale). */
    onRollback?: (trx: Kysely<Database>) => void;
  } = {},
) {
  const maxGroup = opts.maxGroup ?? 64;
  const { direct, onRollback } = opts;
  // The group's transaction holds the connection, so its savepoint statements may run on it directly.
  const savepoint = async (trx: Kysely<Database>, text: string) => {
    if (direct?.(text, [], true) === undefined) await sql.raw(text).execute(trx);
  };
  const queue: Job[] = [];
  let draining = false;
  const stats: GroupCommitStats = { commits: 0, bodies: 0 };

  async function runAlone(job: Job): Promise<void> {
    try {
      const value = await db.transaction().execute(job.fn);
      stats.commits++;
      stats.bodies++;
      job.resolve(value);
    } catch (e) {
      job.reject(e);
    }
  }

  async function runGroup(group: readonly Job[]): Promise<void> {
    const outcomes: Outcome[] = [];
    try {
      await db.transaction().execute(async (trx) => {
        for (const job of group) {
          await savepoint(trx, 'savepoint gh_group');
          try {
            const value = await job.fn(trx);
            await savepoint(trx, 'release gh_group');
            outcomes.push({ ok: true, value });
          } catch (error) {
            // Fails (and so fails the group) when the driver error already ended the transaction.
            onRollback?.(trx);
            await savepoint(trx, 'rollback to gh_group');
            await savepoint(trx, 'release gh_group');
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (e) {
      group.forEach((job, i) => {
        const own = outcomes[i];
        job.reject(own && !own.ok ? own.error : e);
      });
      return;
    }
    stats.commits++;
    stats.bodies += group.length;
    group.forEach((job, i) => {
      const o = outcomes[i]!;
      if (o.ok) job.resolve(o.value);
      else job.reject(o.error);
    });
  }

  async function drain(): Promise<void> {
    try {
      while (queue.length > 0) {
        const group = queue.splice(0, maxGroup);
        if (group.length === 1) await runAlone(group[0]!);
        else await runGroup(group);
      }
    } finally {
      draining = false;
    }
  }

  return {
    stats,
    transaction<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
        if (!draining) {
          draining = true;
          nextTurn(() => void drain());
        }
      });
    },
  };
}
