/**
 * Audit log storage. The chain's integrity rests on one rule enforced here: appenders are
 * serialised (across transactions and processes), each reads the head inside the lock and its
 * entries continue that head's seq without a gap. The hashing itself is core/audit's business.
 */
import type { Kysely, Selectable } from 'kysely';
import { sealedDataText } from '../../../core/audit/chain.js';
import { GatehouseError } from '../../../core/errors.js';
import type { AuditCheckpoint, AuditEntry, AuditHead, AuditRepo } from '../../../core/ports/storage.js';
import type { AuditCheckpointsTable, AuditEntriesTable, Database } from '../schema.js';
import { invalid, num, positiveLimit, rowsPerInsert, toJson, ts } from '../values.js';
import { atomically, type RepoContext } from './context.js';
import { execRaw, insertRows } from './hot.js';

const ENTRY_COLUMNS = 8;

const toEntry = (r: Selectable<AuditEntriesTable>): AuditEntry => ({
  seq: num(r.seq),
  at: r.at,
  type: r.type,
  actor: r.actor,
  subject: r.subject,
  data: JSON.parse(r.data) as Record<string, unknown>,
  prevHash: r.prev_hash,
  hash: r.hash,
});

const toCheckpoint = (r: Selectable<AuditCheckpointsTable>): AuditCheckpoint => ({
  seq: num(r.seq),
  at: r.at,
  lastEntrySeq: num(r.last_entry_seq),
  headHash: r.head_hash,
  prevCheckpointHash: r.prev_checkpoint_hash,
  keyId: r.key_id,
  signature: r.signature,
  hash: r.hash,
});

function entryValues(e: AuditEntry, expectedSeq: number): Selectable<AuditEntriesTable> {
  if (e.seq !== expectedSeq) {
    throw new GatehouseError(
      'conflict',
      `audit entry seq ${String(e.seq)} does not continue the log at ${expectedSeq}`,
      {
        details: { expectedSeq, gotSeq: e.seq },
      },
    );
  }
  // Sealed by core/audit: the canonical text its hash covers is stored as is (no second serialisation).
  const sealed = sealedDataText(e);
  if (sealed === undefined && (typeof e.data !== 'object' || e.data === null || Array.isArray(e.data))) {
    throw invalid(`audit entry ${expectedSeq}: data must be an object`, { field: 'data' });
  }
  return {
    seq: e.seq,
    at: ts(e.at, 'at'),
    type: e.type,
    actor: e.actor,
    subject: e.subject,
    data: sealed ?? toJson(e.data, 'data'),
    prev_hash: e.prevHash,
    hash: e.hash,
  };
}

const HEAD_SQL = 'select "seq", "hash" from "audit_entries" order by "seq" desc limit 1';
const ENTRY_FIELDS = ['seq', 'at', 'type', 'actor', 'subject', 'data', 'prev_hash', 'hash'] as const;

/**
 * The head each open transaction's last append left, keyed by the transaction. The transaction
 * holds the audit lock until it ends (SQLite: the write lock of BEGIN IMMEDIATE; PostgreSQL: the
 * `audit_lock` row), so nobody else can move the head meanwhile, and the next append in the same
 * transaction — the next action's, under SQLite's group commit — need not read it again. A group
 * body rolled back to its savepoint takes its entries with it: group-commit.ts forgets the head
 * then (`forgetAuditHead`). A finished transaction's key is never used again.
 */
const heads = new WeakMap<Kysely<Database>, AuditHead>();

export function forgetAuditHead(trx: Kysely<Database>): void {
  heads.delete(trx);
}

async function readHead(ctx: RepoContext, db: Kysely<Database>): Promise<AuditHead | null> {
  const r = (await execRaw<{ seq: number | string; hash: string }>({ ...ctx, db }, HEAD_SQL, [])).rows[0];
  return r ? { seq: num(r.seq), hash: r.hash } : null;
}

async function readLatestCheckpoint(db: Kysely<Database>): Promise<AuditCheckpoint | undefined> {
  const r = await db.selectFrom('audit_checkpoints').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return r && toCheckpoint(r);
}

export function auditRepo(ctx: RepoContext): AuditRepo {
  const { db } = ctx;

  const list = async (opts: { afterSeq?: number; limit: number }) => {
    const rows = await db
      .selectFrom('audit_entries')
      .selectAll()
      .where('seq', '>', opts.afterSeq ?? 0)
      .orderBy('seq')
      .limit(positiveLimit(opts.limit))
      .execute();
    return rows.map(toEntry);
  };

  return {
    append(build) {
      return atomically(ctx, async (tx) => {
        await ctx.ops.lockAudit(tx);
        const head = heads.get(tx) ?? (await readHead(ctx, tx));
        const entries = build(head);
        const values = entries.map((e, i) => entryValues(e, (head?.seq ?? 0) + 1 + i));
        await insertRows(
          { ...ctx, db: tx },
          'audit_entries',
          ENTRY_FIELDS,
          values,
          rowsPerInsert(ctx.ops.name, ENTRY_COLUMNS),
        );
        const last = entries[entries.length - 1];
        if (last) heads.set(tx, { seq: last.seq, hash: last.hash });
        return entries;
      });
    },

    head: () => readHead(ctx, db),

    list,

    async *iterate(opts = {}) {
      const batchSize = positiveLimit(opts.batchSize ?? 1000, 'batchSize');
      let after = opts.afterSeq ?? 0;
      for (;;) {
        const page = await list({ afterSeq: after, limit: batchSize });
        yield* page;
        const last = page[page.length - 1];
        if (page.length < batchSize || last === undefined) return;
        after = last.seq;
      }
    },

    async count() {
      const r = await db
        .selectFrom('audit_entries')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return num(r.n);
    },

    async insertCheckpoint(cp) {
      const values: Selectable<AuditCheckpointsTable> = {
        seq: cp.seq,
        at: ts(cp.at, 'at'),
        last_entry_seq: cp.lastEntrySeq,
        head_hash: cp.headHash,
        prev_checkpoint_hash: cp.prevCheckpointHash,
        key_id: cp.keyId,
        signature: cp.signature,
        hash: cp.hash,
      };
      await atomically(ctx, async (tx) => {
        await ctx.ops.lockAudit(tx);
        const expected = ((await readLatestCheckpoint(tx))?.seq ?? 0) + 1;
        if (cp.seq !== expected) {
          throw new GatehouseError('conflict', `checkpoint seq ${String(cp.seq)} does not continue at ${expected}`, {
            details: { expectedSeq: expected, gotSeq: cp.seq },
          });
        }
        await tx.insertInto('audit_checkpoints').values(values).execute();
      });
    },

    async listCheckpoints(opts = {}) {
      let q = db
        .selectFrom('audit_checkpoints')
        .selectAll()
        .where('seq', '>', opts.afterSeq ?? 0)
        .orderBy('seq');
      if (opts.limit !== undefined) q = q.limit(positiveLimit(opts.limit));
      const rows = await q.execute();
      return rows.map(toCheckpoint);
    },

    latestCheckpoint: () => readLatestCheckpoint(db),
  };
}
