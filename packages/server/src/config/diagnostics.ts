/**
 * A diagnostic names the file, the line and column of the offending key or value, and the
 * field path as a RevOps engineer would point at it (`agents[0].grants[0].where`).
 */

export interface Diagnostic {
  readonly file: string;
  /** 1-based; 0 when the problem is the file as a whole (unreadable, empty). */
  readonly line: number;
  /** 1-based; 0 together with line 0. */
  readonly column: number;
  /** Field path such as `agents[0].grants[0].where`; empty for file-level problems. */
  readonly path: string;
  readonly message: string;
  /** Stable snake_case code, e.g. unknown_key, missing_env, invalid_cel, unknown_role. */
  readonly code: string;
}

export type PathSegment = string | number;

/** A problem found before it is placed in the file: where in the data, and what. */
export interface Finding {
  readonly path: readonly PathSegment[];
  readonly message: string;
  readonly code: string;
  /** Point at the key itself (unknown keys) rather than at its value. */
  readonly at?: 'key' | 'value';
}

/** How a value from the file reads in a message: 'text', 42, a list, a mapping, nothing. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return 'a mapping';
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** `gatehouse.yaml:23:7 agents[0].grants[0].objets: unknown key 'objets' (did you mean 'objects'?)` */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.column}` : `${d.file}:`;
  return d.path === '' ? `${where} ${d.message}` : `${where} ${d.path}: ${d.message}`;
}
