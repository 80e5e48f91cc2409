import { describe, expect, it } from 'vitest';
import { examplePolicies, compilePolicies } from '../../../test/fixtures/policy/example-policies.js';
import type { CompiledCel } from '../cel.js';
import { applyMode } from './apply-mode.js';
import { evaluatePolicies } from './evaluate.js';
import type { Decision, PolicyInput, PolicyRule } from './types.js';

const rules = examplePolicies();
const input = (over: Partial<{ [K in keyof PolicyInput]: Partial<PolicyInput[K]> }> = {}): PolicyInput => ({
  agent: { id: 'campaign-runner', mode: 'gated', owner: 'maria', ...over.agent },
  action: { connector: 'crm', object: 'campaigns', operation: 'update', reason: 'tidy up', ...over.action },
  changes: { records: 1, fields: 1, irreversible: 0, ...over.changes },
  now: (over.now as Date | undefined) ?? new Date('2026-03-02T10:00:00Z'),
  ...(over.checks ? { checks: over.checks as PolicyInput['checks'] } : {}),
});
const rule = (id: string, when: string, effect: PolicyRule['effect'] = 'deny', extra: Partial<PolicyRule> = {}) => {
  const [compiled] = compilePolicies([{ id, when, effect }]);
  return { ...compiled!, ...extra };
};
const effectOf = (when: string, i: PolicyInput = input()) => evaluatePolicies([rule('r', when)], i).effect;

describe('evaluatePolicies with the example policies', () => {
  it('requires one approver and the checklist for a launch', () => {
    const d = evaluatePolicies(rules, input({ action: { operation: 'launch' } }));
    expect(d).toMatchObject({
      effect: 'require_approval',
      defaulted: false,
      rules: ['launches-need-approval'],
      matched: [{ id: 'launches-need-approval', effect: 'require_approval' }],
      reasons: ["launches-need-approval: action.operation == 'launch' matched"],
      errors: [],
      approvers: [{ role: 'approver', count: 1 }],
      checklist: ['brand-tone', 'unsubscribe-link', 'segment-correct'],
    });
  });

  it('defaults to allow when nothing matches, and says so', () => {
    const d = evaluatePolicies(rules, input());
    expect(d).toMatchObject({ effect: 'allow', defaulted: true, rules: [], matched: [], checklist: [] });
    expect(d.approvers).toBeUndefined();
    expect(d.reasons).toEqual(['no policy matched: allowed by default (the agent’s mode applies)']);
  });

  it('lets deny win and gives the rule’s reason', () => {
    const d = evaluatePolicies(
      rules,
      input({ action: { object: 'price_book', operation: 'launch' }, changes: { records: 500 } }),
    );
    expect(d.effect).toBe('deny');
    expect(d.rules).toEqual(['no-pricing-by-agents']);
    expect(d.matched.map((m) => m.id).sort()).toEqual([
      'big-batches-need-two',
      'launches-need-approval',
      'no-pricing-by-agents',
    ]);
    expect(d.reasons).toEqual([
      "no-pricing-by-agents: action.object == 'price_book' matched — Pricing changes are made by people only.",
    ]);
    expect(d.checklist).toEqual([]);
  });

  it('merges approvers of several require_approval rules by role, keeping the largest count', () => {
    const d = evaluatePolicies(rules, input({ action: { operation: 'launch' }, changes: { records: 101 } }));
    expect(d.rules).toEqual(['big-batches-need-two', 'launches-need-approval']);
    expect(d.approvers).toEqual([{ role: 'approver', count: 2 }]);
  });
});

describe('CEL variables', () => {
  it('compares counts against int and double literals', () => {
    for (const when of ['changes.records > 100', 'changes.records > 100.0', 'changes.records + 1 > 101']) {
      expect(effectOf(when, input({ changes: { records: 101 } }))).toBe('deny');
      expect(effectOf(when, input({ changes: { records: 100 } }))).toBe('allow');
    }
    expect(effectOf('changes.irreversible == 0 && changes.fields == 1')).toBe('deny');
  });

  it('exposes now as a timestamp', () => {
    expect(effectOf("now > timestamp('2026-01-01T00:00:00Z')")).toBe('deny');
    expect(effectOf("now < timestamp('2026-01-01T00:00:00Z')")).toBe('allow');
    expect(effectOf('now.getHours() == 10 && now.getDayOfWeek() == 1')).toBe('deny');
    expect(effectOf("now.getHours('Europe/Madrid') == 11")).toBe('deny');
  });

  it('exposes agent, action and checks', () => {
    expect(effectOf("agent.owner == 'maria' && agent.mode == 'gated'")).toBe('deny');
    expect(effectOf("action.reason.contains('tidy')")).toBe('deny');
    const consent = 'has(checks.consent) && !checks.consent.ok && checks.consent.missing > 2';
    expect(effectOf(consent)).toBe('allow');
    expect(effectOf(consent, input({ checks: { consent: { ok: false, missing: 3 } } }))).toBe('deny');
  });
});

describe('fail closed', () => {
  it('denies when a rule errors, and says which rule and why', () => {
    const broken = rule('big-batches-need-two', 'checks.frequency.ok', 'require_approval');
    const d = evaluatePolicies([broken], input());
    expect(d.effect).toBe('deny');
    expect(d.defaulted).toBe(false);
    expect(d.rules).toEqual(['big-batches-need-two']);
    expect(d.errors).toEqual([{ id: 'big-batches-need-two', message: expect.any(String) }]);
    expect(d.reasons[0]).toMatch(/^rule big-batches-need-two failed to evaluate: .+ — denied \(fail closed\)$/);
  });

  it('denies when a rule returns something other than a boolean', () => {
    const d = evaluatePolicies([rule('count', 'changes.records', 'allow')], input());
    expect(d.effect).toBe('deny');
    expect(d.errors[0]?.message).toBe('returned an int (1), not a boolean');
  });

  it('denies when a rule runs longer than maxEvalMs', () => {
    const slow: CompiledCel = {
      source: 'slow()',
      evaluate: () => {
        const until = performance.now() + 5;
        while (performance.now() < until);
        return true;
      },
    };
    const d = evaluatePolicies([{ id: 'slow', when: slow, effect: 'allow' }], input(), { maxEvalMs: 1 });
    expect(d.effect).toBe('deny');
    expect(d.errors[0]?.message).toMatch(/^took \d+\.\d ms twice; the limit is 1 ms$/);
  });

  it('does not deny a rule that was slow only once (a GC pause, a busy machine)', () => {
    let calls = 0;
    const hiccup: CompiledCel = {
      source: 'hiccup()',
      evaluate: () => {
        if (calls++ === 0) {
          const until = performance.now() + 5;
          while (performance.now() < until);
        }
        return true;
      },
    };
    const d = evaluatePolicies([{ id: 'hiccup', when: hiccup, effect: 'allow' }], input(), { maxEvalMs: 1 });
    expect(d.effect).toBe('allow');
    expect(d.errors).toEqual([]);
  });
});

describe('dry-run rules', () => {
  it('are reported but never change the outcome, even when they fail', () => {
    const d = evaluatePolicies(
      [
        ...rules,
        rule('new-deny', "action.object == 'campaigns'", 'deny', { mode: 'dry_run' }),
        rule('new-broken', 'checks.x.ok', 'deny', { mode: 'dry_run' }),
      ],
      input({ action: { operation: 'launch' } }),
    );
    expect(d.effect).toBe('require_approval');
    expect(d.rules).toEqual(['launches-need-approval']);
    expect(d.errors).toEqual([]);
    expect(d.dryRun).toEqual([
      { id: 'new-broken', effect: 'deny', matched: false, error: expect.any(String) },
      { id: 'new-deny', effect: 'deny', matched: true },
    ]);
  });
});

describe('applyMode', () => {
  const decision = (effect: Decision['effect']) => ({ effect });
  it.each([
    ['autonomous', 'allow', { type: 'execute' }],
    ['autonomous', 'require_approval', { type: 'require_approval' }],
    ['autonomous', 'deny', { type: 'deny' }],
    ['gated', 'allow', { type: 'require_approval' }],
    ['gated', 'require_approval', { type: 'require_approval' }],
    ['gated', 'deny', { type: 'deny' }],
    ['observe', 'allow', { type: 'shadow', wouldBe: 'allow' }],
    ['observe', 'deny', { type: 'shadow', wouldBe: 'deny' }],
    ['paused', 'allow', { type: 'refuse_paused' }],
    ['paused', 'deny', { type: 'refuse_paused' }],
  ] as const)('%s + %s → %o', (mode, effect, routing) => {
    expect(applyMode(decision(effect), mode)).toEqual(routing);
  });
});
