import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { examplePolicies, fixturePath } from '../../test/fixtures/policy/example-policies.js';
import { policyTestCommand } from './policy-test.js';

const rules = examplePolicies();

describe('gatehouse policy test', () => {
  it('exits 0 when every case passes', async () => {
    const r = await policyTestCommand({ casesPath: fixturePath('example-cases.yaml'), rules });
    expect(r.exitCode).toBe(0);
    expect(r.output).toContain('7 passed, 0 failed');
  });

  it('exits 1 and explains the mismatches when a case fails', async () => {
    const r = await policyTestCommand({ casesPath: fixturePath('failing-cases.yaml'), rules });
    expect(r.exitCode).toBe(1);
    expect(r.output).toContain('FAIL  launches are allowed (wrong)');
    expect(r.output).toContain('effect: expected allow, got require_approval');
    expect(r.output).toContain('1 passed, 2 failed');
  });

  it('exits 2 with a line-numbered message for a malformed file', async () => {
    const path = fixturePath('malformed-cases.yaml');
    const r = await policyTestCommand({ casesPath: path, rules });
    expect(r.exitCode).toBe(2);
    expect(r.output).toBe(
      `${path}:5:15: unknown key 'efect' in cases[0].expect; expected one of: effect, rules, defaulted, approvers, checklist\n`,
    );
  });

  it('exits 2 for a missing file or invalid YAML', async () => {
    const missing = await policyTestCommand({ casesPath: '/nonexistent/cases.yaml', rules });
    expect(missing).toEqual({ exitCode: 2, output: 'cannot read /nonexistent/cases.yaml: no such file\n' });
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-policy-test-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'cases:\n  - name: "unterminated\n');
    const r = await policyTestCommand({ casesPath: bad, rules });
    rmSync(dir, { recursive: true, force: true });
    expect(r.exitCode).toBe(2);
    expect(r.output).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));
  });
});
