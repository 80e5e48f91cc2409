/**
 * Profiling aids for one-at-a-time runs (no interleaving, so nesting is exact):
 * - `timedDeps` wraps the pipeline's ports: every storage repo call, every transaction (named by
 *   the first repo call inside it) and every connector call is timed; time not spent inside a port
 *   is the pipeline's own JavaScript (gates' logic, boundary, CEL policy, hashing, ids, verdicts).
 * - `instrumentSqlite` counts and times every better-sqlite3 prepare and statement execution, per
 *   database file and statement text.
 */
import BetterSqlite3 from 'better-sqlite3';
import type { Connector } from '../../packages/server/src/core/ports/connector.js';
import type { Repos, Storage } from '../../packages/server/src/core/ports/storage.js';
import type { PipelineDeps } from '../../packages/server/src/core/pipeline/index.js';

interface Slot {
  calls: number;
  ms: number;
  maxMs: number;
}

export class Timings {
  private slots = new Map<string, Slot>();
  private depth = 0;
  /** Time inside ports at depth 0: what is left of the total is the pipeline's own code. */
  private topLevelMs = 0;

  reset(): void {
    this.slots.clear();
    this.topLevelMs = 0;
  }

  /**
   * Calls `fn` and times it until its promise settles (synchronous work done before the promise
   * exists counts too). `label` may be a function, read at the end: a transaction is named by
   * its body's first call. Non-promise results (async iterables) are timed as returned.
   */
  call<T>(label: string | (() => string), fn: () => T): T {
    const top = this.depth === 0;
    this.depth++;
    const t0 = performance.now();
    const done = () => {
      const ms = performance.now() - t0;
      this.depth--;
      if (top) this.topLevelMs += ms;
      const name = typeof label === 'string' ? label : label();
      const slot = this.slots.get(name) ?? { calls: 0, ms: 0, maxMs: 0 };
      slot.calls++;
      slot.ms += ms;
      slot.maxMs = Math.max(slot.maxMs, ms);
      this.slots.set(name, slot);
    };
    let result: T;
    try {
      result = fn();
    } catch (e) {
      done();
      throw e;
    }
    if (result instanceof Promise) return result.finally(done) as T;
    done();
    return result;
  }

  report(actions: number, totalMs: number): string {
    const rows = [...this.slots.entries()].sort((a, b) => b[1].ms - a[1].ms);
    const line = (label: string, calls: number, ms: number, maxMs?: number) =>
      `  ${label.padEnd(58)} ${(calls / actions).toFixed(2).padStart(6)}/action ${(ms / actions).toFixed(4).padStart(8)} ms ${((100 * ms) / totalMs).toFixed(1).padStart(5)}%${maxMs !== undefined ? `  max ${maxMs.toFixed(1)} ms` : ''}`;
    return [
      'ports (transactions include the repo calls inside them, marked "  ↳"):',
      ...rows.map(([label, s]) => line(label, s.calls, s.ms, s.maxMs)),
      line('pipeline JS outside ports (policy, hashing, ids, verdicts)', actions, totalMs - this.topLevelMs),
    ].join('\n');
  }
}

type AnyFn = (...args: unknown[]) => unknown;

function wrapObject<T extends object>(obj: T, prefix: string, timings: Timings): T {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(obj)) {
    out[name] =
      typeof value === 'function'
        ? (...args: unknown[]) => timings.call(`${prefix}.${name}`, () => (value as AnyFn).apply(obj, args))
        : value;
  }
  return out as T;
}

const REPOS = [
  'keys',
  'agents',
  'actions',
  'transitions',
  'changesets',
  'approvals',
  'breakers',
  'kpis',
  'audit',
  'rates',
  'leases',
] as const;

function wrapRepos(repos: Repos, prefix: string, timings: Timings, onFirst?: (label: string) => void): Repos {
  const out = { ...repos } as Record<string, unknown>;
  for (const name of REPOS) {
    const repo = repos[name] as unknown as Record<string, unknown>;
    const wrapped: Record<string, unknown> = {};
    for (const [m, fn] of Object.entries(repo)) {
      wrapped[m] =
        typeof fn === 'function'
          ? (...args: unknown[]) => {
              onFirst?.(`${name}.${m}`);
              return timings.call(`${prefix}${name}.${m}`, () => (fn as AnyFn).apply(repo, args));
            }
          : fn;
    }
    out[name] = wrapped;
  }
  return out as unknown as Repos;
}

export function timedDeps(deps: PipelineDeps, timings: Timings): PipelineDeps {
  const s = deps.storage;
  const storage: Storage = {
    ...s,
    ...wrapRepos(s, 'storage.', timings),
    transaction: <T>(fn: (tx: Repos) => Promise<T>) => {
      let label = 'transaction';
      const named = (first: string) => {
        if (label === 'transaction') label = `transaction [starts with ${first}]`;
      };
      return timings.call(
        () => label,
        () => s.transaction((tx) => fn(wrapRepos(tx, '  ↳ tx ', timings, named))),
      );
    },
  };
  const connectors = new Map<string, Connector>(
    [...deps.connectors].map(([id, c]) => [id, wrapObject(c, `connector.${id}`, timings)]),
  );
  return { ...deps, storage, connectors };
}

interface SqlSlot {
  db: string;
  sql: string;
  calls: number;
  ms: number;
  maxMs: number;
  /** Executions slower than 5 ms. */
  slow: number;
}

type StatementLike = { source: string; database: { name: string } };

/**
 * Patches better-sqlite3 (process-wide, until `restore`) to count and time statements per
 * database and text. Multi-row VALUES lists are folded so one statement shape is one line.
 */
export function instrumentSqlite() {
  const slots = new Map<string, SqlSlot>();
  let prepares = new Map<string, SqlSlot>();
  const probe = new BetterSqlite3(':memory:');
  const stmtProto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, AnyFn>;
  probe.close();
  const dbProto = BetterSqlite3.prototype as unknown as Record<string, AnyFn>;
  const originals: [Record<string, AnyFn>, string, AnyFn][] = [];
  const shape = (sql: string) =>
    sql
      .replace(/\s+/g, ' ')
      .replace(/(\((\?, )*\?\))(, \((\?, )*\?\))+/g, '$1, …')
      .slice(0, 110);
  const add = (map: Map<string, SqlSlot>, db: string, sql: string, ms: number) => {
    const key = `${db}\n${sql}`;
    const slot = map.get(key) ?? { db, sql, calls: 0, ms: 0, maxMs: 0, slow: 0 };
    slot.calls++;
    slot.ms += ms;
    slot.maxMs = Math.max(slot.maxMs, ms);
    if (ms > 5) slot.slow++;
    map.set(key, slot);
  };
  for (const m of ['run', 'get', 'all', 'iterate']) {
    const orig = stmtProto[m]!;
    originals.push([stmtProto, m, orig]);
    stmtProto[m] = function (this: StatementLike, ...args: unknown[]) {
      const t0 = performance.now();
      try {
        return orig.apply(this, args);
      } finally {
        add(slots, this.database.name, shape(this.source), performance.now() - t0);
      }
    };
  }
  const prepare = dbProto['prepare']!;
  originals.push([dbProto, 'prepare', prepare]);
  dbProto['prepare'] = function (this: { name: string }, ...args: unknown[]) {
    const t0 = performance.now();
    try {
      return prepare.apply(this, args);
    } finally {
      add(prepares, this.name, 'prepare', performance.now() - t0);
    }
  };

  return {
    reset() {
      slots.clear();
      prepares = new Map();
    },
    restore() {
      for (const [obj, name, fn] of originals) obj[name] = fn;
    },
    report(actions: number, names: Record<string, string>): string {
      const lines: string[] = [];
      const dbs = new Set([...slots.values(), ...prepares.values()].map((s) => s.db));
      for (const db of dbs) {
        const label = names[db] ?? db;
        const rows = [...slots.values()].filter((s) => s.db === db).sort((a, b) => b.ms - a.ms);
        const prep = [...prepares.values()].filter((s) => s.db === db);
        const calls = rows.reduce((n, s) => n + s.calls, 0);
        const ms = rows.reduce((n, s) => n + s.ms, 0);
        const prepCalls = prep.reduce((n, s) => n + s.calls, 0);
        const prepMs = prep.reduce((n, s) => n + s.ms, 0);
        lines.push(
          `SQLite ${label}: ${(calls / actions).toFixed(2)} statements/action, ${(ms / actions).toFixed(4)} ms/action executing; ${(prepCalls / actions).toFixed(2)} prepares/action, ${(prepMs / actions).toFixed(4)} ms/action preparing`,
        );
        for (const s of rows)
          lines.push(
            `  ${(s.calls / actions).toFixed(2).padStart(5)}× ${(s.ms / actions).toFixed(4).padStart(7)} ms  max ${s.maxMs.toFixed(1).padStart(5)} ms, ${String(s.slow).padStart(3)} > 5 ms  ${s.sql}`,
          );
      }
      return lines.join('\n');
    },
  };
}
