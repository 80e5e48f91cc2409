/**
 * Value conversions shared by every repo: the port speaks camelCase values, ISO timestamps and
 * JSON; the tables hold TEXT and integers. Input checks here turn caller mistakes into
 * `storage_invalid_input` before they reach a driver.
 */
import { GatehouseError } from '../../core/errors.js';

const ISO_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function invalid(message: string, details?: Record<string, unknown>): GatehouseError {
  return new GatehouseError('storage_invalid_input', message, details ? { details } : undefined);
}

/** Timestamps compare as strings in SQL, which is only sound for one exact format. */
export function ts(value: string, field: string): string {
  if (typeof value !== 'string' || !ISO_UTC_MS.test(value) || Number.isNaN(Date.parse(value))) {
    throw invalid(
      `${field} must be an ISO-8601 UTC timestamp with milliseconds (2026-01-05T09:00:00.000Z), got ${JSON.stringify(value)}`,
      {
        field,
      },
    );
  }
  return value;
}

export function tsOrNull(value: string | null | undefined, field: string): string | null {
  return value === null || value === undefined ? null : ts(value, field);
}

/** Both dialects store 32-bit integers in these columns. */
export function int(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < -2147483648 || value > 2147483647) {
    throw invalid(`${field} must be a 32-bit integer, got ${String(value)}`, { field });
  }
  return value;
}

export function positiveLimit(value: number, field = 'limit'): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw invalid(`${field} must be a positive integer, got ${String(value)}`, { field });
  return value;
}

export function toJson(value: unknown, field: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw new GatehouseError('storage_invalid_input', `${field} is not serialisable as JSON`, {
      cause,
      details: { field },
    });
  }
  // JSON.stringify(undefined) is undefined: store null, as a JSON round trip would.
  return text ?? 'null';
}

export function toJsonOrNull(value: unknown, field: string): string | null {
  return value === null || value === undefined ? null : toJson(value, field);
}

export function fromJson(text: string): unknown {
  return JSON.parse(text);
}

export function fromJsonOrNull(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}

/** pg returns int8 as number through the pool's parser; this guards the other integer paths. */
export function num(value: number | bigint | string): number {
  return typeof value === 'number' ? value : Number(value);
}

/** Canonical dims: keys sorted, so `{a,b}` and `{b,a}` are the same sample. */
export function dimsKey(dims: Readonly<Record<string, string>>): string {
  const keys = Object.keys(dims).sort();
  const sorted: Record<string, string> = {};
  for (const k of keys) {
    const v = dims[k];
    if (typeof v !== 'string') throw invalid(`dims.${k} must be a string`, { field: `dims.${k}` });
    sorted[k] = v;
  }
  return JSON.stringify(sorted);
}

/**
 * Rows per multi-row INSERT: stays under SQLite's 32,766 and PostgreSQL's 65,535 bound
 * parameters, and caps statement size so Kysely's compile time stays small.
 */
export function rowsPerInsert(dialect: 'sqlite' | 'postgres', columns: number): number {
  const maxParams = dialect === 'sqlite' ? 32_766 : 65_535;
  return Math.max(1, Math.min(1000, Math.floor(maxParams / columns)));
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
