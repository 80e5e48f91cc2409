import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compilePolicies, examplePolicies, fixturePath } from '../../../test/fixtures/policy/example-policies.js';
import { createManualClock } from '../clock.js';
import { isGatehouseError } from '../errors.js';
import { runPolicyCases } from './run-cases.js';

const rules = examplePolicies();
const fixture = (name: string) => readFileSync(fixturePath(name), 'utf8');

/** The error message of a malformed file, or a failure if it was accepted. */
const invalid = (text: string): string => {
  try {
    runPolicyCases(rules, text, 'cases.yaml');
  } catch (e) {
    if (isGatehouseError(e) && e.code === 'invalid_policy_cases') return e.message;
    throw e;
  }
  throw new Error('accepted a malformed file');
};

describe('runPolicyCases', () => {
  it('passes every example case against the example policies', () => {
    const report = runPolicyCases(rules, fixture('example-cases.yaml'), 'example-cases.yaml');
    expect(report.failed).toBe(0);
    expect(report.passed).toBe(7);
    expect(report.output).toContain('PASS  launches need approval');
    expect(report.output).toMatch(/7 passed, 0 failed\n$/);
  });

  it('catches a policy that is subtly wrong', () => {
    const loosened = compilePolicies([
      {
        id: 'launches-need-approval',
        when: "action.operation == 'launch'",
        effect: 'require_approval',
        approvers: { role: 'approver', count: 1 },
        checklist: ['brand-tone', 'unsubscribe-link', 'segment-correct'],
      },
      {
        id: 'big-batches-need-two',
        when: 'changes.records >= 100',
        effect: 'require_approval',
        approvers: { role: 'approver', count: 2 },
      },
      { id: 'no-pricing-by-agents', when: "action.object == 'price_book'", effect: 'require_approval' },
    ]);
    const report = runPolicyCases(loosened, fixture('example-cases.yaml'), 'example-cases.yaml');
    expect(report.results.filter((r) => !r.ok).map((r) => r.name)).toEqual([
      'exactly 100 records is not a big batch',
      'agents may not change pricing',
      'deny beats approval for a big pricing change',
    ]);
  });

  it('explains mismatches: expected, actual, matched rules and the line', () => {
    const report = runPolicyCases(rules, fixture('failing-cases.yaml'), 'failing-cases.yaml');
    expect(report).toMatchObject({ passed: 1, failed: 2 });
    const wrong = report.results[1]!;
    expect(wrong).toMatchObject({ ok: false, expected: { effect: 'allow' }, actual: { effect: 'require_approval' } });
    expect(wrong.message).toBe('effect: expected allow, got require_approval');
    expect(report.output).toContain('FAIL  launches are allowed (wrong)');
    expect(report.output).toContain('at failing-cases.yaml:8');
    expect(report.output).toContain('matched: launches-need-approval (require_approval)');
    expect(report.output).toContain('rules: expected [launches-need-approval], got [no-pricing-by-agents]');
    expect(report.output).toMatch(/1 passed, 2 failed\n$/);
  });

  it('uses the clock when a case has no now', () => {
    const afterHours = compilePolicies([{ id: 'after-hours', when: 'now.getHours() >= 18', effect: 'deny' }]);
    const text = `cases:
  - name: evening
    agent: { id: a }
    action: { connector: crm, object: contacts, operation: update }
    expect: { effect: deny }
`;
    const evening = runPolicyCases(afterHours, text, 'x.yaml', { clock: createManualClock('2026-03-02T19:00:00Z') });
    expect(evening.failed).toBe(0);
    const morning = runPolicyCases(afterHours, text, 'x.yaml', { clock: createManualClock('2026-03-02T09:00:00Z') });
    expect(morning.failed).toBe(1);
  });

  it('rejects malformed files with file, line and column', () => {
    expect(invalid(fixture('malformed-cases.yaml'))).toMatch(
      /^cases\.yaml:5:15: unknown key 'efect' in cases\[0\]\.expect/,
    );
    expect(invalid('cases:\n  - name: [unclosed\n')).toMatch(/^cases\.yaml:\d+:\d+: /);
    expect(invalid('cases: []\n')).toBe("cases.yaml:1:8: 'cases' must be a non-empty list");
    const base = `cases:
  - name: x
    agent: { id: a }
    action: { connector: crm, object: contacts, operation: update }
`;
    expect(invalid(`${base}    expect: { effect: maybe }\n`)).toMatch(
      /^cases\.yaml:5:23: cases\[0\]\.expect\.effect must be one of allow, require_approval, deny; got 'maybe'/,
    );
    expect(invalid(`${base}    expect: { effect: deny, rules: [no-pricing] }\n`)).toMatch(
      /^cases\.yaml:5:37: no policy has the id 'no-pricing'; policies: /,
    );
    expect(invalid(`${base}    changes: { records: -1 }\n    expect: { effect: deny }\n`)).toMatch(
      /^cases\.yaml:5:25: cases\[0\]\.changes\.records must be a whole number/,
    );
    expect(invalid(`${base}    now: yesterday\n    expect: { effect: deny }\n`)).toMatch(
      /^cases\.yaml:5:10: .*RFC 3339/,
    );
    expect(invalid(base)).toMatch(/^cases\.yaml:2:5: cases\[0\] is missing 'expect'/);
  });
});
