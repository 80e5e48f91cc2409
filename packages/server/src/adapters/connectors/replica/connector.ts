import { existsSync } from 'node:fs';
import { GatehouseError } from '../../../core/errors.js';
import {
  CONNECTOR_ERROR_CODES,
  type ApplyResult,
  type Connector,
  type ObjectSchema,
} from '../../../core/ports/connector.js';
import { planChange } from '../sandbox/planner.js';
import { createStoreReads, type StoreReads } from '../sandbox/reads.js';
import { compileSchema, objectIn, SANDBOX_SCHEMA, type CompiledObject } from '../sandbox/schema.js';
import { openSandboxStore, type SandboxStore } from '../sandbox/store.js';
import { replicaInfoOf, type ReplicaInfo } from './file.js';

/**
 * A replica as a `Connector`: a local, read-only copy of another connector's records in its own
 * SQLite file, built and refreshed by `gatehouse replica create|refresh` (see `build.ts`).
 *
 * - list, get, getMany, search, history, changes and schema serve the copy, with the sandbox's
 *   query engine (same paging, filters and ordering).
 * - `plan` works on the copy (before/after, fingerprints), so observe-mode agents get real change
 *   sets; `apply` answers `failed: replica_read_only` and `revert` throws it: nothing an agent
 *   does changes a replica. The file is opened read-only; only a refresh writes it.
 * - Until the replica is created, every call fails with `connector_unavailable` naming the command
 *   that creates it, and `health` says so. The file is looked for again on every call, so a
 *   replica created while the server runs is served without a restart.
 */

export interface ReplicaOptions {
  readonly id: string;
  /** The connector it copies (its `from`). */
  readonly from: string;
  readonly path: string;
  /** The source's schema, served while the replica is not created yet (so grants can be checked). */
  readonly sourceSchema?: readonly ObjectSchema[];
}

export interface ReplicaConnector extends Connector {
  readonly type: 'replica';
  readonly from: string;
  readonly path: string;
  /** The replica's description and refresh log; undefined until it is created. */
  info(): ReplicaInfo | undefined;
}

export const REPLICA_READ_ONLY = 'replica_read_only';

interface Opened {
  readonly store: SandboxStore;
  readonly reads: StoreReads;
  readonly schema: readonly ObjectSchema[];
  readonly sandboxShaped: boolean;
  readonly objectOf: (object: string) => CompiledObject;
}

const sameSchema = (a: readonly ObjectSchema[], b: readonly ObjectSchema[]) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The schema readers see. A PII property the latest refresh stored hashed holds the keyed hash
 * (`presentPii`'s, with the server's secret), not the value: it is no longer PII here, so a read
 * shows that hash as it is — exactly what a `hash` grant shows of the live value — instead of
 * hashing the hash (or masking it). Masked and raw ones stay PII (masking again changes nothing).
 */
function presentedSchema(info: ReplicaInfo): ObjectSchema[] {
  const stored = info.refreshes[info.refreshes.length - 1]?.pii ?? {};
  return info.schema.map((o) => ({
    ...o,
    properties: o.properties.map((p) => (p.pii && stored[o.name]?.[p.name] === 'hash' ? { ...p, pii: false } : p)),
  }));
}

export function createReplicaConnector(options: ReplicaOptions): ReplicaConnector {
  const { id, from, path } = options;
  let opened: Opened | undefined;
  let closed = false;
  const createHint = `run: gatehouse replica create --from ${from} --name ${id}`;

  /** Opens the file if it holds a built replica; undefined otherwise (not created yet). */
  const tryOpen = (): Opened | undefined => {
    if (opened) return opened;
    if (path === ':memory:' || !existsSync(path)) return undefined;
    let store: SandboxStore | undefined;
    try {
      store = openSandboxStore(path, { readonly: true });
    } catch {
      // Not (yet) a store: a create is under way, or the path holds something else.
      return undefined;
    }
    const info = replicaInfoOf(store.db);
    if (!info) {
      store.close();
      return undefined;
    }
    const compiled = compileSchema(info.schema);
    const objectOf = (object: string) => objectIn(compiled, object, `Replica ${id}`);
    opened = {
      store,
      reads: createStoreReads(store, objectOf),
      schema: presentedSchema(info),
      sandboxShaped: sameSchema(info.schema, SANDBOX_SCHEMA),
      objectOf,
    };
    return opened;
  };

  const need = (): Opened => {
    if (closed) throw new GatehouseError(CONNECTOR_ERROR_CODES.connectorClosed, `replica ${id} is closed`);
    const o = tryOpen();
    if (!o) {
      throw new GatehouseError(
        'connector_unavailable',
        `replica ${id} (a copy of ${from}) has not been created yet; ${createHint}`,
        { details: { connector: id, from, path, reason: 'replica_not_created' } },
      );
    }
    return o;
  };

  const run = <T>(fn: (o: Opened) => T): Promise<T> => {
    try {
      return Promise.resolve(fn(need()));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  };

  const readOnly = (what: string) =>
    `replica ${id} is a read-only copy of ${from}: ${what} is never written to it. ` +
    `Point the agent's grant at ${from} to act on live data.`;

  return {
    id,
    type: 'replica',
    from,
    path,
    info: () => {
      const o = closed ? undefined : tryOpen();
      return o ? replicaInfoOf(o.store.db) : undefined;
    },
    schema: () => {
      const o = closed ? undefined : tryOpen();
      return [...(o?.schema ?? options.sourceSchema ?? [])];
    },
    list: (object, opts) => run((o) => o.reads.list(object, opts)),
    get: (object, recordId) => run((o) => o.reads.get(object, recordId)),
    getMany: (object, ids) => run((o) => o.reads.getMany(object, ids)),
    search: (object, opts) => run((o) => o.reads.search(object, opts)),
    history: (object, recordId, property) => run((o) => o.reads.history(object, recordId, property)),
    changes: (opts) => run((o) => o.reads.changes(opts)),

    plan: (req, read) =>
      run((o) => {
        if (typeof req === 'object' && req !== null) o.objectOf(req.object);
        if (!o.sandboxShaped) {
          throw new GatehouseError(
            CONNECTOR_ERROR_CODES.unsupportedOperation,
            `replica ${id} cannot plan changes: its source ${from} is not sandbox-shaped`,
          );
        }
        // The planner only reads: records, fingerprints and before values come from the copy.
        return planChange(o.store, req, read);
      }),

    apply: (): Promise<ApplyResult> =>
      Promise.resolve({ type: 'failed', code: REPLICA_READ_ONLY, message: readOnly('a change'), retryable: false }),

    revert: () => Promise.reject(new GatehouseError(REPLICA_READ_ONLY, readOnly('a rollback'))),

    health: () => {
      if (closed) return Promise.resolve({ ok: false, detail: `replica ${id} is closed` });
      try {
        const o = tryOpen();
        if (!o) return Promise.resolve({ ok: false, detail: `replica ${id} has not been created yet; ${createHint}` });
        const info = replicaInfoOf(o.store.db);
        const last = info?.refreshes[info.refreshes.length - 1];
        const records = Object.values(last?.counts ?? {}).reduce((n, c) => n + c.records, 0);
        return Promise.resolve({
          ok: true,
          detail: `replica of ${from}, ${records} records, refreshed ${last?.at ?? '?'} (${path})`,
        });
      } catch (e) {
        return Promise.resolve({ ok: false, detail: e instanceof Error ? e.message : String(e) });
      }
    },

    close: () => {
      closed = true;
      if (opened?.store.isOpen()) opened.store.close();
      opened = undefined;
      return Promise.resolve();
    },
  };
}
