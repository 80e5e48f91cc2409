/**
 * Loading gatehouse.yaml, in this order: YAML syntax → `${ENV}` interpolation → schema (shape,
 * defaults, durations, CEL) → cross-references → compile and freeze. Every problem comes back
 * as a Diagnostic naming the file, line, column and field; nothing is thrown for a bad file.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { GatehouseError } from '../core/errors.js';
import { compile } from './compile.js';
import { formatDiagnostic, formatPath, type Diagnostic, type Finding } from './diagnostics.js';
import { interpolate, type Env } from './interpolate.js';
import { validate } from './issues.js';
import { toDiagnostic } from './locate.js';
import { checkReferences } from './references.js';
import type { CompiledConfig } from './types.js';

export type ConfigResult =
  { ok: true; config: CompiledConfig; warnings: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

/** Diagnostic code when the file itself cannot be read (the CLI exits 2 on it, not 1). */
export const CONFIG_UNREADABLE = 'config_unreadable';

const fileLevel = (file: string, code: string, message: string): Diagnostic => ({
  file,
  line: 0,
  column: 0,
  path: '',
  message,
  code,
});

function yamlProblems(
  file: string,
  text: string,
  problems: Document['errors' | 'warnings'],
  lines: LineCounter,
): Diagnostic[] {
  return problems.map((e) => {
    const { line, col } = lines.linePos(e.pos[0]);
    const warning = e.name === 'YAMLWarning';
    const lineText = text.slice(lines.lineStarts[line - 1] ?? 0, lines.lineStarts[line] ?? text.length);
    // `{ secret: ${X} }` is the classic: braces inside a flow mapping end it early.
    const hint =
      /[{[]/.test(lineText) && /(^|[\s,:[{])\$\{/.test(lineText)
        ? ' (inside { } or [ ], quote values that use ${…}: "${NAME}")'
        : '';
    return {
      file,
      line,
      column: col,
      path: '',
      message: `${warning ? 'YAML warning' : 'YAML syntax error'}: ${e.message}${hint}`,
      code: warning ? 'yaml_warning' : 'yaml_syntax',
    };
  });
}

/**
 * One syntax error often makes the parser stumble over everything after it; the first few
 * (one per line) point at the cause, the rest are noise.
 */
function firstSyntaxErrors(file: string, all: Diagnostic[], max = 3): Diagnostic[] {
  const kept: Diagnostic[] = [];
  for (const d of all) if (kept.length < max && !kept.some((k) => k.line === d.line)) kept.push(d);
  const rest = all.length - kept.length;
  if (rest === 0) return kept;
  return [
    ...kept,
    fileLevel(
      file,
      'yaml_syntax',
      `${rest} more YAML ${rest === 1 ? 'error follows' : 'errors follow'}, probably caused by the first; fix it and check again`,
    ),
  ];
}

/** Keeps the first finding per field: a value already reported (say, a missing variable) is not reported twice. */
function firstPerPath(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = formatPath(f.path);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Sorted by position so the output reads top to bottom, like the file. */
const byPosition = (a: Diagnostic, b: Diagnostic) => a.line - b.line || a.column - b.column;

export function loadConfigFromString(text: string, fileName: string, env: Env = process.env): ConfigResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0)
    return { ok: false, diagnostics: firstSyntaxErrors(fileName, yamlProblems(fileName, text, doc.errors, lines)) };
  if (doc.contents === null) {
    return {
      ok: false,
      diagnostics: [fileLevel(fileName, 'config_empty', 'the file is empty; `gatehouse init` writes a starter config')],
    };
  }

  const envFindings = interpolate(doc, env);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // Only alias bombs get here (`&a` referenced thousands of times).
    return { ok: false, diagnostics: [fileLevel(fileName, 'yaml_syntax', `YAML error: ${(e as Error).message}`)] };
  }
  const place = (f: Finding) => toDiagnostic(fileName, doc, lines, f);

  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    const message = 'must be a mapping of sections (version:, connectors:, people:, agents:, …)';
    return { ok: false, diagnostics: [place({ path: [], message, code: 'invalid_type' })] };
  }

  const validation = validate(data);
  const references = checkReferences(data);
  const errors = firstPerPath([...envFindings, ...(validation.ok ? [] : validation.findings), ...references.errors]);
  if (errors.length > 0 || !validation.ok) {
    return { ok: false, diagnostics: errors.map(place).sort(byPosition) };
  }

  const warnings = [...yamlProblems(fileName, text, doc.warnings, lines), ...references.warnings.map(place)].sort(
    byPosition,
  );
  const config = compile(validation.parsed, data as Record<string, unknown>, fileName);
  return { ok: true, config, warnings };
}

export function loadConfig(path: string, env: Env = process.env): ConfigResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message;
    return { ok: false, diagnostics: [fileLevel(path, CONFIG_UNREADABLE, `cannot read the config file: ${reason}`)] };
  }
  return loadConfigFromString(text, path, env);
}

/** For the composition root: the compiled config, or a GatehouseError listing every diagnostic. */
export function configOrThrow(result: ConfigResult): CompiledConfig {
  if (result.ok) return result.config;
  const lines = result.diagnostics.map(formatDiagnostic);
  const unreadable = result.diagnostics.some((d) => d.code === CONFIG_UNREADABLE);
  throw new GatehouseError(
    unreadable ? CONFIG_UNREADABLE : 'invalid_config',
    `invalid configuration:\n${lines.join('\n')}`,
    {
      details: { diagnostics: result.diagnostics },
    },
  );
}
