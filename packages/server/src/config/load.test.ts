import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isGatehouseError } from '../core/errors.js';
import { formatDiagnostic } from './diagnostics.js';
import { configOrThrow, loadConfig, loadConfigFromString, type ConfigResult } from './load.js';
import type { CompiledConfig } from './types.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const EXAMPLE_PATH = resolve(repoRoot, '../shared/gatehouse.example.yaml');
const EXAMPLE = readFileSync(EXAMPLE_PATH, 'utf8');
const ENV = { HOOK_SECRET: 'test-hook-secret' };

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

function loaded(result: ConfigResult): CompiledConfig {
  if (!result.ok) throw new Error(result.diagnostics.map(formatDiagnostic).join('\n'));
  return result.config;
}

describe('the example gatehouse.yaml', () => {
  const result = loadConfig(EXAMPLE_PATH, ENV);
  const config = loaded(result);

  it('loads unchanged, without warnings', () => {
    expect(result.ok && result.warnings).toEqual([]);
    expect(config.sourcePath).toBe(EXAMPLE_PATH);
  });

  it('reads storage, server and audit with durations in ms', () => {
    expect(config.storage).toEqual({ url: 'sqlite:./data/gatehouse.db', kind: 'sqlite', path: './data/gatehouse.db' });
    expect(config.server).toEqual({
      listen: '127.0.0.1:4100',
      host: '127.0.0.1',
      port: 4100,
      public_url: 'http://127.0.0.1:4100',
      body_limit: 1_048_576,
    });
    expect(config.audit).toEqual({ signing_key_file: './data/audit-ed25519.pem', checkpoint_every_ms: 3_600_000 });
    expect(config.approvals).toEqual({
      expire_after_ms: 86_400_000,
      escalation: [{ after_ms: 14_400_000, notify: { role: 'admin' } }],
    });
  });

  it('reads the sandbox connector with its default path', () => {
    expect(config.connectors.crm).toEqual({
      id: 'crm',
      type: 'sandbox',
      seed: 42,
      size: { contacts: 5000, companies: 800, deals: 1200 },
      path: './data/sandbox-crm.db',
    });
  });

  it('reads people and the built-in roles', () => {
    expect(config.people.map((p) => [p.id, p.roles])).toEqual([
      ['maria', ['admin', 'approver']],
      ['sam', ['approver', 'responder']],
      ['lee', ['approver']],
      ['ana', ['auditor']],
    ]);
    expect(Object.keys(config.roles).sort()).toEqual(['admin', 'approver', 'auditor', 'responder']);
  });

  it('reads agents with grants, limits and defaults', () => {
    const [router, optimizer, runner] = config.agents;
    expect(config.agents.map((a) => [a.id, a.owner, a.mode])).toEqual([
      ['lead-router', 'sam', 'autonomous'],
      ['subject-optimizer', 'maria', 'observe'],
      ['campaign-runner', 'maria', 'gated'],
    ]);
    expect(router?.limits).toEqual({ max_batch: 200, actions_per_minute: 120 });
    expect(router?.grants[0]).toMatchObject({
      connector: 'crm',
      objects: ['contacts'],
      write_fields: ['owner_id'],
      pii: 'mask',
    });
    expect(optimizer?.grants[0]?.pii).toBe('mask');
    expect(runner?.grants[0]?.operations).toEqual(['read', 'launch', 'pause']);
    expect(runner?.grants[0]?.where).toBeUndefined();
  });

  it('compiles the grant filter so that it evaluates', () => {
    const where = config.agents[0]?.grants[0]?.where;
    expect(where?.source).toBe("record.country in ['US', 'CA']");
    expect(where?.expr.evaluate({ record: { country: 'CA' } })).toBe(true);
    expect(where?.expr.evaluate({ record: { country: 'DE' } })).toBe(false);
  });

  it('reads policies with approvers, checklists and compiled conditions', () => {
    const [launches, big, pricing] = config.policies;
    expect(launches).toMatchObject({
      effect: 'require_approval',
      approvers: { role: 'approver', count: 1 },
      mode: 'enforce',
    });
    expect(big?.approvers).toEqual({ role: 'approver', count: 2 });
    expect(pricing).toMatchObject({ effect: 'deny', reason: 'Pricing changes are made by people only.' });
    expect(pricing?.approvers).toBeUndefined();
    expect(big?.when.expr.evaluate({ changes: { records: 101n } })).toBe(true);
    expect(launches?.when.expr.evaluate({ action: { operation: 'update' } })).toBe(false);
    // Checklist items that are only named in a policy get a readable description.
    expect(config.checklists).toEqual({
      'brand-tone': 'brand tone',
      'unsubscribe-link': 'unsubscribe link',
      'segment-correct': 'segment correct',
    });
  });

  it('reads breakers with baselines, windows and scopes', () => {
    const [ctr, errors] = config.breakers;
    expect(ctr).toMatchObject({
      metric: 'email.ctr',
      baseline: { kind: 'trailing', window_ms: 7 * 86_400_000, source: 'trailing_7d' },
      window_ms: 86_400_000,
      trip_when: { drop_pct: 40, min_events: 50, confidence: 0.95, consecutive: 1 },
      scope: { agents: ['subject-optimizer'] },
      on_trip: { pause: true, rollback: 'reversible_in_window', notify: [{ role: 'responder' }] },
    });
    expect(errors).toMatchObject({ window_ms: 600_000, scope: { agents: 'all' }, on_trip: { rollback: 'none' } });
    expect(errors?.baseline).toBeUndefined();
  });

  it('reads the webhook with the secret from the environment', () => {
    expect(config.notifications).toEqual([
      { type: 'webhook', url: 'http://127.0.0.1:9000/hooks/gatehouse', secret: 'test-hook-secret' },
    ]);
  });

  it('is frozen all the way down', () => {
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.agents[0]?.grants[0]?.objects)).toBe(true);
    expect(() => (config.agents[0]!.limits as { max_batch: number }).max_batch++).toThrow(TypeError);
  });
});

describe('config versions', () => {
  const versions = (text: string) => loaded(loadConfigFromString(text, 'gatehouse.yaml', ENV)).versions;
  const base = versions(EXAMPLE);

  it('are SHA-256 hex digests, one per agent', () => {
    expect(base.config).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(base.agents)).toEqual(['lead-router', 'subject-optimizer', 'campaign-runner']);
  });

  it('ignore comments, formatting and key order', () => {
    const reformatted = EXAMPLE.replace('# Policies are checked', '# (reworded) Policies are checked').replace(
      '    effect: deny\n    reason: Pricing changes are made by people only.',
      '    reason: "Pricing changes are made by people only."\n    effect: deny',
    );
    expect(versions(reformatted)).toEqual(base);
  });

  it('change the policy version, and only it, when a policy changes', () => {
    const v = versions(EXAMPLE.replace('changes.records > 100', 'changes.records > 50'));
    expect(v.policies).not.toBe(base.policies);
    expect(v.config).not.toBe(base.config);
    expect(v.agents).toEqual(base.agents);
  });

  it("change one agent's version when that agent changes", () => {
    const v = versions(EXAMPLE.replace('max_batch: 200', 'max_batch: 300'));
    expect(v.agents['lead-router']).not.toBe(base.agents['lead-router']);
    expect(v.agents['subject-optimizer']).toBe(base.agents['subject-optimizer']);
    expect(v.policies).toBe(base.policies);
  });
});

describe('loading failures', () => {
  it('names HOOK_SECRET and its line when it is not set', () => {
    const result = loadConfig(EXAMPLE_PATH, {});
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.diagnostics).toEqual([
      {
        file: EXAMPLE_PATH,
        line: lineOf(EXAMPLE, '${HOOK_SECRET}'),
        column: EXAMPLE.split('\n')[lineOf(EXAMPLE, '${HOOK_SECRET}') - 1]!.indexOf('"${HOOK_SECRET}"') + 1,
        path: 'notifications[0].secret',
        code: 'missing_env',
        message: expect.stringContaining('HOOK_SECRET') as string,
      },
    ]);
    expect(formatDiagnostic(result.diagnostics[0]!)).toContain(
      `gatehouse.example.yaml:${lineOf(EXAMPLE, '${HOOK_SECRET}')}:74 notifications[0].secret: environment variable HOOK_SECRET is not set`,
    );
  });

  it('reports every problem in one pass, top to bottom', () => {
    const broken = EXAMPLE.replace('seed: 42', 'seed: many')
      .replace('owner: sam', 'owner: samuel')
      .replace("action.object == 'price_book'", "acton.object == 'price_book'")
      .replace('window: 10m', 'window: 10');
    const result = loadConfigFromString(broken, 'gatehouse.yaml', {});
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.diagnostics.map((d) => `${d.line} ${d.path} ${d.code}`)).toEqual([
      `${lineOf(broken, 'seed: many')} connectors.crm.seed invalid_type`,
      `${lineOf(broken, 'owner: samuel')} agents[0].owner unknown_person`,
      `${lineOf(broken, 'acton.object')} policies[2].when invalid_cel`,
      `${lineOf(broken, 'window: 10')} breakers[1].window invalid_duration`,
      `${lineOf(broken, '${HOOK_SECRET}')} notifications[0].secret missing_env`,
    ]);
  });

  it('explains a missing or unreadable file', () => {
    const result = loadConfig('/nonexistent/gatehouse.yaml', ENV);
    expect(result).toEqual({
      ok: false,
      diagnostics: [
        expect.objectContaining({ line: 0, code: 'config_unreadable', message: expect.stringContaining('not found') }),
      ],
    });
  });

  it('explains an empty file and a file that is not a mapping', () => {
    expect(loadConfigFromString('# nothing yet\n', 'g.yaml', {})).toMatchObject({
      ok: false,
      diagnostics: [{ code: 'config_empty' }],
    });
    expect(loadConfigFromString('- a\n- b\n', 'g.yaml', {})).toMatchObject({
      ok: false,
      diagnostics: [{ line: 1, code: 'invalid_type' }],
    });
  });

  it('configOrThrow throws one GatehouseError listing every diagnostic', () => {
    const result = loadConfigFromString(EXAMPLE.replace('seed: 42', 'seed: x'), 'gatehouse.yaml', {});
    let thrown: unknown;
    try {
      configOrThrow(result);
    } catch (e) {
      thrown = e;
    }
    expect(isGatehouseError(thrown) && thrown.code).toBe('invalid_config');
    expect((thrown as Error).message).toContain('connectors.crm.seed');
    expect((thrown as Error).message).toContain('HOOK_SECRET');
  });
});

describe('warnings', () => {
  it('flags approver counts that nobody could meet', () => {
    const result = loadConfigFromString(EXAMPLE.replace('count: 2', 'count: 5'), 'gatehouse.yaml', ENV);
    expect(result.ok && result.warnings.map((w) => [w.line, w.path, w.code])).toEqual([
      [lineOf(EXAMPLE, 'count: 2'), 'policies[1].approvers.count', 'approvers_short'],
    ]);
  });

  it('defaults require_approval without approvers to one approver', () => {
    const text = EXAMPLE.replace('    approvers: { role: approver, count: 1 }\n', '');
    const config = loaded(loadConfigFromString(text, 'gatehouse.yaml', ENV));
    expect(config.policies[0]?.approvers).toEqual({ role: 'approver', count: 1 });
  });
});

describe('sections for later features', () => {
  const FULL = `version: 1
storage: { url: "postgres://gatehouse@127.0.0.1:5432/gatehouse" }
server: { listen: "[::1]:0", body_limit: 2097152 }
connectors:
  live: { type: hubspot, access_token: "\${HUBSPOT_TOKEN}", base_url: "http://127.0.0.1:4200" }
  snapshot: { type: replica, from: live }
  scratch: { type: sandbox, path: ":memory:" }
roles:
  brand-reviewer: { description: Checks tone of voice, permissions: [approve] }
people:
  - { id: kim, name: Kim Lee, email: kim@example.com, roles: [admin, brand-reviewer], slack_user_id: U123 }
  - { id: bo, name: Bo Berg, email: bo@example.com, roles: [brand-reviewer] }
agents:
  - id: nurturer
    owner: kim
    mode: paused
    grants: [{ connector: snapshot, objects: [sequences], operations: [enroll], pii: hash }]
    operation_modes: { sequences.enroll: gated }
    promote_when: { min_days: 14, precision: 0.95 }
policies:
  - { id: reviewed, when: "action.operation == 'enroll'", effect: require_approval, approvers: { role: brand-reviewer }, mode: dry_run }
checklists: { tone: Tone of voice matches the brand book. }
preflight:
  frequency_cap: { max: 3, per: 7d }
  freezes: [{ from: "2025-12-24T00:00:00Z", to: "2025-12-27T00:00:00Z", reason: Holidays }]
  on_fail: require_approval
breakers:
  - id: cpl-spike
    metric: ads.cost_per_lead
    baseline: same_hours_last_week
    window: 6h
    trip_when: { spike_pct: 50, consecutive: 2 }
    scope: { agents: [nurturer] }
    on_trip: { pause: false, notify: [{ person: kim }] }
    half_open: { probe_actions: 5 }
notifications:
  - { type: slack, bot_token: "\${SLACK_TOKEN:-xoxb-test}", signing_secret: s, channel: "#revops" }
`;

  it('accepts HubSpot, replica, custom roles, pre-flight, paused agents and Slack', () => {
    const config = loaded(loadConfigFromString(FULL, 'full.yaml', { HUBSPOT_TOKEN: 'pat-1' }));
    expect(config.storage).toEqual({ url: 'postgres://gatehouse@127.0.0.1:5432/gatehouse', kind: 'postgres' });
    expect(config.server).toMatchObject({ host: '::1', port: 0, public_url: 'http://[::1]:0', body_limit: 2_097_152 });
    expect(config.connectors.live).toMatchObject({ type: 'hubspot', access_token: 'pat-1' });
    expect(config.connectors.snapshot).toEqual({ id: 'snapshot', type: 'replica', from: 'live' });
    expect(config.connectors.scratch).toMatchObject({ path: ':memory:', seed: 42 });
    expect(config.roles['brand-reviewer']).toEqual({
      id: 'brand-reviewer',
      built_in: false,
      description: 'Checks tone of voice',
      permissions: ['approve'],
    });
    expect(config.agents[0]).toMatchObject({ mode: 'paused', operation_modes: { 'sequences.enroll': 'gated' } });
    expect(config.agents[0]?.limits).toEqual({ max_batch: 500, actions_per_minute: 60 });
    expect(config.policies[0]).toMatchObject({ approvers: { role: 'brand-reviewer', count: 1 }, mode: 'dry_run' });
    expect(config.preflight).toEqual({
      frequency_cap: { max: 3, per_ms: 7 * 86_400_000 },
      freezes: [{ from: '2025-12-24T00:00:00Z', to: '2025-12-27T00:00:00Z', reason: 'Holidays' }],
      on_fail: 'require_approval',
    });
    expect(config.breakers[0]).toMatchObject({
      baseline: { kind: 'same_hours_last_week' },
      trip_when: { spike_pct: 50, consecutive: 2 },
      on_trip: { pause: false, rollback: 'none', notify: [{ person: 'kim' }] },
      half_open: { probe_actions: 5 },
    });
    expect(config.notifications[0]).toMatchObject({ type: 'slack', bot_token: 'xoxb-test' });
  });

  it('checks references between these sections too', () => {
    const broken = FULL.replace('from: live', 'from: lve')
      .replace(
        'roles: [brand-reviewer] }',
        'roles: [brand-reviewer, admin] }\n  - { id: kim, name: K, email: k@example.com }',
      )
      .replace('brand-reviewer: { description', 'approver: { description')
      .replace('to: "2025-12-27', 'to: "2025-12-01');
    const result = loadConfigFromString(broken, 'full.yaml', { HUBSPOT_TOKEN: 'pat-1' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.diagnostics.map((d) => `${d.path} ${d.code}`)).toEqual([
      'connectors.snapshot.from unknown_connector',
      'roles.approver duplicate_id',
      'people[0].roles[1] unknown_role',
      'people[1].roles[0] unknown_role',
      'people[2].id duplicate_id',
      'policies[0].approvers.role unknown_role',
      'preflight.freezes[0].to invalid_value',
    ]);
  });
});
