/**
 * `gatehouse demo --exit`: the guided tour (the example agents of `@gatehouse/examples`, over the
 * SDK) must show every outcome it promises (executed, denied for a field and for a record outside
 * the grant, shadowed, held for approval), the breaker act (trip, refused write, pause, rollback,
 * halt time) and a verified audit log, and leave a config with which the log verifies again from
 * the outside.
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
  expect(line('campaign-runner', /launch campaign/), out).toMatch(/→ pending_approval \(HTTP 202\).*approval apr_\w+/);
  // The agents are the example agents over the SDK; lead-router runs the AI SDK's tool loop.
  expect(out).toMatch(/lead-router sees .*AI SDK tool loop/);

  // The breaker act: promoted, the spammy rewrites execute, the collapse trips ctr-drop, the next
  // write is refused, the agent is paused and its subject changes are rolled back.
  const act = out.split('The breaker act:')[1] ?? '';
  expect(act, out).toMatch(/maria promotes subject-optimizer: observe → autonomous/);
  expect(act).toMatch(/subject-optimizer rewrites em_\w+ → "FREE!!! ACT NOW!!!": executed \(HTTP 200\)/);
  expect(act).toMatch(/ctr-drop open \(fail\); rewrite em_\w+ → breaker_open \(HTTP 423 breaker_open\)/);
  expect(act).toMatch(/Incident inc_\w+ \(agent:subject-optimizer\): CTR [\d.]+% vs baseline [\d.]+% .*FAIL/);
  expect(act).toMatch(/subject-optimizer is paused \(set by breaker:ctr-drop\)/);
  const rolled = /Rollback: (\d+) subjects restored, 0 conflicts, 0 irreversible; (em_\w+) reads "([^"]*)" again/.exec(
    act,
  );
  expect(rolled, act).not.toBeNull();
  expect(Number(rolled?.[1])).toBeGreaterThanOrEqual(1);
  expect(rolled?.[3]).not.toBe('FREE!!! ACT NOW!!!');
  expect(act).toMatch(/Halt time: \d+(\.\d)? ms from sending the breaching POST \/v1\/kpis to the first refused write/);

  // The shadow act: a replica (audited), lead-router observing on it, the reps' ground truth, the
  // agreement rate, a refused strict promotion, then the promotion on evidence.
  const shadow = out.split('The shadow act:')[1]?.split('\n\n')[0] ?? '';
  expect(shadow, out).toMatch(
    /maria creates replica crm-snapshot of crm: \d+ records in \d+ ms, PII stored as mask \(audit entry \d+, replica.refreshed\)/,
  );
  expect(shadow).toMatch(/It reads and plans on crm-snapshot, a replica of crm/);
  const proposed = /lead-router proposed an owner for (\d+) contacts: (\d+) shadowed, nothing written/.exec(shadow);
  expect(proposed, shadow).not.toBeNull();
  expect(proposed?.[2]).toBe(proposed?.[1]);
  const agreement = /Shadow report: agreement rate ([\d.]+)% \(95% CI [\d.]+%–[\d.]+%\) of the (\d+) proposals/.exec(
    shadow,
  );
  expect(agreement, shadow).not.toBeNull();
  expect(Number(agreement?.[1])).toBeGreaterThanOrEqual(90);
  expect(shadow).toMatch(/refusing to promote lead-router contacts.update to autonomous: criteria not met/);
  expect(shadow).toMatch(
    /maria promotes lead-router contacts.update: observe → autonomous on that evidence \(audit entry \d+\)/,
  );
  expect(shadow.indexOf('Shadow report:')).toBeLessThan(shadow.indexOf('refusing to promote'));

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
