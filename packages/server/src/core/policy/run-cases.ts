/**
 * Runs a policy test file against compiled rules and renders the result as a table. Pure: the
 * caller reads the file and supplies the rules from the loaded configuration.
 */
import { systemClock, type Clock } from '../clock.js';
import { parsePolicyCases, type ExpectedDecision, type PolicyCase } from './cases-file.js';
import { evaluatePolicies } from './evaluate.js';
import type { Approvers, Decision, PolicyRule } from './types.js';

export interface PolicyCaseResult {
  readonly name: string;
  readonly ok: boolean;
  readonly expected: ExpectedDecision;
  readonly actual: Decision;
  /** Empty when the case passed; otherwise one line per difference. */
  readonly message: string;
}

export interface PolicyCasesReport {
  readonly passed: number;
  readonly failed: number;
  readonly results: readonly PolicyCaseResult[];
  readonly output: string;
}

export interface RunCasesOptions {
  /** Supplies `now` for cases that do not state it. */
  readonly clock?: Clock;
}

/** Throws `GatehouseError('invalid_policy_cases')` with file:line:col when the file is malformed. */
export function runPolicyCases(
  rules: readonly PolicyRule[],
  casesYamlText: string,
  fileName: string,
  opts: RunCasesOptions = {},
): PolicyCasesReport {
  const clock = opts.clock ?? systemClock;
  const cases = parsePolicyCases(casesYamlText, fileName, new Set(rules.map((r) => r.id)));
  const results = cases.map((c) => runCase(rules, c, clock));
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  return { passed, failed, results, output: render(fileName, cases, results, passed, failed) };
}

function runCase(rules: readonly PolicyRule[], c: PolicyCase, clock: Clock): PolicyCaseResult {
  const actual = evaluatePolicies(rules, { ...c.input, now: c.input.now ?? clock.now() });
  const differences = compare(c.expect, actual);
  return { name: c.name, ok: differences.length === 0, expected: c.expect, actual, message: differences.join('\n') };
}

function compare(expected: ExpectedDecision, actual: Decision): string[] {
  const out: string[] = [];
  if (expected.effect !== actual.effect) out.push(`effect: expected ${expected.effect}, got ${actual.effect}`);
  if (expected.rules && !sameSet(expected.rules, actual.rules)) {
    out.push(`rules: expected ${list(expected.rules)}, got ${list(actual.rules)}`);
  }
  if (expected.defaulted !== undefined && expected.defaulted !== actual.defaulted) {
    out.push(`defaulted: expected ${expected.defaulted}, got ${actual.defaulted}`);
  }
  if (expected.checklist && !sameSet(expected.checklist, actual.checklist)) {
    out.push(`checklist: expected ${list(expected.checklist)}, got ${list(actual.checklist)}`);
  }
  if (expected.approvers) {
    const show = (a: readonly Approvers[] | undefined) =>
      list(
        [...(a ?? [])]
          .sort((x, y) => (x.role < y.role ? -1 : x.role > y.role ? 1 : 0))
          .map((x) => `${x.count}× ${x.role}`),
      );
    if (show(expected.approvers) !== show(actual.approvers)) {
      out.push(`approvers: expected ${show(expected.approvers)}, got ${show(actual.approvers)}`);
    }
  }
  return out;
}

function render(
  fileName: string,
  cases: readonly PolicyCase[],
  results: readonly PolicyCaseResult[],
  passed: number,
  failed: number,
): string {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = [`${fileName}: ${results.length} case${results.length === 1 ? '' : 's'}`];
  results.forEach((r, i) => {
    const decided = `${r.actual.effect}${r.actual.defaulted ? ' (default)' : ''} ${list(r.actual.rules)}`;
    lines.push(`  ${r.ok ? 'PASS' : 'FAIL'}  ${r.name.padEnd(width)}  ${decided}`);
    if (r.ok) return;
    const line = cases[i]?.line;
    lines.push(`        at ${fileName}:${line ?? '?'}`);
    for (const d of r.message.split('\n')) lines.push(`        ${d}`);
    const matched = r.actual.matched.map((m) => `${m.id} (${m.effect})`);
    lines.push(`        matched: ${matched.length > 0 ? matched.join(', ') : 'no rule'}`);
    for (const reason of r.actual.reasons) lines.push(`        reason: ${reason}`);
  });
  lines.push(`${passed} passed, ${failed} failed`);
  return `${lines.join('\n')}\n`;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

function list(xs: readonly string[]): string {
  return `[${xs.join(', ')}]`;
}
