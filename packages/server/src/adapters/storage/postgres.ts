/**
 * PostgreSQL through a pg Pool: the dialect for several instances sharing one database.
 *
 * - int8 (OID 20: bigint columns, count(*)) is parsed to a JS number on this pool only; pg's
 *   global type registry is left alone so other pg users in the process are unaffected.
 * - Audit appenders serialise on `SELECT … FOR UPDATE` of the one `audit_lock` row, held until
 *   their transaction ends; claims use `FOR UPDATE SKIP LOCKED`.
 * - An idle client's network error is logged, never left to crash the process.
 */
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { GatehouseError } from '../../core/errors.js';
import type { DialectOps } from './repos/context.js';
import type { Database } from './schema.js';

export interface PostgresLogger {
  warn(obj: object, msg?: string): void;
}

const INT8_OID = 20;

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : (pg.types.getTypeParser(oid, format) as (value: string) => unknown)) as typeof pg.types.getTypeParser,
};

export function createPostgresKysely(
  connectionString: string,
  opts: { logger?: PostgresLogger; poolSize?: number } = {},
): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString,
    types,
    max: opts.poolSize ?? 20,
    // How long a request may queue for a free client under load, not only connect: a burst of
    // decisions must wait its turn rather than fail half-way.
    connectionTimeoutMillis: 30_000,
    application_name: 'gatehouse',
  });
  pool.on('error', (err) => opts.logger?.warn({ err }, 'idle PostgreSQL connection failed'));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'EPIPE',
]);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Cannot use a pool after calling end|not queryable/;

export function classifyPostgresError(e: unknown): GatehouseError | undefined {
  if (e instanceof pg.DatabaseError) {
    const code = e.code ?? '';
    const opts = { cause: e, details: { driverCode: code, ...(e.constraint ? { constraint: e.constraint } : {}) } };
    if (code === '23505') return new GatehouseError('conflict', `duplicate: ${e.detail ?? e.message}`, opts);
    if (code === '23503') return new GatehouseError('conflict', 'a referenced row does not exist', opts);
    if (code === '40001' || code === '40P01') {
      return new GatehouseError('conflict', `concurrent update, retry: ${e.message}`, opts);
    }
    if (code.startsWith('22') || code.startsWith('23'))
      return new GatehouseError('storage_invalid_input', e.message, opts);
    if (code === '42P01') {
      return new GatehouseError('storage_unavailable', `PostgreSQL schema missing (run migrate): ${e.message}`, opts);
    }
    if (/^(08|53|57P|3D|28)/.test(code))
      return new GatehouseError('storage_unavailable', `PostgreSQL: ${e.message}`, opts);
    return new GatehouseError('storage_failed', `PostgreSQL: ${e.message}`, opts);
  }
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    if ((typeof code === 'string' && NETWORK_CODES.has(code)) || UNAVAILABLE_MESSAGES.test(e.message)) {
      return new GatehouseError('storage_unavailable', `PostgreSQL unreachable: ${e.message || String(code)}`, {
        cause: e,
      });
    }
  }
  return undefined;
}

export const postgresOps: DialectOps = {
  name: 'postgres',
  lockAudit: async (db) => {
    await db.selectFrom('audit_lock').select('id').where('id', '=', 1).forUpdate().execute();
  },
  dimsContain: (dims) => sql<boolean>`(kpi_samples.dims_key::jsonb @> ${JSON.stringify(dims)}::jsonb)`,
  skipLocked: true,
  classify: classifyPostgresError,
};
