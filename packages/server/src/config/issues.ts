/**
 * Turns zod issues into findings a RevOps engineer understands at a glance: "missing required
 * key 'owner'", "unknown key 'objets' (did you mean 'objects'?)", "must be one of observe,
 * gated, autonomous, paused (got 'gatd')". Messages a schema sets itself (regex hints, CEL and
 * duration errors) are kept as they are.
 */
import type { z } from 'zod';
import { ConfigSchema, type ParsedConfig } from './schema.js';
import { describe, type Finding, type PathSegment } from './diagnostics.js';
import { didYouMean } from './suggest.js';

type RawIssue = z.core.$ZodRawIssue;

const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value)',
  record: 'a mapping (key: value)',
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function rangeMessage(iss: RawIssue & { code: 'too_small' | 'too_big' }): string {
  const small = iss.code === 'too_small';
  const bound = Number(small ? iss.minimum : iss.maximum);
  if (iss.origin === 'array')
    return small ? `must list at least ${plural(bound, 'item')}` : `must list at most ${plural(bound, 'item')}`;
  if (iss.origin === 'string') {
    if (small && bound === 1) return 'must not be empty';
    return small ? `must be at least ${plural(bound, 'character')}` : `must be at most ${plural(bound, 'character')}`;
  }
  const inclusive = iss.inclusive !== false;
  const relation = small ? (inclusive ? 'at least' : 'greater than') : inclusive ? 'at most' : 'less than';
  return `must be ${relation} ${bound} (got ${describe(iss.input)})`;
}

/** The friendly default message for every issue the schema does not word itself. */
function messageFor(iss: RawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_type': {
      if (iss.input === undefined) return `missing required key '${String(iss.path?.at(-1) ?? '')}'`;
      const expected = EXPECTED[iss.expected] ?? iss.expected;
      if (iss.input === null) return `has no value; expected ${expected}`;
      return `must be ${expected} (got ${describe(iss.input)})`;
    }
    case 'invalid_value': {
      if (iss.input === undefined) return `missing required key '${String(iss.path?.at(-1) ?? '')}'`;
      const values = iss.values.map(String);
      const got = describe(iss.input);
      if (values.length === 1) return `must be ${values[0]} (got ${got})`;
      const hint = typeof iss.input === 'string' ? didYouMean(iss.input, values) : '';
      return `must be one of ${values.join(', ')} (got ${got})${hint}`;
    }
    case 'invalid_union': {
      if (!('discriminator' in iss) || typeof iss.discriminator !== 'string') return 'has an invalid value';
      const options = (iss.options as unknown[] | undefined)?.map(String) ?? [];
      const input = iss.input as Record<string, unknown> | undefined;
      const value = input?.[iss.discriminator];
      if (value === undefined) return `missing required key '${iss.discriminator}' (one of ${options.join(', ')})`;
      const hint = typeof value === 'string' ? didYouMean(value, options) : '';
      return `must be one of ${options.join(', ')} (got ${describe(value)})${hint}`;
    }
    case 'too_small':
    case 'too_big':
      return rangeMessage(iss);
    case 'invalid_format': {
      const got = describe(iss.input);
      if (iss.format === 'email') return `must be an email address (got ${got})`;
      if (iss.format === 'url') return `must be an http:// or https:// URL (got ${got})`;
      return `has the wrong format (got ${got})`;
    }
    case 'invalid_key':
      return `'${String(iss.input)}' is not a valid name`;
    default:
      return undefined;
  }
}

const CODE_FOR: Record<string, string> = {
  invalid_type: 'invalid_type',
  invalid_value: 'invalid_value',
  invalid_union: 'invalid_value',
  invalid_format: 'invalid_format',
  invalid_key: 'invalid_name',
  too_small: 'out_of_range',
  too_big: 'out_of_range',
};

export type ValidationResult = { ok: true; parsed: ParsedConfig } | { ok: false; findings: Finding[] };

/** Validates the interpolated data against the schema, collecting every problem in one pass. */
export function validate(data: unknown): ValidationResult {
  // Declared keys of each strict object that met unknown keys, so every unknown key gets its
  // own suggestion (zod reports them together, on the object).
  const declared = new WeakMap<object, string[]>();
  const result = ConfigSchema.safeParse(data, {
    reportInput: true,
    error: (iss) => {
      if (iss.code === 'unrecognized_keys' && typeof iss.input === 'object' && iss.input !== null) {
        const shape = (iss.inst as { shape?: Record<string, unknown> } | undefined)?.shape;
        declared.set(iss.input, Object.keys(shape ?? {}));
      }
      return messageFor(iss);
    },
  });
  if (result.success) return { ok: true, parsed: result.data };

  const findings: Finding[] = [];
  for (const iss of result.error.issues) {
    const path = iss.path as PathSegment[];
    if (iss.code === 'unrecognized_keys') {
      const known = declared.get(iss.input as object) ?? [];
      for (const key of iss.keys) {
        const message = `unknown key '${key}'${didYouMean(key, known)}`;
        findings.push({ path: [...path, key], message, code: 'unknown_key', at: 'key' });
      }
      continue;
    }
    if (iss.code === 'invalid_key') {
      const inner = iss.issues[0]?.message;
      const message = inner === undefined ? iss.message : `'${String(iss.input)}' is not a valid name: ${inner}`;
      findings.push({ path, message, code: 'invalid_name', at: 'key' });
      continue;
    }
    const missing = iss.message.startsWith('missing required key');
    const own = iss.code === 'custom' ? (iss.params as { code?: string } | undefined)?.code : undefined;
    findings.push({
      path,
      message: iss.message,
      code: missing ? 'missing_key' : (own ?? CODE_FOR[iss.code] ?? 'invalid_value'),
    });
  }
  return { ok: false, findings: withoutTypoEchoes(findings) };
}

/**
 * `objets:` yields both "unknown key 'objets' (did you mean 'objects'?)" and "missing required
 * key 'objects'"; the first says it all, so the second is dropped.
 */
function withoutTypoEchoes(findings: Finding[]): Finding[] {
  const meant = new Set<string>();
  for (const f of findings) {
    const hint = f.code === 'unknown_key' ? /\(did you mean '([^']+)'\?\)/.exec(f.message)?.[1] : undefined;
    if (hint !== undefined) meant.add(JSON.stringify([...f.path.slice(0, -1), hint]));
  }
  return findings.filter((f) => f.code !== 'missing_key' || !meant.has(JSON.stringify(f.path)));
}
