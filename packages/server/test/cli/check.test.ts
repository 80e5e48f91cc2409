/**
 * `gatehouse check`, `gatehouse init` and `--help`, end to end through the real binary: exit codes
 * and the `file:line:col path: message` lines a user reads. Expected lines are computed from the
 * edited text, so the tests follow the example file when comments move lines around.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HOOK_ENV, exampleText, lineOf, output, replaceOnce, runCli, scaled } from './helpers.js';

// Each test starts one or more CLI processes (~2 s of CPU each from sources).
vi.setConfig({ testTimeout: scaled(60_000) });

const EXAMPLE_ARG = '../shared/gatehouse.example.yaml';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'gatehouse-check-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('gatehouse check on the example file', () => {
  it.concurrent('accepts it unchanged when HOOK_SECRET is set', async ({ expect }) => {
    const r = await runCli(['check', '--config', EXAMPLE_ARG], { env: HOOK_ENV });
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toMatch(/^OK: .*gatehouse\.example\.yaml \(4 people, 3 agents, 3 policies/m);
  });

  it.concurrent('without HOOK_SECRET names the variable and its line, and exits 1', async ({ expect }) => {
    const r = await runCli(['check', '--config', EXAMPLE_ARG]);
    expect(r.code, output(r)).toBe(1);
    const line = lineOf(exampleText(), '${HOOK_SECRET}');
    expect(r.stderr).toMatch(
      new RegExp(
        `^${escape(EXAMPLE_ARG)}:${line}:\\d+ notifications\\[0\\]\\.secret: environment variable HOOK_SECRET is not set`,
        'm',
      ),
    );
    expect(r.stderr).toContain('INVALID');
  });

  it.concurrent('exits 2 when the file does not exist', async ({ expect }) => {
    const r = await runCli(['check', '--config', join(tmpdir(), 'no-such-dir-gatehouse', 'gatehouse.yaml')], {
      env: HOOK_ENV,
    });
    expect(r.code, output(r)).toBe(2);
    expect(output(r)).toMatch(/file not found/);
  });
});

interface Variant {
  name: string;
  /** A text of the example (occurring exactly once) and its replacement. */
  from: string;
  to: string;
  /** Text on the line the diagnostic must name, in the edited file. */
  at: string;
  /** Text on that line where the diagnostic's column must point, when it is pinned. */
  col?: string;
  /** Field path; '' for problems that have none (YAML syntax). */
  path: string;
  message: RegExp;
  env?: Record<string, string | undefined>;
}

const VARIANTS: Variant[] = [
  {
    name: "typo'd key",
    from: 'objects: [contacts]',
    to: 'objets: [contacts]',
    at: 'objets: [contacts]',
    col: 'objets',
    path: 'agents[0].grants[0].objets',
    message: /unknown key 'objets' \(did you mean 'objects'\?\)/,
  },
  {
    name: 'wrong type',
    from: 'seed: 42',
    to: 'seed: forty-two',
    at: 'seed: forty-two',
    col: 'forty-two',
    path: 'connectors.crm.seed',
    message: /must be a number \(got 'forty-two'\)/,
  },

  {
    name: 'unknown role',
    from: 'roles: [auditor] }',
    to: 'roles: [auditer] }',
    at: 'id: ana',
    col: 'auditer',
    path: 'people[3].roles[0]',
    message: /unknown role 'auditer' \(did you mean 'auditor'\?\)/,
  },
  {
    name: 'owner not a person',
    from: 'owner: sam',
    to: 'owner: samuel',
    at: 'owner: samuel',
    col: 'samuel',
    path: 'agents[0].owner',
    message: /owner 'samuel' is not a person/,
  },
  {
    name: 'CEL syntax error',
    from: '"changes.records > 100"',
    to: '"changes.records >> 100"',
    at: 'changes.records >> 100',
    path: 'policies[1].when',
    message: /invalid CEL: does not compile/,
  },
  {
    name: 'unknown CEL variable',
    from: "action.object == 'price_book'",
    to: "acton.object == 'price_book'",
    at: 'acton.object',
    path: 'policies[2].when',
    message: /unknown variable 'acton'/,
  },
  {
    name: 'missing env var',
    from: '${HOOK_SECRET}',
    to: '${HOOK_TOKEN}',
    at: '${HOOK_TOKEN}',
    path: 'notifications[0].secret',
    message: /environment variable HOOK_TOKEN is not set/,
  },
  {
    name: 'bad duration',
    from: 'checkpoint_every: 1h',
    to: 'checkpoint_every: 1 hour',
    at: 'checkpoint_every: 1 hour',
    col: '1 hour',
    path: 'audit.checkpoint_every',
    message: /must be a duration such as .*\(got '1 hour'\)/,
  },
  {
    name: 'duplicate agent id',
    from: '- id: campaign-runner',
    to: '- id: lead-router   # pasted from above',
    at: '# pasted from above',
    path: 'agents[2].id',
    message: /duplicate agent id 'lead-router'/,
  },
  {
    name: 'unknown connector in a grant',
    from: '      - connector: crm\n        objects: [campaigns, lists]',
    to: '      - connector: hubspot\n        objects: [campaigns, lists]',
    at: 'connector: hubspot',
    col: 'hubspot',
    path: 'agents[2].grants[0].connector',
    message: /unknown connector 'hubspot'; connectors defined: crm/,
  },

  {
    name: 'YAML syntax error',
    from: `when: "action.operation == 'launch'"`,
    to: `when: "action.operation == 'launch'`,
    at: `when: "action.operation == 'launch'`,
    path: '',
    message: /YAML syntax error/,
  },
];

describe('gatehouse check on broken variants of the example', () => {
  it('has at least ten variants, each a real edit', () => {
    expect(VARIANTS.length).toBeGreaterThanOrEqual(10);
    for (const v of VARIANTS) expect(replaceOnce(exampleText(), v.from, v.to)).not.toBe(exampleText());
  });

  it.concurrent.for(VARIANTS)('$name: exit 1, file:line:col and field', async (v, { expect }) => {
    const text = replaceOnce(exampleText(), v.from, v.to);
    const file = join(tmp, `${v.name.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, text);
    const r = await runCli(['check', '--config', file], { env: { ...HOOK_ENV, ...v.env } });
    expect(r.code, output(r)).toBe(1);

    const line = lineOf(text, v.at);
    const lineText = text.split('\n')[line - 1]!;
    const col = v.col === undefined ? '\\d+' : String(lineText.indexOf(v.col) + 1);
    const where = `${escape(file)}:${line}:${col} ${v.path === '' ? '' : `${escape(v.path)}: `}`;
    const diagnostic = r.stderr.split('\n').find((l) => l.startsWith(`${file}:`));
    expect(diagnostic, r.stderr).toMatch(new RegExp(`^${where}`));
    expect(diagnostic).toMatch(v.message);
    expect(r.stderr).toMatch(/INVALID: .* \(\d+ problems?\)/);
  });
});

describe('gatehouse init', () => {
  it('writes a starter that check accepts, and refuses to overwrite it without --force', async () => {
    const dir = join(tmp, 'init', 'nested');
    const file = join(dir, 'gatehouse.yaml');
    const first = await runCli(['init', dir]);
    expect(first.code, output(first)).toBe(0);
    expect(first.stdout).toContain(file);

    const check = await runCli(['check', '--config', file]);
    expect(check.code, output(check)).toBe(0);
    expect(check.stdout).toMatch(/^OK: /m);

    writeFileSync(file, `${readFileSync(file, 'utf8')}\n# my edits\n`);
    const again = await runCli(['init', dir]);
    expect(again.code, output(again)).toBe(1);
    expect(again.stderr).toMatch(/already exists; use --force/);
    expect(readFileSync(file, 'utf8')).toContain('# my edits');

    const forced = await runCli(['init', dir, '--force']);
    expect(forced.code, output(forced)).toBe(0);
    expect(readFileSync(file, 'utf8')).not.toContain('# my edits');
  });
});

/** Every command and the options its help must mention. */
const HELP: Record<string, readonly string[]> = {
  demo: ['--dir', '--port', '--contacts', '--exit'],
  init: ['--force', '[dir]'],
  serve: ['--config', '--port', '--log-level'],
  check: ['--config'],
  'policy test': ['--config', '<cases>'],
  'audit verify': ['--config', '--key', '--json'],
  'audit export': ['--format', '--out', '--config'],
  'keys create': ['--agent', '--person', '--ingest', '--label', '--as', '--json', '--config'],
  'keys list': ['--config'],
  'keys revoke': ['<key-id>', '--as', '--config'],
  'agents list': ['--config'],
  'agents mode': ['<agent>', '<mode>', '--as', '--comment', '--config'],
  'agents promote': ['<agent>', '--to', '--as', '--operation', '--override-reason', '--dry-run', '--json', '--config'],
  mcp: ['--config', '--key', '--log-level'],
  'replica create': ['--from', '--name', '--object', '--filter', '--as', '--json', '--config'],
  'replica refresh': ['<replica>', '--as', '--json', '--config'],
  'replica list': ['--json', '--config'],
  'shadow report': ['--agent', '--operation', '--since', '--window', '--bucket', '--json', '--config'],
  'policy dry-run-report': ['--since', '--rule', '--json', '--config'],
};

describe('--help', () => {
  it.concurrent('gatehouse --help lists every command', async ({ expect }) => {
    const r = await runCli(['--help']);
    expect(r.code, output(r)).toBe(0);
    for (const top of new Set(Object.keys(HELP).map((c) => c.split(' ')[0]!)))
      expect(r.stdout).toMatch(new RegExp(`^\\s+${top}\\b`, 'm'));
  });

  it.concurrent.for(Object.entries(HELP))('gatehouse %s --help', async ([command, options], { expect }) => {
    const r = await runCli([...command.split(' '), '--help']);
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toContain(`Usage: gatehouse ${command}`);
    for (const o of options) expect(r.stdout).toContain(o);
  });
});
