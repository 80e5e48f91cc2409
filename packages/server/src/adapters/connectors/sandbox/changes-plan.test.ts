import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandboxConnector } from './connector.js';
import { changesQuery } from './reads.js';
import { openSandboxStore, type SandboxStore } from './store.js';

/**
 * `changes()` must stay O(page) however deep a walk goes (shadow scoring reads a million person
 * changes through it): every query shape is an index range in (ts, seq) order — no sort, no scan,
 * no OFFSET. The paging semantics themselves are in the connector contract (reads.case.ts).
 */

const SMALL = { contacts: 30, companies: 5, deals: 5 };
const position = { t: '2026-03-10T12:00:00.000Z', s: 123 };

const plan = (store: SandboxStore, [sql, params]: [string, unknown[]]) =>
  store.db
    .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
    .all(...params)
    .map((r) => r.detail)
    .join(' | ');

describe('changes() query plans', () => {
  let store: SandboxStore | undefined;
  let dir: string | undefined;
  afterEach(() => {
    store?.close();
    store = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('every shape is a keyset range on history_ts or history_kind_ts, without a sort', () => {
    store = openSandboxStore(':memory:');
    store.ensureIndexes();
    for (const kind of [undefined, 'person', 'agent'] as const) {
      for (const object of [undefined, 'contacts']) {
        for (const at of [undefined, position]) {
          const detail = plan(
            store,
            changesQuery({
              from: '2026-03-01T00:00:00.000Z',
              to: '2026-04-01T00:00:00.000Z',
              kind,
              object,
              position: at,
              limit: 1001,
            }),
          );
          const shape = `kind=${kind} object=${object} after=${at !== undefined}`;
          expect(detail, shape).toMatch(
            kind === undefined
              ? /^SEARCH history USING INDEX history_ts \(ts>\? AND ts<\?\)$/
              : /^SEARCH history USING INDEX history_kind_ts \(actor_kind=\? AND ts>\? AND ts<\?\)$/,
          );
        }
      }
    }
  });

  it('the cursor is the range start: a later position narrows the ts bound instead of filtering', () => {
    const [sql, params] = changesQuery({
      from: '2026-03-01T00:00:00.000Z',
      to: '2026-04-01T00:00:00.000Z',
      kind: 'person',
      object: undefined,
      position,
      limit: 10,
    });
    expect(sql).not.toMatch(/OFFSET/i);
    expect(sql.match(/ts >= \?/g)).toHaveLength(1);
    expect(params).toEqual(['person', position.t, '2026-04-01T00:00:00.000Z', position.t, position.s, 10]);
    // A cursor before `from` (another query's) cannot widen the period.
    const [, early] = changesQuery({
      from: '2026-03-20T00:00:00.000Z',
      to: '2026-04-01T00:00:00.000Z',
      kind: undefined,
      object: undefined,
      position,
      limit: 10,
    });
    expect(early[0]).toBe('2026-03-20T00:00:00.000Z');
  });

  it('history() of one record reads history_record', () => {
    store = openSandboxStore(':memory:');
    store.ensureIndexes();
    const detail = plan(store, [
      'SELECT * FROM history WHERE object = ? AND record_id = ? ORDER BY ts DESC, seq DESC',
      ['contacts', 'c_1'],
    ]);
    expect(detail).toContain('USING INDEX history_record (object=? AND record_id=?)');
  });

  it('a sandbox file seeded before history_kind_ts existed gets it on its next open', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gh-changes-plan-'));
    const path = join(dir, 'crm.db');
    const first = await createSandboxConnector({ id: 'crm', seed: 3, size: SMALL, path });
    await first.close();
    const raw = new Database(path);
    raw.exec('DROP INDEX history_kind_ts');
    raw.close();
    const again = await createSandboxConnector({ id: 'crm', seed: 3, size: SMALL, path });
    try {
      const names = again.store.db
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'history'")
        .all()
        .map((r) => r.name);
      expect(names).toContain('history_kind_ts');
      const page = await again.changes({
        from: '1970-01-01T00:00:00.000Z',
        to: '9999-01-01T00:00:00.000Z',
        actorKinds: ['integration'],
        limit: 5,
      });
      expect(page.results).toHaveLength(5);
    } finally {
      await again.close();
    }
  });
});
