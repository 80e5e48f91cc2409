import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfig } from './check.js';
import { starterConfig } from './template.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../test/fixtures/config/${name}`, import.meta.url));
const example = fileURLToPath(new URL('../../../../../shared/gatehouse.example.yaml', import.meta.url));

describe('checkConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-check-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('summarises a valid file and exits 0', () => {
    expect(checkConfig(example, { HOOK_SECRET: 's' })).toEqual({
      exitCode: 0,
      output: `OK: ${example} (4 people, 3 agents, 3 policies, 2 breakers, 1 connector)`,
    });
    expect(checkConfig(fixture('minimal.yaml'), {}).output).toBe(
      `OK: ${fixture('minimal.yaml')} (0 people, 0 agents, 0 policies, 0 breakers, 0 connectors)`,
    );
  });

  it('prints every diagnostic and exits 1 on an invalid file', () => {
    const file = fixture('invalid.yaml');
    const { exitCode, output } = checkConfig(file, {});
    expect(exitCode).toBe(1);
    expect(output.split('\n')).toEqual([
      `${file}:6:78 people[0].roles[1]: unknown role 'aprover' (did you mean 'approver'?); roles defined: admin, approver, auditor, responder`,
      `${file}:10:11 agents[0].mode: must be one of observe, gated, autonomous, paused (got 'autonomus') (did you mean 'autonomous'?)`,
      `INVALID: ${file} (2 problems)`,
    ]);
  });

  it('exits 2 with a clear message when the file is missing', () => {
    const missing = join(dir, 'nope.yaml');
    const { exitCode, output } = checkConfig(missing, {});
    expect(exitCode).toBe(2);
    expect(output).toContain(`${missing}: cannot read the config file: file not found`);
  });

  it('prints warnings after the summary', () => {
    const file = join(dir, 'warn.yaml');
    writeFileSync(file, starterConfig().replace('roles: [admin, approver, responder]', 'roles: [approver, responder]'));
    const { exitCode, output } = checkConfig(file, {});
    expect(exitCode).toBe(0);
    expect(output).toMatch(/^OK: .*\nwarning: .*warn\.yaml:\d+:\d+ people: nobody has the admin role/);
  });
});
