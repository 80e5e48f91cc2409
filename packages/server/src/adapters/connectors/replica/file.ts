import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { ObjectSchema } from '../../../core/ports/connector.js';

/**
 * The replica file: the sandbox store's tables (records, history, meta) holding the copy, plus
 * `replica_refreshes`, one row per create or refresh. Meta keys: `kind` = `replica`, `format`,
 * `replica` (its connector id), `source` (the connector it copies), `schema` (the source's schema
 * as JSON, so the replica answers `schema()` without its source) and `selection` (objects and
 * filters, so a refresh copies what the create copied).
 */

export const REPLICA_FORMAT = '1';

export const REPLICA_SQL = `
CREATE TABLE IF NOT EXISTS replica_refreshes (
  seq INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  kind TEXT NOT NULL,
  source TEXT NOT NULL,
  source_type TEXT NOT NULL,
  actor TEXT NOT NULL,
  selection TEXT NOT NULL,
  counts TEXT NOT NULL,
  pii TEXT NOT NULL,
  duration_ms INTEGER NOT NULL
);`;

/** A filter as stored and shown: HubSpot's shape, per object. */
export interface ReplicaFilter {
  readonly property: string;
  readonly operator: string;
  readonly value?: string;
  readonly values?: readonly string[];
}

/** What a replica copies: these objects (all the source has when empty), each filtered (AND). */
export interface ReplicaSelection {
  readonly objects: readonly string[];
  readonly filters: Readonly<Record<string, readonly ReplicaFilter[]>>;
}

/** One create or refresh, as recorded in the replica file. */
export interface ReplicaRefresh {
  readonly seq: number;
  readonly at: string;
  readonly kind: 'create' | 'refresh';
  readonly source: string;
  readonly sourceType: string;
  /** Who ran it, as in the audit log (`person:maria`, `cli:ops`). */
  readonly actor: string;
  readonly selection: ReplicaSelection;
  /** Per object: records copied and history entries copied. */
  readonly counts: Readonly<Record<string, { readonly records: number; readonly history: number }>>;
  /** Per object: PII fields and how they were stored (`mask`, `hash`, `allow` = as is). */
  readonly pii: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly durationMs: number;
}

export interface ReplicaInfo {
  readonly id: string;
  readonly source: string;
  readonly schema: readonly ObjectSchema[];
  readonly selection: ReplicaSelection;
  /** Oldest first. */
  readonly refreshes: readonly ReplicaRefresh[];
}

interface RefreshRow {
  seq: number;
  at: string;
  kind: 'create' | 'refresh';
  source: string;
  source_type: string;
  actor: string;
  selection: string;
  counts: string;
  pii: string;
  duration_ms: number;
}

const toRefresh = (r: RefreshRow): ReplicaRefresh => ({
  seq: r.seq,
  at: r.at,
  kind: r.kind,
  source: r.source,
  sourceType: r.source_type,
  actor: r.actor,
  selection: JSON.parse(r.selection) as ReplicaSelection,
  counts: JSON.parse(r.counts) as ReplicaRefresh['counts'],
  pii: JSON.parse(r.pii) as ReplicaRefresh['pii'],
  durationMs: r.duration_ms,
});

/** The replica's description and refresh log, or undefined when `db` holds no built replica. */
export function replicaInfoOf(db: Database.Database): ReplicaInfo | undefined {
  const tables = db
    .prepare(
      "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('meta', 'records', 'history', 'replica_refreshes')",
    )
    .get() as { n: number };
  if (tables.n < 4) return undefined;
  const meta = (key: string) =>
    (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  if (meta('kind') !== 'replica') return undefined;
  const refreshes = (db.prepare('SELECT * FROM replica_refreshes ORDER BY seq').all() as RefreshRow[]).map(toRefresh);
  if (refreshes.length === 0) return undefined;
  return {
    id: meta('replica') ?? '',
    source: meta('source') ?? '',
    schema: JSON.parse(meta('schema') ?? '[]') as ObjectSchema[],
    selection: JSON.parse(meta('selection') ?? '{"objects":[],"filters":{}}') as ReplicaSelection,
    refreshes,
  };
}

/** Reads a replica file's description without keeping it open; undefined when it is missing or not built. */
export function inspectReplicaFile(path: string): ReplicaInfo | undefined {
  if (path === ':memory:' || !existsSync(path)) return undefined;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return replicaInfoOf(db);
  } finally {
    db.close();
  }
}
