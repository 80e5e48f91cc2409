/**
 * Test support for suites that need a real PostgreSQL: a throwaway database per suite.
 * The server never imports this module.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The maintenance database used to create and drop test databases. */
export const TEST_POSTGRES_ADMIN_URL =
  process.env.GATEHOUSE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** CI sets GATEHOUSE_REQUIRE_POSTGRES=1: an unreachable PostgreSQL then fails instead of skipping. */
export const POSTGRES_REQUIRED = process.env.GATEHOUSE_REQUIRE_POSTGRES === '1';

export interface TestPostgresDatabase {
  readonly url: string;
  readonly name: string;
  /** Drops the database, closing connections still open on it. Idempotent. */
  drop(): Promise<void>;
}

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function isPostgresReachable(adminUrl = TEST_POSTGRES_ADMIN_URL): Promise<boolean> {
  try {
    await withAdmin(adminUrl, (c) => c.query('select 1'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates `gatehouse_test_<random>` and answers its URL, or `undefined` when PostgreSQL is not
 * reachable (the caller decides whether that skips or fails).
 */
export async function createTestPostgresDatabase(
  adminUrl = TEST_POSTGRES_ADMIN_URL,
): Promise<TestPostgresDatabase | undefined> {
  if (!(await isPostgresReachable(adminUrl))) return undefined;
  const name = `gatehouse_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (c) => c.query(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  return {
    url: url.toString(),
    name,
    drop: () =>
      (dropped ??= withAdmin(adminUrl, async (c) => {
        await c.query(`drop database if exists ${name} with (force)`);
      })),
  };
}

/** The banner a suite prints when it skips its PostgreSQL half. */
export function warnPostgresSkipped(suite: string, adminUrl = TEST_POSTGRES_ADMIN_URL): void {
  const line = '!'.repeat(96);
  console.warn(
    [
      line,
      `!!! PostgreSQL NOT REACHABLE — the PostgreSQL half of the ${suite} is SKIPPED`,
      `!!! tried ${adminUrl.replace(/:[^:@/]*@/, ':***@')}; set GATEHOUSE_TEST_POSTGRES_URL to point elsewhere,`,
      '!!! or GATEHOUSE_REQUIRE_POSTGRES=1 to make this a failure (CI does).',
      line,
    ].join('\n'),
  );
}
