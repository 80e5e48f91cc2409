/**
 * End to end: the real CLI serves the example config (rewritten into a temp dir), keys come from
 * `gatehouse keys create`, and the shared contract smoke script must pass against it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLI_PATH, CONTRACT_SMOKE_PATH, exampleConfigText, HOOK_SECRET, REPO_ROOT } from '../helpers/gatehouse.js';

const env = { ...process.env, HOOK_SECRET, NO_COLOR: '1' };

interface Run {
  code: number | null;
  out: string;
}

/** Runs a process to completion with a hard deadline; answers its exit code and combined output. */
function run(args: string[], opts: { timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: opts.env ?? env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      out += `\n[killed after ${opts.timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

let dir: string;
let configPath: string;
let server: ChildProcess | undefined;
let serverLog = '';
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gh-smoke-'));
  configPath = join(dir, 'gatehouse.yaml');
  writeFileSync(configPath, exampleConfigText({ dir, contacts: 300 }));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(
    process.execPath,
    [CLI_PATH, 'serve', '--config', configPath, '--port', String(port), '--log-level', 'warn'],
    {
      cwd: REPO_ROOT,
      env,
    },
  );
  server.stdout?.on('data', (d: Buffer) => (serverLog += d.toString()));
  server.stderr?.on('data', (d: Buffer) => (serverLog += d.toString()));

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the server exited (${server.exitCode}):\n${serverLog}`);
    const ok = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`the server did not answer /healthz within 30 s:\n${serverLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 45_000);

afterAll(async () => {
  if (server) await stop(server);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function cliKey(flag: '--agent' | '--person', id: string): Promise<string> {
  const r = await run([CLI_PATH, 'keys', 'create', flag, id, '--json', '--config', configPath], { timeoutMs: 30_000 });
  expect(r.code, r.out).toBe(0);
  const line = r.out.split('\n').find((l) => l.trim().startsWith('{'));
  const token = line ? (JSON.parse(line) as { token?: string }).token : undefined;
  expect(token, r.out).toMatch(/^gh_(agent|person)_/);
  return token!;
}

it('the shared contract smoke script passes against the real server', async () => {
  const [router, subject, auditor] = await Promise.all([
    cliKey('--agent', 'lead-router'),
    cliKey('--agent', 'subject-optimizer'),
    cliKey('--person', 'ana'),
  ]);
  const smoke = await run([CONTRACT_SMOKE_PATH], {
    timeoutMs: 30_000,
    env: { ...env, GATEHOUSE_URL: base, ROUTER_KEY: router, SUBJECT_KEY: subject, AUDITOR_KEY: auditor },
  });
  expect(smoke.code, `contract-smoke output:\n${smoke.out}\nserver log:\n${serverLog}`).toBe(0);
  expect(smoke.out).toMatch(/\d+ passed, 0 failed/);
}, 60_000);
