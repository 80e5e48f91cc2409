/**
 * `${NAME}` and `${NAME:-default}` in string values read the injected environment, before the
 * schema sees the data (so a secret read from the environment is validated like any value).
 *
 * - Only values are interpolated, never keys, and never comments.
 * - The result is always a string: `port: ${PORT}` stays text. Secrets are the use case, and
 *   a token of digits must not turn into a number.
 * - `${NAME:-default}` uses the default when NAME is unset or empty (as in POSIX shells).
 * - `$${` writes a literal `${`.
 * - A variable that is not set and has no default is an error naming the variable; the value is
 *   left as written so that the rest of the file is still checked.
 */
import { isMap, isScalar, isSeq, type Document } from 'yaml';
import type { Finding, PathSegment } from './diagnostics.js';

const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export type Env = Readonly<Record<string, string | undefined>>;

type Expansion = { ok: true; value: string } | { ok: false; message: string; code: string };

/** Expands one string; the first problem wins (a value rarely holds more than one reference). */
export function expand(text: string, env: Env): Expansion {
  let problem: { message: string; code: string } | undefined;
  const value = text.replace(REFERENCE, (match, body: string | undefined) => {
    if (body === undefined) return '${'; // `$${` escape
    const split = body.indexOf(':-');
    const name = split === -1 ? body : body.slice(0, split);
    if (!NAME.test(name)) {
      problem ??= {
        code: 'invalid_env_reference',
        message: `'${match}' is not a valid reference; write \${NAME} or \${NAME:-default} (NAME: letters, digits, _)`,
      };
      return match;
    }
    const set = env[name];
    if (split !== -1) return set === undefined || set === '' ? body.slice(split + 2) : set;
    if (set === undefined) {
      problem ??= {
        code: 'missing_env',
        message: `environment variable ${name} is not set (set it, or write \${${name}:-default})`,
      };
      return match;
    }
    return set;
  });
  return problem ? { ok: false, ...problem } : { ok: true, value };
}

/** Interpolates every string value in the document in place; returns the problems found. */
export function interpolate(doc: Document, env: Env): Finding[] {
  const findings: Finding[] = [];
  const visit = (node: unknown, path: PathSegment[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        visit(pair.value, [...path, String(key)]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => visit(item, [...path, i]));
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${')) {
      const result = expand(node.value, env);
      if (result.ok) node.value = result.value;
      else findings.push({ path, message: result.message, code: result.code });
    }
    // Aliases are skipped: their anchor was interpolated where it is defined.
  };
  visit(doc.contents, []);
  return findings;
}
