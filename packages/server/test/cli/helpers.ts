/**
 * Running the real `gatehouse` CLI as a child process, the way a user does, and temp copies of
 * the example config that keep every file (storage, audit key, sandbox CRM) inside a temp dir.
 *
 * Children always run from the TypeScript sources (GATEHOUSE_FROM_SOURCE), so a stale `dist/`
 * can never make these tests pass or fail for the wrong code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const SERVER_ROOT = resolve(REPO_ROOT, 'packages/server');
export const CLI_BIN = resolve(SERVER_ROOT, 'bin/gatehouse.js');
export const EXAMPLE_CONFIG = resolve(REPO_ROOT, '../shared/gatehouse.example.yaml');
export const FIXTURES = resolve(SERVER_ROOT, 'test/fixtures');

/**
 * How much slower than an idle machine this one is now (1-minute load per CPU, 1 to 3). Every
 * child pays ~2 s of CPU to start from sources (tsx), so time budgets are stated for an idle
 * machine and stretched by this factor instead of flaking on a busy one.
 */
export const SLOWDOWN = Math.min(3, Math.max(1, (loadavg()[0] ?? 0) / availableParallelism()));
export const scaled = (ms: number) => Math.round(ms * SLOWDOWN);

/** Every example config needs it (`${HOOK_SECRET}` in notifications). */
export const HOOK_ENV = { HOOK_SECRET: 'test-hook-secret' } as const;

export interface CliResult {
  /** Exit code; null when the process was ended by a signal (see `signal`). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export interface CliOptions {
  /** Added to a clean copy of the test process's environment; `undefined` removes a variable. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** The child is killed (SIGKILL) after this long; default 30 s, scaled. */
  readonly timeoutMs?: number;
}

/** The environment a child sees: ours, minus anything that would redirect its config, plus `extra`. */
export function childEnv(extra: CliOptions['env'] = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GATEHOUSE_FROM_SOURCE: '1', NO_COLOR: '1' };
  delete env.GATEHOUSE_CONFIG;
  delete env.HOOK_SECRET;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Starts `gatehouse ARGS` without waiting for it; the caller owns the process. */
export function spawnCli(args: readonly string[], opts: CliOptions = {}): ChildProcess {
  return spawn(process.execPath, [CLI_BIN, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: childEnv(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs `gatehouse ARGS` to completion (bounded by `timeoutMs`) and collects its output. */
export function runCli(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawnCli(args, opts);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(
      () => {
        timedOut = true;
        child.kill('SIGKILL');
      },
      opts.timeoutMs ?? scaled(30_000),
    );
    child.on('error', (e) => {
      clearTimeout(timer);
      fail(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** Both streams, for assertions that do not care where a message went. */
export const output = (r: CliResult) => `${r.stdout}\n${r.stderr}`;

export interface TempConfig {
  readonly dir: string;
  /** The config file. */
  readonly file: string;
  readonly text: string;
  /** Gatehouse's own SQLite database. */
  readonly dbPath: string;
  readonly signingKeyFile: string;
  /** The sandbox CRM's SQLite database. */
  readonly sandboxPath: string;
  /** Removes the temp dir and everything in it. */
  cleanup(): void;
}

export interface TempConfigOptions {
  /** Sandbox size in contacts (companies and deals scale down with it); default 200. */
  readonly contacts?: number;
  /** Further edits of the rewritten text, e.g. raising a rate limit. */
  readonly edit?: (text: string) => string;
  /** Use this directory instead of a fresh one. */
  readonly dir?: string;
}

/** Replaces `from` (which must occur exactly once) with `to`: a targeted edit that fails loudly. */
export function replaceOnce(text: string, from: string, to: string): string {
  const first = text.indexOf(from);
  if (first < 0) throw new Error(`edit: '${from}' does not occur in the text`);
  if (text.indexOf(from, first + 1) >= 0) throw new Error(`edit: '${from}' occurs more than once`);
  return text.slice(0, first) + to + text.slice(first + from.length);
}

export const exampleText = () => readFileSync(EXAMPLE_CONFIG, 'utf8');

/**
 * The example config with storage, audit key and sandbox moved into a temp dir (absolute paths:
 * relative ones resolve against the process's working directory) and a small sandbox.
 */
export function writeTempConfig(opts: TempConfigOptions = {}): TempConfig {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
  const contacts = opts.contacts ?? 200;
  const dbPath = join(dir, 'gatehouse.db');
  const signingKeyFile = join(dir, 'audit-ed25519.pem');
  const sandboxPath = join(dir, 'sandbox-crm.db');
  let text = exampleText();
  text = replaceOnce(text, 'url: sqlite:./data/gatehouse.db', `url: "sqlite:${dbPath}"`);
  text = replaceOnce(text, 'signing_key_file: ./data/audit-ed25519.pem', `signing_key_file: "${signingKeyFile}"`);
  text = replaceOnce(
    text,
    'size: { contacts: 5000, companies: 800, deals: 1200 }',
    `size: { contacts: ${contacts}, companies: ${Math.max(10, Math.round(contacts / 6))}, deals: ${Math.max(10, Math.round(contacts / 4))} }\n    path: "${sandboxPath}"`,
  );
  if (opts.edit) text = opts.edit(text);
  const file = join(dir, 'gatehouse.yaml');
  writeFileSync(file, text);
  return {
    dir,
    file,
    text,
    dbPath,
    signingKeyFile,
    sandboxPath,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** 1-based line of the first occurrence of `needle` in `text`. */
export function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`'${needle}' does not occur in the text`);
  return text.slice(0, at).split('\n').length;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ServeProcess {
  readonly child: ChildProcess;
  /** The bound address, e.g. http://127.0.0.1:41234. */
  readonly address: string;
  /** What the server has printed so far. */
  output(): string;
  /** Sends `signal` and waits for the exit (SIGKILL after `graceMs` if it hangs). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const LISTENING = /Gatehouse listening on (http:\/\/\S+)/;

/** Starts `gatehouse serve` and resolves once it prints the address it listens on. */
export function startServe(
  configFile: string,
  opts: CliOptions & { port?: number; logLevel?: string } = {},
): Promise<ServeProcess> {
  const args = ['serve', '--config', configFile, '--port', String(opts.port ?? 0)];
  args.push('--log-level', opts.logLevel ?? 'warn');
  const child = spawnCli(args, opts);
  const startMs = opts.timeoutMs ?? scaled(20_000);
  let text = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal })),
  );
  return new Promise((done, fail) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      child.kill('SIGKILL');
      fail(new Error(`gatehouse serve did not start within ${startMs} ms:\n${text}`));
    }, startMs);
    const onData = (s: string) => {
      text = (text + s).slice(-64_000);
      const m = LISTENING.exec(text);
      if (m && !settled) {
        settled = true;
        clearTimeout(timer);
        done({
          child,
          address: m[1]!,
          output: () => text,
          async stop(signal = 'SIGTERM', graceMs = 10_000) {
            if (child.exitCode !== null || child.signalCode !== null) return exited;
            child.kill(signal);
            const hard = setTimeout(() => child.kill('SIGKILL'), graceMs);
            const r = await exited;
            clearTimeout(hard);
            return r;
          },
        });
      }
    };
    child.stdout?.setEncoding('utf8').on('data', onData);
    child.stderr?.setEncoding('utf8').on('data', onData);
    void exited.then(({ code, signal }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fail(new Error(`gatehouse serve exited (code ${code}, signal ${signal}) before listening:\n${text}`));
    });
  });
}
