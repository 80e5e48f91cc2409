/**
 * The policy decision: every rule is evaluated against the same input and the effects are
 * combined, so rule order never matters.
 *
 * - deny beats require_approval beats allow;
 * - fail closed: an enforce rule that errors, returns a non-boolean or runs longer than
 *   `maxEvalMs` denies, and says so in `errors` and `reasons`;
 * - no enforce rule matched (or failed): `defaulted`, effect `allow`; the pipeline then applies
 *   the agent's mode (`applyMode`), so "allow" by default still means "ask" for a gated agent;
 * - dry-run rules are evaluated and reported in `dryRun`, errors included, and never change
 *   the outcome.
 *
 * CEL evaluation is synchronous and cannot be interrupted, so the time limit is measured after
 * the fact; expression size is bounded at compile time (`CEL_LIMITS`).
 */
import { isCelError } from '../cel.js';
import { policyBindings } from './bindings.js';
import type {
  Approvers,
  Decision,
  DryRunResult,
  Effect,
  MatchedRule,
  PolicyInput,
  PolicyRule,
  RuleError,
} from './types.js';

export const DEFAULT_MAX_EVAL_MS = 50;

export interface EvaluateOptions {
  /** Longest a single rule may take before it counts as failed (and so denies). */
  readonly maxEvalMs?: number;
}

type RuleOutcome = { type: 'matched' } | { type: 'not_matched' } | { type: 'failed'; message: string };

const RANK: Readonly<Record<Effect, number>> = { allow: 0, require_approval: 1, deny: 2 };

export function evaluatePolicies(
  rules: readonly PolicyRule[],
  input: PolicyInput,
  opts: EvaluateOptions = {},
): Decision {
  const started = performance.now();
  const maxEvalMs = opts.maxEvalMs ?? DEFAULT_MAX_EVAL_MS;
  const bindings = policyBindings(input);

  // Sorting by id makes every list in the decision independent of the rules' order.
  const ordered = [...rules].sort(byRuleIdentity);
  const matchedRules: PolicyRule[] = [];
  const errors: RuleError[] = [];
  const dryRun: DryRunResult[] = [];

  for (const rule of ordered) {
    const outcome = evaluateRule(rule, bindings, maxEvalMs);
    if (rule.mode === 'dry_run') {
      dryRun.push({
        id: rule.id,
        effect: rule.effect,
        matched: outcome.type === 'matched',
        ...(outcome.type === 'failed' ? { error: outcome.message } : {}),
      });
      continue;
    }
    switch (outcome.type) {
      case 'matched':
        matchedRules.push(rule);
        break;
      case 'failed':
        errors.push({ id: rule.id, message: outcome.message });
        break;
      case 'not_matched':
        break;
    }
  }

  const effect: Effect =
    errors.length > 0
      ? 'deny'
      : matchedRules.reduce<Effect>((e, r) => (RANK[r.effect] > RANK[e] ? r.effect : e), 'allow');
  const winners = matchedRules.filter((r) => r.effect === effect);
  const defaulted = matchedRules.length === 0 && errors.length === 0;
  const matched: MatchedRule[] = matchedRules.map((r) => ({
    id: r.id,
    effect: r.effect,
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
  }));

  const reasons = [
    ...errors.map((e) => `rule ${e.id} failed to evaluate: ${e.message} — denied (fail closed)`),
    ...winners.map(describeMatch),
  ];
  if (defaulted) reasons.push('no policy matched: allowed by default (the agent’s mode applies)');
  const deciding = [...errors, ...winners].map((r) => r.id).sort(compare);

  return {
    effect,
    defaulted,
    rules: [...new Set(deciding)],
    matched,
    reasons,
    errors,
    ...(effect === 'require_approval' ? { approvers: mergeApprovers(winners) } : {}),
    checklist: effect === 'require_approval' ? [...new Set(winners.flatMap((r) => r.checklist ?? []))] : [],
    dryRun,
    evalMicros: Math.round((performance.now() - started) * 1000),
  };
}

function evaluateRule(rule: PolicyRule, bindings: Record<string, unknown>, maxEvalMs: number): RuleOutcome {
  let t0 = performance.now();
  let result = rule.when.evaluate(bindings);
  let elapsedMs = performance.now() - t0;
  if (elapsedMs > maxEvalMs) {
    // Wall time also counts GC pauses and a descheduled process: measure once more before
    // calling the expression too slow, so a busy machine does not deny a cheap rule.
    t0 = performance.now();
    result = rule.when.evaluate(bindings);
    elapsedMs = performance.now() - t0;
  }
  if (isCelError(result)) return { type: 'failed', message: result.message };
  if (typeof result !== 'boolean') return { type: 'failed', message: `returned ${describe(result)}, not a boolean` };
  if (elapsedMs > maxEvalMs) {
    return { type: 'failed', message: `took ${elapsedMs.toFixed(1)} ms twice; the limit is ${maxEvalMs} ms` };
  }
  return result ? { type: 'matched' } : { type: 'not_matched' };
}

function describeMatch(rule: PolicyRule): string {
  const line = `${rule.id}: ${rule.when.source} matched`;
  return rule.reason !== undefined ? `${line} — ${rule.reason}` : line;
}

/** Per role, the largest count asked for: two rules asking for 1 and 2 approvers need 2. */
function mergeApprovers(rules: readonly PolicyRule[]): Approvers[] {
  const byRole = new Map<string, number>();
  for (const r of rules) {
    if (r.approvers) byRole.set(r.approvers.role, Math.max(byRole.get(r.approvers.role) ?? 0, r.approvers.count));
  }
  return [...byRole].sort(([a], [b]) => compare(a, b)).map(([role, count]) => ({ role, count }));
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return `an int (${v})`;
  if (typeof v === 'string') return `a string ('${v}')`;
  if (typeof v === 'number') return `a double (${v})`;
  return 'a value of another type';
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A total order on rules, so even duplicate ids cannot make the result order-dependent. */
const byRuleIdentity = (a: PolicyRule, b: PolicyRule): number =>
  compare(a.id, b.id) ||
  compare(a.effect, b.effect) ||
  compare(a.when.source, b.when.source) ||
  compare(a.mode ?? 'enforce', b.mode ?? 'enforce') ||
  compare(a.reason ?? '', b.reason ?? '');
