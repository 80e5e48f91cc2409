/**
 * Hand-written SQL for the statements every action runs (audit append, action rows, transitions,
 * change sets, rate windows). Building and compiling a Kysely query costs more CPU than SQLite
 * takes to run one of these small statements; the texts here are fixed, so they are made once
 * and executed on the same connection (and transaction) as every other query: through Kysely's
 * executor, or on SQLite straight on the connection when that is equivalent (sqlite-direct.ts).
 *
 * Texts use `?` placeholders and double-quoted identifiers, valid on both dialects; PostgreSQL's
 * `$1, $2, …` numbering is applied once per text. No text here contains a literal `?`.
 */
import { CompiledQuery, type QueryResult } from 'kysely';
import type { RepoContext } from './context.js';

const numbered = new Map<string, string>();

function forDialect(dialect: RepoContext['ops']['name'], text: string): string {
  if (dialect === 'sqlite') return text;
  let out = numbered.get(text);
  if (out === undefined) {
    let n = 0;
    out = text.replace(/\?/g, () => `$${++n}`);
    numbered.set(text, out);
  }
  return out;
}

export async function execRaw<R>(ctx: RepoContext, text: string, params: readonly unknown[]): Promise<QueryResult<R>> {
  const now = ctx.direct?.<R>(text, params, ctx.inTransaction);
  if (now) return now;
  return ctx.db.executeQuery<R>(CompiledQuery.raw(forDialect(ctx.ops.name, text), params as unknown[]));
}

/** Texts by column list (the repos' constant arrays), then by `rows|suffix`. */
const inserts = new WeakMap<readonly string[], Map<string, string>>();

/** `insert into "table" ("a", "b") values (?, ?), (?, ?)…` for `rows` rows, plus `suffix`; cached. */
export function insertSql(table: string, columns: readonly string[], rows: number, suffix = ''): string {
  let byShape = inserts.get(columns);
  if (byShape === undefined) {
    byShape = new Map();
    inserts.set(columns, byShape);
  }
  const key = `${table}|${rows}|${suffix}`;
  let text = byShape.get(key);
  if (text === undefined) {
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    text = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values ${Array.from({ length: rows }, () => tuple).join(', ')}${suffix ? ` ${suffix}` : ''}`;
    if (byShape.size > 1000) byShape.clear();
    byShape.set(key, text);
  }
  return text;
}

/** Executes a multi-row insert of `values` (objects with exactly `columns`), one statement per chunk. */
export async function insertRows(
  ctx: RepoContext,
  table: string,
  columns: readonly string[],
  values: readonly Record<string, unknown>[],
  perStatement: number,
): Promise<void> {
  for (let i = 0; i < values.length; i += perStatement) {
    const batch = values.slice(i, i + perStatement);
    const params: unknown[] = [];
    for (const v of batch) for (const c of columns) params.push(v[c]);
    await execRaw(ctx, insertSql(table, columns, batch.length), params);
  }
}
