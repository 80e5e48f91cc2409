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
import { runMigrations } from './migrations/index.js';
import { actionsRepo, transitionsRepo } from './repos/actions.js';
import { agentsRepo } from './repos/agents.js';
import { approvalsRepo } from './repos/approvals.js';
import { auditRepo } from './repos/audit.js';
import { breakersRepo } from './repos/breakers.js';
import { changesetsRepo } from './repos/changesets.js';
import { deliveriesRepo } from './repos/deliveries.js';
import type { DialectOps, RepoContext } from './repos/context.js';
import { leasesRepo, ratesRepo } from './repos/coordination.js';
import { keysRepo } from './repos/keys.js';
import { kpisRepo } from './repos/kpis.js';
import { credentialsRepo, sessionsRepo } from './repos/sessions.js';
import type { Database } from './schema.js';

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

function makeRepos(ctx: RepoContext, translate: Translate): Repos {
  return {
    keys: guard(keysRepo(ctx), translate),
    agents: guard(agentsRepo(ctx), translate),
    actions: guard(actionsRepo(ctx), translate),
    transitions: guard(transitionsRepo(ctx), translate),
    changesets: guard(changesetsRepo(ctx), translate),
    approvals: guard(approvalsRepo(ctx), translate),
    breakers: guard(breakersRepo(ctx), translate),
    kpis: guard(kpisRepo(ctx), translate),
    audit: guard(auditRepo(ctx), translate),
    rates: guard(ratesRepo(ctx), translate),
    leases: guard(leasesRepo(ctx), translate),
    deliveries: guard(deliveriesRepo(ctx), translate),
    credentials: guard(credentialsRepo(ctx), translate),
    sessions: guard(sessionsRepo(ctx), translate),
  };
}

export function createKyselyStorage(db: Kysely<Database>, ops: DialectOps): Storage {
  const translate = translator(ops);
  const rethrow = (e: unknown): never => {
    throw translate(e);
  };
  let closed: Promise<void> | undefined;

  return {
    dialect: ops.name,
    ...makeRepos({ db, inTransaction: false, ops }, translate),

    migrate: () => runMigrations(db as Kysely<unknown>, ops.name, (e) => ops.classify(e)).catch(rethrow),

    transaction: (fn) =>
      db
        .transaction()
        .execute((trx) => fn(makeRepos({ db: trx, inTransaction: true, ops }, translate)))
        .catch(rethrow),

    ping: async () => {
      await sql`select 1`.execute(db).catch(rethrow);
    },

    close: () => (closed ??= db.destroy()),
  };
}
