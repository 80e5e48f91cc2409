/**
 * `gatehouse demo --exit`: the guided tour must show every outcome it promises (executed, denied
 * for a field and for a record outside the grant, shadowed, held for approval) and a verified
 * audit log, and leave a config with which the log verifies again from the outside.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { output, runCli, scaled } from './helpers.js';

// Each test starts one or more CLI processes (~2 s of CPU each from sources).
vi.setConfig({ testTimeout: scaled(60_000) });

const tmp = mkdtempSync(join(tmpdir(), 'gatehouse-demo-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it('demo --exit runs the scripted agents and reports every outcome', async () => {
  const dir = join(tmp, 'demo');
  const r = await runCli(['demo', '--exit', '--port', '0', '--dir', dir, '--contacts', '300'], {
    timeoutMs: scaled(60_000),
  });
  expect(r.code, output(r)).toBe(0);
  const out = r.stdout;

  const tried = out.split('What the agents tried:')[1]?.split('\n\n')[0] ?? '';
  const line = (agent: string, what: RegExp) =>
    tried.split('\n').find((l) => l.trimStart().startsWith(agent) && what.test(l)) ?? '';
  expect(line('lead-router', /route c_\w+ to u_\d+/), out).toMatch(/→ executed \(HTTP 200\)/);
  expect(line('lead-router', /set lifecyclestage/), out).toMatch(/→ denied \(HTTP 403\)\s+field_not_writable:/);
  expect(line('lead-router', /German contact/), out).toMatch(/→ denied \(HTTP 403\)\s+record_out_of_scope:/);
  expect(line('subject-optimizer', /rewrite subject/), out).toMatch(/→ shadowed \(HTTP 202\)/);
  expect(line('campaign-runner', /launch campaign/), out).toMatch(/→ pending_approval \(HTTP 202\)/);

  expect(out).toMatch(/Audit log: verified — [1-9]\d* entries, [1-9]\d* signed checkpoints/);
  expect(out).toMatch(/Pending approvals: 1/);
  // What the agent saw was masked: no raw e-mail address reaches it.
  expect(out).toMatch(/"email":"\w\*\*\*@/);
  expect(out.split('lead-router sees')[1]?.split('What the agents tried')[0]).not.toMatch(/"email":"\w\w+@/);

  // The demo shut down cleanly: its own config verifies the log from the outside.
  const config = join(dir, 'gatehouse.yaml');
  expect(existsSync(config)).toBe(true);
  const verify = await runCli(['audit', 'verify', '--config', config]);
  expect(verify.code, output(verify)).toBe(0);
  expect(verify.stdout).toMatch(/^OK: /);
});
