/**
 * Property tests for rule combination: random rule sets whose conditions match, do not match,
 * error or return a non-boolean, as enforce or dry-run rules, in any order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileCel, type CompiledCel } from '../cel.js';
import { evaluatePolicies } from './evaluate.js';
import { EFFECTS, type Decision, type PolicyInput, type PolicyRule } from './types.js';

const OUTCOMES = {
  match: ["action.operation == 'launch'", 'changes.records > 100', 'now.getHours() == 10'],
  miss: ["action.object == 'price_book'", 'changes.records > 100.0 && false', "agent.id == 'nobody'"],
  error: ['checks.consent.ok', "action.missing == 'x'", 'changes.records / 0 > 1'],
  non_boolean: ['changes.records', 'action.operation'],
} as const;
type Outcome = keyof typeof OUTCOMES;

const compile = (source: string): CompiledCel => {
  const r = compileCel(source, 'policy');
  if (!r.ok) throw new Error(r.message);
  return r.expr;
};
const COMPILED = Object.fromEntries(
  Object.entries(OUTCOMES).map(([k, sources]) => [k, sources.map(compile)]),
) as Record<Outcome, CompiledCel[]>;

const INPUT: PolicyInput = {
  agent: { id: 'campaign-runner', mode: 'gated', owner: 'maria' },
  action: { connector: 'crm', object: 'campaigns', operation: 'launch', reason: 'spring' },
  changes: { records: 150, fields: 0, irreversible: 150 },
  now: new Date('2026-03-02T10:00:00Z'),
};

interface Spec {
  outcome: Outcome;
  rule: PolicyRule;
}

const specArb = (i: number): fc.Arbitrary<Spec> =>
  fc
    .record({
      outcome: fc.constantFrom<Outcome>('match', 'miss', 'error', 'non_boolean'),
      pick: fc.nat(),
      effect: fc.constantFrom(...EFFECTS),
      mode: fc.constantFrom('enforce' as const, 'dry_run' as const, undefined),
      approvers: fc.option(
        fc.record({ role: fc.constantFrom('approver', 'admin'), count: fc.integer({ min: 1, max: 3 }) }),
        {
          nil: undefined,
        },
      ),
      checklist: fc.option(fc.subarray(['brand-tone', 'unsubscribe-link', 'segment-correct']), { nil: undefined }),
    })
    .map(({ outcome, pick, effect, mode, approvers, checklist }) => {
      const options = COMPILED[outcome];
      const when = options[pick % options.length]!;
      return {
        outcome,
        rule: {
          id: `rule-${i}`,
          when,
          effect,
          ...(mode ? { mode } : {}),
          ...(approvers ? { approvers } : {}),
          ...(checklist ? { checklist } : {}),
        },
      };
    });

const specsArb = fc
  .integer({ min: 0, max: 8 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => specArb(i))))
  .map((specs) => specs);

const withoutTiming = ({ evalMicros: _, ...rest }: Decision) => rest;
const enforced = (s: Spec) => s.rule.mode !== 'dry_run';

describe('policy combination properties', () => {
  it('deny if any enforce rule denies or fails; approval if any requires it; else allow', () => {
    fc.assert(
      fc.property(specsArb, (specs) => {
        const d = evaluatePolicies(
          specs.map((s) => s.rule),
          INPUT,
        );
        const live = specs.filter(enforced);
        const failed = live.filter((s) => s.outcome === 'error' || s.outcome === 'non_boolean');
        const matched = live.filter((s) => s.outcome === 'match');
        const expected =
          failed.length > 0 || matched.some((s) => s.rule.effect === 'deny')
            ? 'deny'
            : matched.some((s) => s.rule.effect === 'require_approval')
              ? 'require_approval'
              : 'allow';
        expect(d.effect).toBe(expected);
        expect(d.defaulted).toBe(failed.length === 0 && matched.length === 0);
        expect(d.errors.map((e) => e.id).sort()).toEqual(failed.map((s) => s.rule.id).sort());
        expect(d.matched.map((m) => m.id).sort()).toEqual(matched.map((s) => s.rule.id).sort());
        const deciding = [...failed, ...matched.filter((s) => s.rule.effect === expected)].map((s) => s.rule.id);
        expect([...d.rules].sort()).toEqual(deciding.sort());
        expect(d.reasons.length).toBeGreaterThan(0);
        if (expected !== 'require_approval') expect(d.checklist).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  it('dry-run rules never change the decision', () => {
    fc.assert(
      fc.property(specsArb, (specs) => {
        const all = evaluatePolicies(
          specs.map((s) => s.rule),
          INPUT,
        );
        const enforceOnly = evaluatePolicies(
          specs.filter(enforced).map((s) => s.rule),
          INPUT,
        );
        expect({ ...withoutTiming(all), dryRun: [] }).toEqual(withoutTiming(enforceOnly));
        expect(all.dryRun.map((r) => r.id).sort()).toEqual(
          specs
            .filter((s) => !enforced(s))
            .map((s) => s.rule.id)
            .sort(),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('is independent of rule order', () => {
    fc.assert(
      fc.property(
        specsArb.chain((specs) =>
          fc.tuple(
            fc.constant(specs),
            fc.shuffledSubarray(specs, { minLength: specs.length, maxLength: specs.length }),
          ),
        ),
        ([specs, shuffled]) => {
          const a = evaluatePolicies(
            specs.map((s) => s.rule),
            INPUT,
          );
          const b = evaluatePolicies(
            shuffled.map((s) => s.rule),
            INPUT,
          );
          expect(withoutTiming(b)).toEqual(withoutTiming(a));
        },
      ),
      { numRuns: 500 },
    );
  });
});
