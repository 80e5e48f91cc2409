/**
 * The real CLI on evidence recorded by a server: `shadow report`, `agents promote` (refused with
 * exit 1 and the failed criteria, then an admin override), `policy dry-run-report`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOOK_ENV, output, runCli, scaled } from '../cli/helpers.js';
import { exampleConfigText, startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { allRecords, crmOf, editAsPerson, inUsCa } from '../helpers/sandbox.js';

function configText(): string {
  let text = exampleConfigText({ contacts: 120 });
  text = text.replace(
    /(- id: lead-router\n\s+owner: sam\n\s+)mode: autonomous[^\n]*/,
    `$1mode: observe\n    promote_when: { min_proposals: 50, precision: 0.9, rule_adherence: 0.99, window: 7d, match_window: 3d }`,
  );
  return text.replace(
    /policies:\n/,
    `policies:\n  - id: owner-moves-reviewed\n    when: "action.object == 'contacts'"\n    effect: require_approval\n    mode: dry_run\n`,
  );
}

describe('gatehouse shadow report / agents promote / policy dry-run-report', () => {
  let t: TestGatehouse;
  let closed = false;

  beforeAll(async () => {
    t = await startTestGatehouse({ configText: configText() });
    const contacts = (await allRecords(crmOf(t.gh), 'contacts')).filter(inUsCa).slice(0, 5);
    for (const [i, c] of contacts.entries()) {
      const r = await t.inject('POST', '/v1/actions', t.keys['lead-router'], {
        connector: 'crm',
        object: 'contacts',
        operation: 'update',
        records: [{ id: c.id, changes: { owner_id: `rep-${i}` } }],
        reason: 'territory',
      });
      expect(r.json.status).toBe('shadowed');
    }
    for (const [i, c] of contacts.slice(0, 4).entries())
      await editAsPerson(crmOf(t.gh), 'contacts', c.id, { owner_id: i === 3 ? 'other' : `rep-${i}` }, `k${i}`);
    // The CLI opens the same files; the server must let go of them first.
    await t.gh.close();
    closed = true;
  }, 60_000);
  afterAll(async () => {
    if (closed) {
      const { rmSync } = await import('node:fs');
      rmSync(t.dir, { recursive: true, force: true });
    } else await t?.close();
  });

  const cli = (...args: string[]) =>
    runCli([...args, '--config', t.configPath], { env: HOOK_ENV, timeoutMs: scaled(60_000) });

  it('prints the report with its definitions, and the same numbers as JSON', async () => {
    const r = await cli('shadow', 'report', '--agent', 'lead-router');
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toMatch(/lead-router\s+5\s+3\s+1\s+0\s+1/);
    expect(r.stdout).toContain('contacts.update');
    expect(r.stdout).toContain('Definitions:');
    expect(r.stdout).toContain('precision       agreement / (agreement + disagreement)');
    const j = await cli('shadow', 'report', '--agent', 'lead-router', '--json');
    const report = JSON.parse(j.stdout);
    expect(report.agents[0].metrics).toMatchObject({ proposals: 5, agreement: 3, disagreement: 1, unconfirmed: 1 });
    const bad = await cli('shadow', 'report', '--since', 'soon');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--since');
  }, 120_000);

  it('refuses promotion with the failed criteria (exit 1), then takes an admin override', async () => {
    const refused = await cli('agents', 'promote', 'lead-router', '--to', 'autonomous', '--as', 'maria');
    expect(refused.code, output(refused)).toBe(1);
    expect(refused.stdout).toMatch(/FAIL min_proposals\s+5\s+required ≥ 50/);
    expect(refused.stdout).toMatch(/FAIL precision\s+75\.0%/);
    expect(refused.stdout).toMatch(/ok\s+rule_adherence\s+100\.0%/);
    expect(refused.stderr).toContain('promotion_criteria_not_met');

    const ok = await cli(
      'agents',
      'promote',
      'lead-router',
      '--to',
      'gated',
      '--as',
      'maria',
      '--override-reason',
      'pilot: every write still needs approval',
    );
    expect(ok.code, output(ok)).toBe(0);
    expect(ok.stdout).toContain(
      'lead-router: observe → gated (criteria overridden: pilot: every write still needs approval)',
    );
    const list = await cli('agents', 'list');
    expect(list.stdout).toMatch(/lead-router\s+gated/);
  }, 120_000);

  it('reports what the dry-run rule would have done', async () => {
    const r = await cli('policy', 'dry-run-report', '--since', '24h');
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toContain(
      "rule owner-moves-reviewed would have required approval for 5 of the last 24h's 5 actions, a stricter decision for 5 (lead-router 5)",
    );
  }, 60_000);
});
