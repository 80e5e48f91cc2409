/**
 * `gatehouse people` through the real CLI: a password set with `--password-stdin` signs the
 * person in over HTTP, the password is never stored or audited in clear, and bad input changes
 * nothing.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configOrThrow, loadConfig } from '../../src/config/index.js';
import { createGatehouse } from '../../src/create-gatehouse.js';
import { CLI_BIN, childEnv, HOOK_ENV, REPO_ROOT, writeTempConfig, type TempConfig } from '../cli/helpers.js';

const PASSWORD = 'a long and unguessable passphrase 42';

let cfg: TempConfig;

/** Runs `gatehouse ARGS --config FILE` with `stdin` piped in (and then closed). */
function cli(args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args, '--config', cfg.file], {
      cwd: REPO_ROOT,
      env: childEnv(HOOK_ENV),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin ?? '');
  });
}

async function signInOverHttp(person: string, password: string) {
  const config = configOrThrow(loadConfig(cfg.file, { ...process.env, ...HOOK_ENV }));
  const gh = await createGatehouse({ config, logger: false, timers: false });
  try {
    const r = await gh.http.inject({
      method: 'POST',
      url: '/v1/session',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ person, password }),
    });
    return { status: r.statusCode, json: r.json<Record<string, unknown>>(), cookie: r.headers['set-cookie'] };
  } finally {
    await gh.close();
  }
}

beforeAll(() => {
  cfg = writeTempConfig({ contacts: 30 });
});
afterAll(() => cfg?.cleanup());

describe('gatehouse people', { timeout: 90_000 }, () => {
  it('set-password --password-stdin, then the person can sign in to the dashboard', async () => {
    const r = await cli(['people', 'set-password', 'sam', '--password-stdin'], `${PASSWORD}\nsecond line ignored\n`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Password set for sam/);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);

    const ok = await signInOverHttp('sam', PASSWORD);
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ person: { id: 'sam' } });
    expect(String(ok.cookie)).toMatch(/^gh_session=/);
    expect((await signInOverHttp('sam', `${PASSWORD}\nsecond line ignored`)).status).toBe(401);

    // Stored as a scrypt hash only: the clear password is nowhere in the database file.
    expect(readFileSync(cfg.dbPath).includes(Buffer.from(PASSWORD))).toBe(false);
  });

  it('the change is audited (who, whom), without the password', async () => {
    const r = await cli(['audit', 'export', '--format', 'jsonl']);
    expect(r.code, r.stderr).toBe(0);
    const entries = r.stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { type?: string; actor?: string; subject?: string });
    const set = entries.filter((e) => e.type === 'person.password_set');
    expect(set).toHaveLength(1);
    expect(set[0]).toMatchObject({ subject: 'sam', actor: expect.stringMatching(/^cli:/) });
    expect(r.stdout).not.toContain(PASSWORD);
  });

  it('list shows roles and who has a password', async () => {
    const r = await cli(['people', 'list', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; roles: string[]; password_set: boolean });
    expect(rows.map((p) => [p.id, p.password_set])).toEqual([
      ['maria', false],
      ['sam', true],
      ['lee', false],
      ['ana', false],
    ]);
    expect(rows.find((p) => p.id === 'sam')?.roles).toEqual(['approver', 'responder']);
    const text = await cli(['people', 'list']);
    expect(text.stdout).toMatch(/^sam .*approver,responder.*password set/m);
    expect(text.stdout).toMatch(/^lee .*no password/m);
  });

  it('refuses a short password, an unknown person and a non-terminal stdin without --password-stdin; nothing changes', async () => {
    const short = await cli(['people', 'set-password', 'lee', '--password-stdin'], 'short\n');
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/at least 12 characters/);

    const unknown = await cli(['people', 'set-password', 'zed', '--password-stdin'], `${PASSWORD}\n`);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no person 'zed'.*maria/);

    const noTty = await cli(['people', 'set-password', 'lee'], `${PASSWORD}\n`);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toMatch(/--password-stdin/);

    expect((await signInOverHttp('lee', PASSWORD)).status).toBe(401);
  });
});
