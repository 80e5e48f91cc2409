import { GatehouseError } from '../../core/errors.js';
import { CONNECTOR_ERROR_CODES } from '../../core/ports/connector.js';

/**
 * Opaque paging cursors: base64url of a small JSON object. Opaque to callers, so the position
 * encoding can change without breaking them; validated on the way in, so a forged or truncated
 * cursor is a 4xx (`invalid_cursor`), never a crash or a silently wrong page.
 */
export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

export function decodeCursor<T>(cursor: string, parse: (value: unknown) => T | undefined): T {
  const fail = () =>
    new GatehouseError(CONNECTOR_ERROR_CODES.invalidCursor, 'The paging cursor is malformed or from another query.', {
      details: { after: cursor.slice(0, 200) },
    });
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw fail();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw fail();
  }
  const parsed = parse(value);
  if (parsed === undefined) throw fail();
  return parsed;
}

/** A non-negative safe integer field of a decoded cursor, or undefined. */
export function cursorInt(value: unknown, kind: string, field: string): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v['k'] !== kind) return undefined;
  const n = v[field];
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
