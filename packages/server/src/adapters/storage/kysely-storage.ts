/**
 * The one Storage implementation, over Kysely, shared by SQLite and PostgreSQL. Dialect
 * differences arrive as `DialectOps`; everything here is dialect-neutral.
 *
 * Every repo method is wrapped so a driver error leaves as a GatehouseError (the dialect's
 * `classify` decides which); errors that are not the driver's — a `build` callback's, a
 * transaction body's — pass through unchanged.
 */
import { sql, type Kysely } from 'kysely';
import { GatehouseError } from '../../core/errors.js';
import type { Repos, Storage } from '../../core/ports/storage.js';
import { runMigrations, type SqliteScript } from './migrations/index.js';
import { actionsRepo, transitionsRepo } from './repos/actions.js';
import { agentsRepo } from './repos/agents.js';
import { approvalsRepo } from './repos/approvals.js';
import { auditRepo, forgetAuditHead } from './repos/audit.js';
import { breakersRepo } from './repos/breakers.js';
import { changesetsRepo } from './repos/changesets.js';
import { deliveriesRepo } from './repos/deliveries.js';
import { groupCommitter, type GroupCommitStats } from './group-commit.js';
import type { DialectOps, RepoContext } from './repos/context.js';
import { leasesRepo, ratesRepo } from './repos/coordination.js';
import { insightsRepo } from './repos/insights.js';
import { keysRepo } from './repos/keys.js';
import { kpisRepo } from './repos/kpis.js';
import { credentialsRepo, sessionsRepo } from './repos/sessions.js';
import type { Database } from './schema.js';
import type { DirectQuery } from './sqlite-direct.js';

type Translate = (e: unknown) => unknown;

function translator(ops: DialectOps): Translate {
  return (e) => {
    if (e instanceof GatehouseError) return e;
    // Kysely's own message once `close()` has run.
    if (e instanceof Error && e.message === 'driver has already been destroyed') {
      return new GatehouseError('storage_unavailable', 'storage is closed', { cause: e });
    }
    return ops.classify(e) ?? e;
  };
}

function guardIterable<T>(it: AsyncIterable<T>, translate: Translate): AsyncIterable<T> {
  return {
    async *[Symbol.asyncIterator]() {
      try {
        yield* it;
      } catch (e) {
        throw translate(e);
      }
    },
  };
}

/** Wraps each method so rejections (and async iteration errors) are translated. */
function guard<T extends object>(repo: T, translate: Translate): T {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(repo)) {
    if (typeof value !== 'function') {
      out[name] = value;
      continue;
    }
    out[name] = (...args: unknown[]) => {
      let result: unknown;
      try {
        result = (value as (...a: unknown[]) => unknown)(...args);
      } catch (e) {
        throw translate(e);
      }
      if (result instanceof Promise) {
        return result.catch((e: unknown) => {
          throw translate(e);
        });
      }
      if (result !== null && typeof result === 'object' && Symbol.asyncIterator in result) {
        return guardIterable(result as AsyncIterable<unknown>, translate);
      }
      return result;
    };
  }
  return out as T;
}

/** Every repo by its name in `Repos`. */
const REPOS: { readonly [K in keyof Repos]: (ctx: RepoContext) => Repos[K] } = {
  keys: keysRepo,
  agents: agentsRepo,
  actions: actionsRepo,
  transitions: transitionsRepo,
  changesets: changesetsRepo,
  approvals: approvalsRepo,
  breakers: breakersRepo,
  kpis: kpisRepo,
  audit: auditRepo,
  rates: ratesRepo,
  leases: leasesRepo,
  deliveries: deliveriesRepo,
  credentials: credentialsRepo,
  sessions: sessionsRepo,
  insights: insightsRepo,
};

function makeRepos(ctx: RepoContext, translate: Translate): Repos {
  const out: Record<string, unknown> = {};
  for (const [name, make] of Object.entries(REPOS)) out[name] = guard(make(ctx) as object, translate);
  return out as unknown as Repos;
}

const CTX = Symbol('ctx');
type LazyRepos = Repos & { [CTX]: { ctx: RepoContext; translate: Translate } };

/** Getters shared by every transaction's repos: each repo is built (and guarded) on first use, then cached on the object. */
const LAZY_PROTO: object = (() => {
  const proto = {};
  for (const [name, make] of Object.entries(REPOS)) {
    Object.defineProperty(proto, name, {
      enumerable: true,
      get(this: LazyRepos) {
        const { ctx, translate } = this[CTX];
        const repo = guard(make(ctx) as object, translate);
        Object.defineProperty(this, name, { value: repo, enumerable: true });
        return repo;
      },
    });
  }
  return proto;
})();

/**
 * The repos of one transaction. A transaction body touches a few of them, and building (and
 * guarding) all fifteen per transaction was a measurable share of a small transaction's CPU.
 */
function lazyRepos(ctx: RepoContext, translate: Translate): Repos {
  const repos = Object.create(LAZY_PROTO) as LazyRepos;
  repos[CTX] = { ctx, translate };
  return repos;
}

const groupStats = new WeakMap<Storage, GroupCommitStats>();

/** Commits and transaction bodies so far, for storage with group commit (SQLite); benches report it. */
export function groupCommitStats(storage: Storage): Readonly<GroupCommitStats> | undefined {
  return groupStats.get(storage);
}

/** What only SQLite has: its hot statements run on the connection, and atomic migration scripts. */
export interface SqliteExtras {
  readonly direct: DirectQuery;
  readonly script: SqliteScript;
}

export function createKyselyStorage(db: Kysely<Database>, ops: DialectOps, sqlite?: SqliteExtras): Storage {
  const extra = sqlite ? { direct: sqlite.direct } : {};
  const translate = translator(ops);
  const rethrow = (e: unknown): never => {
    throw translate(e);
  };
  let closed: Promise<void> | undefined;
  const group = ops.groupCommit ? groupCommitter(db, { ...extra, onRollback: forgetAuditHead }) : undefined;
  const run = <T>(body: (trx: Kysely<Database>) => Promise<T>): Promise<T> =>
    group ? group.transaction(body) : db.transaction().execute(body);

  const storage: Storage = {
    dialect: ops.name,
    ...makeRepos({ db, inTransaction: false, ops, ...extra }, translate),

    migrate: () =>
      runMigrations(db as Kysely<unknown>, ops.name, (e) => ops.classify(e), sqlite?.script).catch(rethrow),

    // SQLite: concurrent transactions share commits (group-commit.ts); PostgreSQL: one each.
    transaction: (fn) =>
      run((trx) => fn(lazyRepos({ db: trx, inTransaction: true, ops, ...extra }, translate))).catch(rethrow),

    ping: async () => {
      await sql`select 1`.execute(db).catch(rethrow);
    },

    close: () => (closed ??= db.destroy()),
  };
  if (group) groupStats.set(storage, group.stats);
  return storage;
}
