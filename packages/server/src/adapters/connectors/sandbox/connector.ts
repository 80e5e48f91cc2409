import { GatehouseError } from '../../../core/errors.js';
import { systemClock, type Clock } from '../../../core/clock.js';
import { CONNECTOR_ERROR_CODES, type Connector, type ObjectSchema } from '../../../core/ports/connector.js';
import { applyPlanGrouped } from './apply.js';
import { validateSize, type SandboxSize } from './generator.js';
import { planChange } from './planner.js';
import { createStoreReads } from './reads.js';
import { revertItems } from './revert.js';
import { SANDBOX_SCHEMA, objectOf } from './schema.js';
import { openSeededStore } from './seed.js';
import type { SandboxStore } from './store.js';

/**
 * The built-in sandbox CRM as a `Connector`. Storage is synchronous (better-sqlite3); the port is
 * async so the sandbox is interchangeable with remote CRMs. A database file is seeded on first
 * open only; reopening it with the same seed and size reuses the data, anything else is refused
 * rather than silently mixing two datasets.
 */

export interface SandboxOptions {
  readonly id: string;
  readonly seed: number;
  readonly size: SandboxSize;
  /** A database file, or ':memory:' (the default). */
  readonly path?: string;
  readonly clock?: Clock;
}

export interface SandboxConnector extends Connector {
  readonly type: 'sandbox';
  readonly seed: number;
  readonly size: SandboxSize;
  /** The underlying store, for the campaign simulator and the HubSpot-shaped emulator. */
  readonly store: SandboxStore;
  /** SHA-256 over a canonical dump of all records and history: equal for equal seeds and sizes. */
  dumpHash(): string;
}

export async function createSandboxConnector(options: SandboxOptions): Promise<SandboxConnector> {
  if (!Number.isSafeInteger(options.seed))
    throw new GatehouseError('invalid_config', `sandbox seed must be an integer, got ${options.seed}`, {
      details: { field: 'seed' },
    });
  const size = validateSize(options.size);
  const path = options.path ?? ':memory:';
  const clock = options.clock ?? systemClock;
  const store = openSeededStore(path, options.seed, size);
  const deps = { store, clock };

  /** Every call goes through here: a closed connector fails loudly instead of with a driver error. */
  const run = <T>(fn: () => T | Promise<T>): Promise<T> => {
    if (!store.isOpen()) {
      return Promise.reject(
        new GatehouseError(CONNECTOR_ERROR_CODES.connectorClosed, `sandbox ${options.id} is closed`),
      );
    }
    try {
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  };

  const reads = createStoreReads(store, objectOf);

  return {
    id: options.id,
    type: 'sandbox',
    seed: options.seed,
    size,
    store,
    dumpHash: () => store.dumpHash(),
    schema: (): ObjectSchema[] => [...SANDBOX_SCHEMA],

    list: (object, opts) => run(() => reads.list(object, opts)),
    get: (object, id) => run(() => reads.get(object, id)),
    getMany: (object, ids) => run(() => reads.getMany(object, ids)),
    search: (object, opts) => run(() => reads.search(object, opts)),

    plan: (req, read) => run(() => planChange(store, req, read)),
    apply: (plan, ctx) => run(() => applyPlanGrouped(deps, plan, ctx)),
    revert: (items, ctx) => run(() => revertItems(deps, items, ctx)),

    history: (object, id, property) => run(() => reads.history(object, id, property)),
    changes: (opts) => run(() => reads.changes(opts)),

    health: () =>
      run(() => {
        store.db.prepare('SELECT 1').get();
        return { ok: true, detail: `sandbox seed ${options.seed}, ${size.contacts} contacts (${path})` };
      }).catch((e: unknown) => ({ ok: false, detail: e instanceof Error ? e.message : String(e) })),

    close: () => {
      if (store.isOpen()) store.close();
      return Promise.resolve();
    },
  };
}
