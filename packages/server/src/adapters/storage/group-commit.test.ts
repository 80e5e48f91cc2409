/**
 * Group commit (group-commit.ts): transactions queued behind a running one share a commit, with
 * serial semantics, per-body failure isolation, and no answer before the commit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { groupCommitter } from './group-commit.js';
import type { Database } from './schema.js';
import { createSqliteKysely, openSqliteDatabase } from './sqlite.js';
import { openStorage } from './index.js';

let dir: string;
let db: Kysely<Database>;

const count = async (k: Kysely<Database>) =>
  Number((await sql<{ n: number }>`select count(*) as n from t`.execute(k)).rows[0]!.n);

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-group-commit-'));
  db = createSqliteKysely(openSqliteDatabase(join(dir, 'g.db')));
  await sql`create table t (id integer primary key, v text not null unique)`.execute(db);
});
afterEach(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const insert = (v: string) => async (trx: Kysely<Database>) => {
  await sql`insert into t (v) values (${v})`.execute(trx);
  return v;
};

describe('groupCommitter', () => {
  it('runs transactions that arrive while one is running in one shared commit, in arrival order', async () => {
    const g = groupCommitter(db);
    const order: string[] = [];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        g.transaction(async (trx) => {
          order.push(`b${i}`);
          // Each body sees the rows of the bodies before it, as if they had committed one by one.
          expect(await count(trx)).toBe(i);
          return insert(`v${i}`)(trx);
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => `b${i}`));
    expect(await count(db)).toBe(20);
    // Called in the same event-loop turn: one group, one commit.
    expect(g.stats).toEqual({ commits: 1, bodies: 20 });
    // A transaction alone is a group of one.
    await g.transaction(insert('alone'));
    expect(g.stats).toEqual({ commits: 2, bodies: 21 });
  });

  it('a failing body rolls back only its own writes; the others commit', async () => {
    const g = groupCommitter(db);
    const outcomes = await Promise.allSettled([
      g.transaction(insert('first')),
      g.transaction(insert('a')),
      g.transaction(async (trx) => {
        await insert('half-done')(trx);
        throw new Error('body failed');
      }),
      g.transaction(insert('a')), // unique violation: a driver error, rolled back to its savepoint
      g.transaction(insert('b')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((outcomes[2] as PromiseRejectedResult).reason).toEqual(new Error('body failed'));
    const rows = await sql<{ v: string }>`select v from t order by id`.execute(db);
    expect(rows.rows.map((r) => r.v)).toEqual(['first', 'a', 'b']);
  });

  it('answers each caller only once its writes are committed (visible to another connection)', async () => {
    const g = groupCommitter(db);
    const other = openSqliteDatabase(join(dir, 'g.db'));
    try {
      const committed = (v: string) => other.prepare('select count(*) as n from t where v = ?').get(v) as { n: number };
      const seen = await Promise.all(
        Array.from({ length: 10 }, (_, i) => g.transaction(insert(`c${i}`)).then((v) => committed(v).n)),
      );
      expect(seen).toEqual(Array.from({ length: 10 }, () => 1));
    } finally {
      other.close();
    }
  });

  it('fails every caller of a group whose commit fails, and keeps none of its writes', async () => {
    const g = groupCommitter(db);
    // Deferred foreign keys fail at COMMIT, after every body succeeded.
    await sql`create table child (id integer primary key, parent integer not null references t(id) deferrable initially deferred)`.execute(
      db,
    );
    await g.transaction(insert('before'));
    const group = Promise.allSettled([
      g.transaction(insert('x')),
      g.transaction(async (trx) => {
        await sql`insert into child (parent) values (9999)`.execute(trx);
      }),
      g.transaction(insert('y')),
    ]);
    const outcomes = await group;
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    const rows = await sql<{ v: string }>`select v from t order by id`.execute(db);
    expect(rows.rows.map((r) => r.v)).toEqual(['before']);
  });
});

describe('SQLite storage uses group commit', () => {
  it('parallel audit appends through storage.transaction keep one contiguous chain', async () => {
    const storage = await openStorage(`sqlite:${join(dir, 'storage.db')}`);
    try {
      await storage.migrate();
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          storage.transaction((tx) =>
            tx.audit.append((head) => [
              {
                seq: (head?.seq ?? 0) + 1,
                at: '2026-01-05T09:00:00.000Z',
                type: 'test',
                actor: 'system',
                subject: `s${i}`,
                data: { i },
                prevHash: head?.hash ?? 'genesis',
                hash: `h${(head?.seq ?? 0) + 1}`,
              },
            ]),
          ),
        ),
      );
      const entries = await storage.audit.list({ limit: 100 });
      expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      entries.forEach((e, i) => expect(e.prevHash).toBe(i === 0 ? 'genesis' : `h${i}`));
    } finally {
      await storage.close();
    }
  });

  it('a body rolled back after appending does not leave its head for the next body of the group', async () => {
    const storage = await openStorage(`sqlite:${join(dir, 'storage.db')}`);
    const entry = (subject: string) => (head: { seq: number; hash: string } | null) => [
      {
        seq: (head?.seq ?? 0) + 1,
        at: '2026-01-05T09:00:00.000Z',
        type: 'test',
        actor: 'system',
        subject,
        data: {},
        prevHash: head?.hash ?? 'genesis',
        hash: `h-${subject}`,
      },
    ];
    try {
      await storage.migrate();
      const results = await Promise.allSettled(
        ['a', 'b', 'c', 'd'].map((subject) =>
          storage.transaction(async (tx) => {
            await tx.audit.append(entry(subject));
            if (subject === 'b' || subject === 'd') await tx.audit.append(entry(`${subject}2`));
            if (subject === 'b') throw new Error('b changes its mind');
          }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      const entries = await storage.audit.list({ limit: 100 });
      expect(entries.map((e) => [e.seq, e.subject, e.prevHash])).toEqual([
        [1, 'a', 'genesis'],
        [2, 'c', 'h-a'],
        [3, 'd', 'h-c'],
        [4, 'd2', 'h-d'],
      ]);
    } finally {
      await storage.close();
    }
  });
});
