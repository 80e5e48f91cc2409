import type { z } from 'zod';
import { GatehouseError } from '../core/errors.js';

/** Formats zod issues so the message names every offending field, e.g. `records[0].changes: must name …`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => {
      const path = i.path.reduce<string>(
        (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
        '',
      );
      let msg = i.message;
      if (i.code === 'unrecognized_keys')
        msg = `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${k}'`).join(', ')}`;
      return path ? `${path}: ${msg}` : msg;
    })
    .join('; ');
}

/** Parses caller input with a zod schema; a mismatch is the caller's mistake (400 invalid_request), never a 500. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'body' | 'query' | 'params',
): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const code = where === 'query' ? 'invalid_query' : 'invalid_request';
  throw new GatehouseError(code, `invalid ${where}: ${describeIssues(r.error.issues)}`, {
    details: { issues: r.error.issues.map((i) => ({ path: i.path.map(String), message: i.message, code: i.code })) },
  });
}
