/**
 * `gatehouse policy test CASES.yaml`: runs a table of policy cases against the configured
 * policies, like `opa test`. Exit codes: 0 every case passed, 1 some case failed, 2 the cases
 * file could not be read or is malformed (the message names file, line and column).
 */
import { readFile } from 'node:fs/promises';
import type { Clock } from '../core/clock.js';
import { isGatehouseError } from '../core/errors.js';
import { runPolicyCases, type PolicyRule } from '../core/policy/index.js';

export const POLICY_TEST_EXIT = { passed: 0, failed: 1, invalid: 2 } as const;

export async function policyTestCommand(opts: {
  casesPath: string;
  rules: readonly PolicyRule[];
  clock?: Clock;
}): Promise<{ exitCode: number; output: string }> {
  let text: string;
  try {
    text = await readFile(opts.casesPath, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    return { exitCode: POLICY_TEST_EXIT.invalid, output: `cannot read ${opts.casesPath}: ${reason}\n` };
  }
  try {
    const report = runPolicyCases(opts.rules, text, opts.casesPath, opts.clock ? { clock: opts.clock } : {});
    return { exitCode: report.failed > 0 ? POLICY_TEST_EXIT.failed : POLICY_TEST_EXIT.passed, output: report.output };
  } catch (e) {
    if (isGatehouseError(e)) return { exitCode: POLICY_TEST_EXIT.invalid, output: `${e.message}\n` };
    throw e;
  }
}
