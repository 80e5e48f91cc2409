/**
 * The concurrency bar on SQLite: 1,000 concurrent decisions on 100 approvals through the HTTP
 * API; each approval decided exactly once, each action executed at most once. The PostgreSQL run
 * of the same bar is in known-bugs.test.ts until it passes there.
 */
import { it } from 'vitest';
import { concurrencyBar } from './concurrency.case.js';

it('SQLite: 1,000 concurrent decisions on 100 approvals — each decided once, each action executed at most once', async () => {
  await concurrencyBar();
});
