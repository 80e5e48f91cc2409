/**
 * Runs the pre-flight checks for one action and turns their results into a verdict.
 *
 * Fail closed: a check whose `applies` or `run` throws, or that returns something that is not a
 * result, is a failed `fail`-severity result carrying the error message; the action is never let
 * through because a check could not look. Checks run concurrently; they share their reads through
 * the context (see outgoing.ts, recipients.ts), so each fact is read once.
 */
import { isGatehouseError } from '../errors.js';
import type { PreflightCheck, PreflightContext, PreflightOutcome, PreflightResult, PreflightVerdict } from './types.js';

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

function crashed(id: string, e: unknown): PreflightResult {
  return {
    ok: false,
    severity: 'fail',
    summary: `The ${id} check could not run, so it does not pass: ${message(e)}`,
    details: { count: 0, sample: [], error: message(e), ...(isGatehouseError(e) ? { code: e.code } : {}) },
  };
}

const isResult = (r: unknown): r is PreflightResult => {
  const v = r as Partial<PreflightResult> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.ok === 'boolean' &&
    (v.severity === 'fail' || v.severity === 'warn') &&
    typeof v.summary === 'string' &&
    typeof v.details === 'object' &&
    v.details !== null
  );
};

async function runOne(check: PreflightCheck, ctx: PreflightContext): Promise<PreflightResult | undefined> {
  try {
    if (!check.applies(ctx)) return undefined;
    const result = await check.run(ctx);
    return isResult(result) ? result : crashed(check.id, new Error('it returned no valid result'));
  } catch (e) {
    return crashed(check.id, e);
  }
}

export async function runPreflight(
  checks: readonly PreflightCheck[],
  ctx: PreflightContext,
): Promise<PreflightOutcome> {
  const ids = new Set<string>();
  for (const check of checks) {
    if (ids.has(check.id)) throw new Error(`pre-flight check id ${check.id} is used twice`);
    ids.add(check.id);
  }
  const outcomes = await Promise.all(checks.map((check) => runOne(check, ctx)));
  const results: Record<string, PreflightResult> = {};
  const failed: string[] = [];
  const warnings: string[] = [];
  checks.forEach((check, k) => {
    const result = outcomes[k];
    if (!result) return;
    results[check.id] = result;
    if (!result.ok) (result.severity === 'fail' ? failed : warnings).push(check.id);
  });
  const verdict: PreflightVerdict = failed.length === 0 ? 'pass' : ctx.config.onFail;
  return { results, failed, warnings, verdict };
}
