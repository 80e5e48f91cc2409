/**
 * `gatehouse mcp` as a desktop client runs it: the real CLI as a child process (from sources),
 * the official MCP SDK client on its stdin/stdout. A person approves from another process with
 * `gatehouse approvals approve` while the agent waits; the process ends cleanly when the client
 * closes stdin, with a final audit checkpoint.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorage } from '../../src/adapters/storage/index.js';
import { configOrThrow, loadConfig } from '../../src/config/index.js';
import type { CrmRecord } from '../../src/core/ports/connector.js';
import { createKey } from '../../src/core/key-admin.js';
import { createGatehouse } from '../../src/create-gatehouse.js';
import { allRecords, crmOf, inUsCa } from '../helpers/sandbox.js';
import {
  CLI_BIN,
  HOOK_ENV,
  childEnv,
  output,
  runCli,
  scaled,
  writeTempConfig,
  type TempConfig,
} from '../cli/helpers.js';

let cfg: TempConfig;
const keys: Record<string, string> = {};
let contacts: CrmRecord[];
let draftCampaign: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const structured = (r: unknown): any => (r as CallToolResult).structuredContent;

/** Seeds the sandbox, migrates and creates keys in process; the children then open the same files. */
beforeAll(async () => {
  cfg = writeTempConfig({ contacts: 120 });
  const config = configOrThrow(loadConfig(cfg.file, { ...process.env, ...HOOK_ENV }));
  const gh = await createGatehouse({ config, logger: false, timers: false });
  try {
    const deps = {
      storage: gh.storage,
      clock: gh.pipeline.clock,
      agentIds: new Set(config.agents.map((a) => a.id)),
      personIds: new Set(config.people.map((p) => p.id)),
      newId: gh.pipeline.newId,
    };
    for (const [kind, subject] of [
      ['agent', 'lead-router'],
      ['agent', 'campaign-runner'],
      ['person', 'maria'],
    ] as const) {
      keys[subject] = (await createKey(deps, { kind, subject, actor: 'system:test' })).token;
    }
    contacts = await allRecords(crmOf(gh), 'contacts');
    const campaigns = await allRecords(crmOf(gh), 'campaigns');
    draftCampaign = campaigns.find((c) => c.properties.status === 'draft')!.id;
  } finally {
    await gh.close();
  }
}, 60_000);
afterAll(() => cfg?.cleanup());

function stdioTransport(key: string): { transport: StdioClientTransport; stderr: () => string } {
  const env = Object.fromEntries(
    Object.entries(childEnv({ ...HOOK_ENV, GATEHOUSE_AGENT_KEY: key })).filter(
      (e): e is [string, string] => e[1] !== undefined,
    ),
  );
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI_BIN, 'mcp', '--config', cfg.file],
    env,
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (b: Buffer) => (err += b.toString('utf8')));
  return { transport, stderr: () => err };
}

describe('gatehouse mcp (stdio)', () => {
  it(
    'lists only the grant tools, reads masked records, refuses out-of-scope writes, and shuts down cleanly',
    async () => {
      const { transport, stderr } = stdioTransport(keys['lead-router']!);
      const client = new Client({ name: 'gatehouse-test', version: '1.0.0' });
      // Anything but MCP frames on stdout would surface here as a parse error.
      const protocolErrors: Error[] = [];
      client.onerror = (e) => protocolErrors.push(e);
      await client.connect(transport);
      const pid = transport.pid!;
      try {
        const names = (await client.listTools()).tools.map((t) => t.name);
        expect(names).toContain('contacts_update');
        expect(names.filter((n) => /campaigns|marketing_emails/.test(n))).toEqual([]);

        const list = await client.callTool({ name: 'contacts_list', arguments: { limit: 5 } });
        expect(list.isError, JSON.stringify(list)).toBeFalsy();
        const raw = new Map(contacts.map((c) => [c.id, c]));
        for (const v of structured(list).results as { id: string; properties: Record<string, string | null> }[]) {
          const email = raw.get(v.id)?.properties.email;
          if (email) expect(v.properties.email).not.toBe(email);
        }

        const outside = contacts.find((c) => !inUsCa(c))!;
        const denied = await client.callTool({
          name: 'contacts_update',
          arguments: { records: [{ id: outside.id, changes: { owner_id: 'u_stdio' } }], reason: 'stdio test' },
        });
        expect(denied.isError).toBe(true);
        expect(structured(denied).error.code).toBe('record_out_of_scope');
        expect(structured(denied).action_id).toMatch(/^act_/);
      } finally {
        await client.close();
      }
      // The client ended stdin: the process noticed it (not the SDK's SIGTERM fallback) and exited.
      expect(() => process.kill(pid, 0)).toThrow();
      expect(stderr()).toContain('serving lead-router on stdio');
      expect(stderr()).toContain('the client closed stdin; shutting down');
      expect(protocolErrors).toEqual([]);

      const storage = await openStorage(`sqlite:${cfg.dbPath}`);
      try {
        const head = await storage.audit.head();
        const cp = await storage.audit.latestCheckpoint();
        expect(cp?.lastEntrySeq).toBe(head?.seq);
      } finally {
        await storage.close();
      }
    },
    scaled(60_000),
  );

  it(
    'a gated launch waits for a person; approved from the CLI, the wait tool answers executed; SIGTERM ends it',
    async () => {
      const { transport, stderr } = stdioTransport(keys['campaign-runner']!);
      const client = new Client({ name: 'gatehouse-test', version: '1.0.0' });
      await client.connect(transport);
      const exited = new Promise<void>((resolve) => (client.onclose = resolve));
      try {
        const r = await client.callTool({
          name: 'campaigns_launch',
          arguments: { target: draftCampaign, reason: 'stdio test: launch' },
        });
        expect(r.isError, JSON.stringify(r)).toBeFalsy();
        const pending = structured(r);
        expect(pending.status).toBe('pending_approval');

        const waiting = client.callTool(
          { name: 'gatehouse_wait_for_action', arguments: { action_id: pending.action_id, timeout_seconds: 60 } },
          undefined,
          { timeout: scaled(90_000) },
        );
        const approve = await runCli(
          [
            'approvals',
            'approve',
            pending.approval.id as string,
            '--as',
            'sam',
            '--check',
            'brand-tone,unsubscribe-link,segment-correct',
            '--config',
            cfg.file,
          ],
          { env: HOOK_ENV },
        );
        expect(approve.code, output(approve)).toBe(0);
        const done = await waiting;
        expect(done.isError, JSON.stringify(done)).toBeFalsy();
        expect(structured(done).status).toBe('executed');

        process.kill(transport.pid!, 'SIGTERM');
        await exited;
        expect(stderr()).toContain('SIGTERM; shutting down (final audit checkpoint)');
      } finally {
        await client.close();
      }
    },
    scaled(120_000),
  );

  it(
    'refuses to start without a key, with an unknown key or a person key: a clear message and exit 1',
    async () => {
      const missing = await runCli(['mcp', '--config', cfg.file], {
        env: { ...HOOK_ENV, GATEHOUSE_AGENT_KEY: undefined },
      });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('no agent key');
      expect(missing.stdout).toBe('');

      const unknown = await runCli(['mcp', '--config', cfg.file, '--key', `gh_agent_${'x'.repeat(43)}`], {
        env: HOOK_ENV,
      });
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('[key_invalid]');
      expect(unknown.stdout).toBe('');

      const person = await runCli(['mcp', '--config', cfg.file], {
        env: { ...HOOK_ENV, GATEHOUSE_AGENT_KEY: keys.maria },
      });
      expect(person.code).toBe(1);
      expect(person.stderr).toMatch(/person key.*agent key.*\[forbidden\]/);
    },
    scaled(90_000),
  );

  it('explains itself in --help', async () => {
    const r = await runCli(['mcp', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('GATEHOUSE_AGENT_KEY');
    expect(r.stdout).toContain('gatehouse_wait_for_action');
    expect(r.stdout).toContain('mcpServers');
  });
});
