import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStorage } from './index.js';
import { describeStorageContract } from './storage.case.js';
import {
  createTestPostgresDatabase,
  isPostgresReachable,
  POSTGRES_REQUIRED,
  TEST_POSTGRES_ADMIN_URL,
  warnPostgresSkipped,
  type TestPostgresDatabase,
} from './testing.js';

// --- SQLite: a temp file, so a second instance can open the same database.
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-storage-'));
describeStorageContract(
  'sqlite',
  () => openStorage(`sqlite:${join(dir, 'nested', 'gatehouse.db')}`),
  () => {
    rmSync(dir, { recursive: true, force: true });
    return Promise.resolve();
  },
);

// --- PostgreSQL: a throwaway database, dropped afterwards.
const reachable = await isPostgresReachable();
if (!reachable && !POSTGRES_REQUIRED) warnPostgresSkipped('storage contract suite');
// Say in the run's output which dialects the one contract suite ran on (CI checks for both).
console.info(
  `storage contract suite: running on SQLite and ${reachable ? 'PostgreSQL' : 'NOT PostgreSQL (unreachable)'}`,
);

if (!reachable && POSTGRES_REQUIRED) {
  describe('storage contract [postgres]', () => {
    it('needs PostgreSQL (GATEHOUSE_REQUIRE_POSTGRES=1)', () => {
      expect.fail(`PostgreSQL is not reachable at ${TEST_POSTGRES_ADMIN_URL}`);
    });
  });
}

let database: Promise<TestPostgresDatabase | undefined> | undefined;
describeStorageContract(
  'postgres',
  async () => {
    database ??= createTestPostgresDatabase();
    const db = await database;
    if (!db) throw new Error(`PostgreSQL is not reachable at ${TEST_POSTGRES_ADMIN_URL}`);
    return openStorage(db.url);
  },
  async () => {
    await (await database)?.drop();
  },
  { skip: !reachable },
);
