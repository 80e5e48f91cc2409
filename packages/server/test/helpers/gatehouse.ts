/**
 * A whole Gatehouse in process for tests: the example config rewritten into a temp dir (SQLite
 * storage, a small seeded sandbox), keys for every agent and person, and `inject` through the
 * real HTTP app. Nothing listens on a port; `close()` removes the temp dir.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configOrThrow, loadConfig, type CompiledConfig } from '../../src/config/index.js';
import type { ManualClock } from '../../src/core/clock.js';
import { createKey } from '../../src/core/key-admin.js';
import { createGatehouse, type Gatehouse } from '../../src/create-gatehouse.js';

/** The repository root (this file is packages/server/test/helpers/gatehouse.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** The shared contract files live beside the repository: `../shared` from its root. */
export const SHARED_DIR = join(REPO_ROOT, '..', 'shared');
export const EXAMPLE_CONFIG_PATH = join(SHARED_DIR, 'gatehouse.example.yaml');
export const CONTRACT_SMOKE_PATH = join(SHARED_DIR, 'contract-smoke.mjs');
export const CLI_PATH = join(REPO_ROOT, 'packages', 'server', 'bin', 'gatehouse.js');

/** Stands for the test's temp dir in config texts; replaced by `startTestGatehouse`. */
export const DIR_PLACEHOLDER = '{{dir}}';
/** The example's webhook reads `${HOOK_SECRET}`; tests load it with this value. */
export const HOOK_SECRET = 'test-hook-secret';

function replaceOnce(text: string, pattern: RegExp, replacement: string, what: string): string {
  if (!pattern.test(text)) throw new Error(`the example config no longer has ${what} (${pattern.source})`);
  return text.replace(pattern, replacement);
}

/**
 * The example config with only the storage url, the signing key file and the sandbox's path and
 * size rewritten; everything else (agents, policies, notifications) exactly as shipped.
 */
export function exampleConfigText(opts: { dir?: string; contacts?: number; storageUrl?: string } = {}): string {
  const dir = opts.dir ?? DIR_PLACEHOLDER;
  const contacts = opts.contacts ?? 300;
  const companies = Math.max(10, Math.round(contacts / 6));
  const deals = Math.max(10, Math.round(contacts / 4));
  let text = readFileSync(EXAMPLE_CONFIG_PATH, 'utf8');
  text = replaceOnce(
    text,
    /^([ \t]*url:[ \t]*)sqlite:\S+/m,
    `$1"${opts.storageUrl ?? `sqlite:${dir}/gatehouse.db`}"`,
    'storage.url',
  );
  text = replaceOnce(
    text,
    /^([ \t]*signing_key_file:[ \t]*)\S+/m,
    `$1"${dir}/audit-ed25519.pem"`,
    'audit.signing_key_file',
  );
  text = replaceOnce(
    text,
    /^([ \t]*)size:[ \t]*\{[^}]*\}/m,
    `$1size: { contacts: ${contacts}, companies: ${companies}, deals: ${deals} }\n$1path: "${dir}/sandbox-crm.db"`,
    'connectors.crm.size',
  );
  return text;
}

export interface InjectResult {
  status: number;
  // Tests read arbitrary wire shapes; `any` keeps assertions terse.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
  headers: Record<string, unknown>;
  body: string;
}

export interface TestGatehouse {
  readonly gh: Gatehouse;
  readonly config: CompiledConfig;
  readonly dir: string;
  readonly configPath: string;
  /** Token per agent id and per person id. */
  readonly keys: Record<string, string>;
  inject(method: string, url: string, key?: string, body?: unknown): Promise<InjectResult>;
  close(): Promise<void>;
}

export interface TestGatehouseOptions {
  /** A config text; `{{dir}}` stands for the temp dir. Default: `exampleConfigText()`. */
  configText?: string;
  /** Overrides the storage url of the default config. */
  storageUrl?: string;
  clock?: ManualClock;
  /** Sandbox size of the default config (default 300). */
  contacts?: number;
}

export async function startTestGatehouse(opts: TestGatehouseOptions = {}): Promise<TestGatehouse> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-test-'));
  try {
    const text = (
      opts.configText ??
      exampleConfigText({
        ...(opts.contacts !== undefined ? { contacts: opts.contacts } : {}),
        ...(opts.storageUrl !== undefined ? { storageUrl: opts.storageUrl } : {}),
      })
    ).replaceAll(DIR_PLACEHOLDER, dir);
    const configPath = join(dir, 'gatehouse.yaml');
    writeFileSync(configPath, text);
    const config = configOrThrow(loadConfig(configPath, { ...process.env, HOOK_SECRET }));
    const gh = await createGatehouse({
      config,
      logger: false,
      timers: false,
      ...(opts.clock ? { clock: opts.clock } : {}),
    });

    const keyDeps = {
      storage: gh.storage,
      clock: gh.pipeline.clock,
      agentIds: new Set(config.agents.map((a) => a.id)),
      personIds: new Set(config.people.map((p) => p.id)),
      newId: gh.pipeline.newId,
    };
    const keys: Record<string, string> = {};
    for (const a of config.agents) {
      keys[a.id] = (await createKey(keyDeps, { kind: 'agent', subject: a.id, actor: 'system:test' })).token;
    }
    for (const p of config.people) {
      keys[p.id] = (await createKey(keyDeps, { kind: 'person', subject: p.id, actor: 'system:test' })).token;
    }

    return {
      gh,
      config,
      dir,
      configPath,
      keys,
      async inject(method, url, key, body) {
        const res = await gh.http.inject({
          method: method as 'GET',
          url,
          headers: {
            ...(key ? { authorization: `Bearer ${key}` } : {}),
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
        });
        let json: unknown;
        try {
          json = res.json();
        } catch {
          json = undefined;
        }
        return { status: res.statusCode, json, headers: res.headers, body: res.body };
      },
      async close() {
        try {
          await gh.close();
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** The `{ error: { code, message, request_id } }` shape every error answer has. */
export function isErrorShape(json: unknown): boolean {
  const e = (json as { error?: Record<string, unknown> } | undefined)?.error;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.code === 'string' &&
    /^[a-z][a-z0-9_]*$/.test(e.code) &&
    typeof e.message === 'string' &&
    e.message.length > 0 &&
    typeof e.request_id === 'string' &&
    e.request_id.length > 0
  );
}
