import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { presentPii, strictestPii, type PiiMode } from '../../../core/boundary/index.js';
import { GatehouseError } from '../../../core/errors.js';
import type {
  Connector,
  CrmRecord,
  Filter,
  ObjectSchema,
  PropertyHistoryEntry,
  PropertyValue,
} from '../../../core/ports/connector.js';
import { INDEX_SQL, openSandboxStore } from '../sandbox/store.js';
import {
  REPLICA_FORMAT,
  REPLICA_SQL,
  inspectReplicaFile,
  replicaInfoOf,
  type ReplicaFilter,
  type ReplicaRefresh,
  type ReplicaSelection,
} from './file.js';

/**
 * Creating and refreshing a replica: read the selected records (and their property history) from
 * the source connector through the connector port, present PII the way the agents' grants say,
 * and replace the replica file's copy in ONE transaction, recording the refresh in the same
 * transaction. Readers of the file (a running server) see the old copy or the new one, never a mix.
 *
 * PII: for each object, the strictest `pii` of every grant (any agent) on the source or on the
 * replica that covers the object decides how its PII fields are stored — `allow` stores the raw
 * value only when every such grant allows it; with no grant at all the default (`mask`) applies.
 * Values go through `presentPii`, the function the agent read path uses, so a masked email in the
 * replica looks exactly like the masked email an agent reads from the source. History values of
 * PII fields are presented the same way: raw PII no grant allows never lands in the file.
 */

/** How far `changes()` looks for history: everything the source has. */
const EPOCH = '1970-01-01T00:00:00.000Z';
const FAR_FUTURE = '9999-12-31T23:59:59.999Z';
const PAGE = 1000;

export interface GrantLike {
  readonly connector: string;
  readonly objects: readonly string[];
  readonly pii: PiiMode;
}

/** Per object, per PII property: how the replica stores it. */
export type PiiPlan = Readonly<Record<string, Readonly<Record<string, PiiMode>>>>;

/** The PII plan for copying `objects` of `schema`, from the grants that cover the source or the replica. */
export function replicaPiiPlan(
  schema: readonly ObjectSchema[],
  objects: readonly string[],
  grants: readonly GrantLike[],
  connectors: readonly string[],
): PiiPlan {
  const plan: Record<string, Record<string, PiiMode>> = {};
  for (const object of objects) {
    const fields = schema.find((o) => o.name === object)?.properties.filter((p) => p.pii) ?? [];
    if (fields.length === 0) continue;
    const covering = grants.filter((g) => connectors.includes(g.connector) && g.objects.includes(object));
    const mode = covering.length === 0 ? 'mask' : strictestPii(covering.map((g) => g.pii));
    plan[object] = Object.fromEntries(fields.map((f) => [f.name, mode]));
  }
  return plan;
}

export interface RefreshInput {
  readonly source: Connector;
  /** The replica's connector id (its name in the config). */
  readonly replicaId: string;
  readonly path: string;
  readonly kind: 'create' | 'refresh';
  /** Objects to copy (all the source has when empty) and their filters. Ignored on refresh: the stored one is used. */
  readonly selection?: ReplicaSelection;
  readonly grants: readonly GrantLike[];
  /** Keys `hash` (the server's PII secret, so hashes match what agents see). */
  readonly hashSecret: string;
  readonly actor: string;
  readonly now: () => Date;
}

async function readAll(
  fetch: (after?: string) => Promise<{ results: CrmRecord[]; nextAfter?: string }>,
): Promise<CrmRecord[]> {
  const out: CrmRecord[] = [];
  let after: string | undefined;
  do {
    const page = await fetch(after);
    out.push(...page.results);
    after = page.nextAfter;
  } while (after);
  return out;
}

async function historyOf(source: Connector, object: string, ids: ReadonlySet<string>, all: boolean) {
  const out: PropertyHistoryEntry[] = [];
  let after: string | undefined;
  do {
    const page = await source.changes({
      from: EPOCH,
      to: FAR_FUTURE,
      object,
      limit: PAGE,
      ...(after ? { after } : {}),
    });
    for (const e of page.results) if (all || ids.has(e.id)) out.push(e);
    after = page.nextAfter;
  } while (after);
  return out;
}

const fail = (message: string, details?: Record<string, unknown>) =>
  new GatehouseError('invalid_request', message, details ? { details } : undefined);

/** Checks a selection against the source schema: known objects, known properties. */
export function checkSelection(schema: readonly ObjectSchema[], selection: ReplicaSelection): ReplicaSelection {
  const known = schema.map((o) => o.name);
  const objects = selection.objects.length > 0 ? [...new Set(selection.objects)] : known;
  for (const object of objects) {
    if (!known.includes(object)) {
      throw fail(`the source has no object '${object}' (objects: ${known.join(', ')})`, { object });
    }
  }
  for (const [object, filters] of Object.entries(selection.filters)) {
    if (!objects.includes(object)) {
      throw fail(`a filter names ${object}, which is not copied (copied: ${objects.join(', ')})`, { object });
    }
    const props = schema.find((o) => o.name === object)!.properties.map((p) => p.name);
    for (const f of filters) {
      if (!props.includes(f.property)) {
        throw fail(`${object} has no property '${f.property}' to filter on`, { object, property: f.property });
      }
    }
  }
  return { objects, filters: selection.filters };
}

/** Creates or refreshes the replica file; returns the refresh as recorded. */
export async function refreshReplica(input: RefreshInput): Promise<ReplicaRefresh> {
  const started = Date.now();
  const { source, path } = input;
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const existing = inspectReplicaFile(path);
  if (!existing && existsSync(path)) refuseForeignFile(path);
  if (input.kind === 'create' && existing) {
    throw new GatehouseError(
      'conflict',
      `replica ${input.replicaId} already exists at ${path} (created ${existing.refreshes[0]!.at}); ` +
        `refresh it with: gatehouse replica refresh ${input.replicaId}`,
      { details: { replica: input.replicaId, path } },
    );
  }
  if (input.kind === 'refresh' && !existing) {
    throw new GatehouseError(
      'not_found',
      `replica ${input.replicaId} has not been created yet (no replica at ${path}); ` +
        `create it with: gatehouse replica create --from ${source.id} --name ${input.replicaId}`,
      { details: { replica: input.replicaId, path } },
    );
  }
  if (existing && existing.source !== source.id) {
    throw new GatehouseError(
      'conflict',
      `${path} holds a replica of '${existing.source}', not of '${source.id}'; use another path for this replica`,
      { details: { path, found: existing.source, requested: source.id } },
    );
  }
  const schema = source.schema();
  const selection = checkSelection(schema, existing?.selection ?? input.selection ?? { objects: [], filters: {} });
  const pii = replicaPiiPlan(schema, selection.objects, input.grants, [source.id, input.replicaId]);
  const secret = { hashSecret: input.hashSecret };
  const present = (object: string, property: string, value: PropertyValue): PropertyValue => {
    const mode = pii[object]?.[property];
    return mode === undefined ? value : presentPii(value, mode, secret);
  };

  // Read everything first (the port is async), then write in one synchronous transaction.
  const copied: { object: string; records: CrmRecord[]; history: PropertyHistoryEntry[] }[] = [];
  for (const object of selection.objects) {
    const filters = (selection.filters[object] ?? []) as readonly Filter[];
    const records =
      filters.length === 0
        ? await readAll((after) => source.list(object, { limit: PAGE, ...(after ? { after } : {}) }))
        : await readAll((after) => source.search(object, { filters, limit: 200, ...(after ? { after } : {}) }));
    const ids = new Set(records.map((r) => r.id));
    copied.push({ object, records, history: await historyOf(source, object, ids, filters.length === 0) });
  }

  const at = input.now().toISOString();
  const counts: Record<string, { records: number; history: number }> = {};
  const store = openSandboxStore(path);
  try {
    store.db.exec(REPLICA_SQL);
    store.transaction(() => {
      store.db.exec('DELETE FROM records; DELETE FROM history; DELETE FROM applied;');
      const insertRecord = store.db.prepare<[string, string, string, string, string]>(
        'INSERT INTO records (object, id, properties, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
      );
      for (const { object, records, history } of copied) {
        for (const r of records) {
          const properties: Record<string, PropertyValue> = {};
          for (const [k, v] of Object.entries(r.properties)) properties[k] = present(object, k, v);
          insertRecord.run(object, r.id, JSON.stringify(properties), r.createdAt, r.updatedAt);
        }
        for (const e of history) {
          store.appendHistory(
            object,
            e.id,
            e.property,
            present(object, e.property, e.value),
            e.timestamp,
            e.source,
            e.actor,
          );
        }
        counts[object] = { records: records.length, history: history.length };
      }
      const meta: Record<string, string> = {
        kind: 'replica',
        format: REPLICA_FORMAT,
        replica: input.replicaId,
        source: source.id,
        schema: JSON.stringify(schema),
        selection: JSON.stringify(selection),
      };
      for (const [k, v] of Object.entries(meta)) store.setMeta(k, v);
      store.db
        .prepare(
          `INSERT INTO replica_refreshes (at, kind, source, source_type, actor, selection, counts, pii, duration_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          at,
          input.kind,
          source.id,
          source.type,
          input.actor,
          JSON.stringify(selection),
          JSON.stringify(counts),
          JSON.stringify(pii),
          Date.now() - started,
        );
    });
    store.db.exec(INDEX_SQL);
    const info = replicaInfoOf(store.db);
    return info!.refreshes[info!.refreshes.length - 1]!;
  } finally {
    store.close();
  }
}

/** A file that exists but holds no replica may only be replaced if it holds no records at all. */
function refuseForeignFile(path: string) {
  let rows: number;
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      const table = db.prepare("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'records'").get();
      rows = table ? (db.prepare('SELECT count(*) AS n FROM records').get() as { n: number }).n : 0;
    } finally {
      db.close();
    }
  } catch (e) {
    throw new GatehouseError(
      'conflict',
      `${path} exists and is not a replica file (${(e as Error).message}); use another path`,
      {
        details: { path },
      },
    );
  }
  if (rows > 0) {
    throw new GatehouseError(
      'conflict',
      `${path} holds ${rows} records that are not a replica (a sandbox database?); a replica needs its own file: set another path`,
      { details: { path } },
    );
  }
}

export type { ReplicaFilter };
