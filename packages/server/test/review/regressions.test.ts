/**
 * Regressions found by the review of the MCP server, shadow scoring, replicas and the dashboard
 * API: each was a silent success or an unaudited refusal, kept here so it stays fixed.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HOOK_ENV, output, runCli, scaled, writeTempConfig, type TempConfig } from '../cli/helpers.js';
import { isErrorShape, startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { agentWrites, allRecords, crmOf, inUsCa } from '../helpers/sandbox.js';

vi.setConfig({ testTimeout: scaled(60_000) });

let t: TestGatehouse;
let base: string;
const clients: Client[] = [];
const configs: TempConfig[] = [];

beforeAll(async () => {
  t = await startTestGatehouse({ contacts: 200 });
  base = await t.gh.listen(0);
});
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await t?.close();
  configs.forEach((c) => c.cleanup());
});

describe('HTTP', () => {
  /**
   * BUG: GET /v1/policies/dry-run?rule=nope answered 200 with an empty report, so a typo in a
   * rule id read as "the rule matched nothing". Fix (http/routes/shadow.ts): a rule that is not
   * in the config and has no evaluations in the period is 400 invalid_query naming it.
   */
  it('a dry-run report for a rule that does not exist is a 400 naming it', async () => {
    const r = await t.inject('GET', '/v1/policies/dry-run?rule=nope', t.keys.maria);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('invalid_query');
    expect(r.json.error.message).toContain("'nope'");
    const ok = await t.inject('GET', '/v1/policies/dry-run?rule=no-pricing-by-agents', t.keys.maria);
    expect(ok.status).toBe(200);
  });

  /**
   * BUG: GET /v1/breakers and /v1/breakers/:id/incidents ignored their query string, so
   * `?limit=-1` or `?limit=99999999999` answered 200 as if honoured. Fix (http/routes/breakers.ts):
   * both take no parameters and say so, like every other dashboard read.
   */
  it.each(['/v1/breakers?limit=-1', '/v1/breakers/ctr-drop/incidents?limit=99999999999'])(
    '%s → 400 naming the unknown field',
    async (url) => {
      const r = await t.inject('GET', url, t.keys.maria);
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe('invalid_query');
      expect(r.json.error.message).toContain('limit');
      expect(isErrorShape(r.json)).toBe(true);
    },
  );

  /**
   * BUG: a look-back that parses but reaches before year 0 (`since=9999999d`) was a 500
   * storage_invalid_input ("since must be an ISO-8601 UTC timestamp … got -025353-…"). Fix
   * (http/routes/shadow.ts, cli/commands/shadow.ts): durations are capped at 3650d, a 400 beyond.
   */
  it.each([
    '/v1/agents/lead-router/shadow?since=9999999d',
    '/v1/agents/lead-router/shadow?window=99999999d',
    '/v1/policies/dry-run?since=9999999d',
  ])('%s → 400 naming the limit', async (url) => {
    const r = await t.inject('GET', url, t.keys.maria);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('invalid_query');
    expect(r.json.error.message).toContain('3650d');
  });
});

describe('MCP', () => {
  /**
   * BUG: over MCP a write to a field outside the grant was refused by the tool's input schema
   * before the pipeline, so no action and no audit entry recorded the attempt; the same request
   * over POST /v1/actions is a denied action in the audit log. Fix (mcp/server.ts): a write whose
   * only fault is a non-writable field goes through submitAction and is denied there.
   */
  it('a write to a non-writable field is a denied, audited action, as over HTTP', async () => {
    const client = new Client({ name: 'review-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', base), {
        requestInit: { headers: { authorization: `Bearer ${t.keys['lead-router']!}` } },
      }),
    );
    clients.push(client);
    const rec = (await allRecords(crmOf(t.gh), 'contacts')).filter(inUsCa)[3]!;
    const before = (await t.inject('GET', '/v1/actions?agent=lead-router&status=denied', t.keys.maria)).json.results
      .length as number;

    const r = (await client.callTool({
      name: 'contacts_update',
      arguments: { records: [{ id: rec.id, changes: { lifecyclestage: 'customer' } }], reason: 'review: field' },
    })) as CallToolResult;
    expect(r.isError).toBe(true);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const s = r.structuredContent as any;
    expect(s.error.code).toBe('field_not_writable');
    expect(s.error.details.writable).toEqual(['owner_id']);
    expect(s.status).toBe('denied');
    expect(s.audit_event_id).toMatch(/^aud_\d+/);

    const after = await t.inject('GET', '/v1/actions?agent=lead-router&status=denied', t.keys.maria);
    expect(after.json.results.length).toBe(before + 1);
    expect(after.json.results[0].id).toBe(s.action_id);
    expect(await agentWrites(crmOf(t.gh), 'contacts', rec.id, 'lead-router')).toHaveLength(0);

    // Anything else wrong (here an argument naming another connector) is refused before the pipeline.
    const other = (await client.callTool({
      name: 'contacts_update',
      arguments: { records: [{ id: rec.id, changes: { lifecyclestage: 'x' } }], reason: 'r', connector: 'erp' },
    })) as CallToolResult;
    expect(other.isError).toBe(true);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expect((other.structuredContent as any).action_id).toBeUndefined();
    const last = await t.inject('GET', '/v1/actions?agent=lead-router&status=denied', t.keys.maria);
    expect(last.json.results.length).toBe(before + 1);
  });
});

describe('MCP over stdio', () => {
  /**
   * BUG: a stdin line that is not JSON-RPC got no answer and left no trace (the SDK drops it), so
   * a misconfigured client just hung. Fix (mcp/stdio.ts): the server's protocol errors go to
   * logError (stderr in `gatehouse mcp`); the next valid line is still answered.
   */
  it('a garbage line is reported to logError and the session keeps serving', async () => {
    const { PassThrough } = await import('node:stream');
    const { serveStdio } = await import('../../src/mcp/stdio.js');
    const { agentFor } = await import('../../src/core/pipeline/index.js');
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const errors: unknown[] = [];
    const session = await serveStdio(
      { pipeline: t.gh.pipeline, version: 'test', logError: (e) => errors.push(e) },
      agentFor(t.gh.pipeline, 'lead-router'),
      { stdin, stdout },
    );
    try {
      const answered = new Promise<string>((resolve) => stdout.once('data', (b: Buffer) => resolve(b.toString())));
      stdin.write('garbage\n');
      stdin.write('{"jsonrpc":"2.0","id":7,"method":"tools/list"}\n');
      const line = await answered;
      expect(JSON.parse(line).id).toBe(7);
      expect(errors.length).toBeGreaterThan(0);
      expect(String(errors[0])).toContain('JSON');
    } finally {
      await session.close('test over');
    }
  });
});

describe('CLI', () => {
  const cfg = () => {
    const c = writeTempConfig();
    configs.push(c);
    return c;
  };

  /** BUG: `policy dry-run-report --rule nope` exited 0 saying no rule has mode dry_run. */
  it('policy dry-run-report --rule with an unknown rule exits 2 naming it', async () => {
    const c = cfg();
    const r = await runCli(['policy', 'dry-run-report', '--rule', 'nope', '--config', c.file], { env: HOOK_ENV });
    expect(r.code, output(r)).toBe(2);
    expect(r.stderr).toContain("no policy rule 'nope'");
    expect(output(r)).not.toMatch(/\n\s+at /);
  });

  /** BUG: `gatehouse mcp|serve --log-level banana` crashed with pino's stack trace. */
  it.each([
    ['mcp', '--key', 'gh_agent_x'],
    ['serve', '--port', '0'],
  ])('%s --log-level that is not a level exits with a usage error, no stack', async (...command) => {
    const c = cfg();
    const r = await runCli([...command, '--log-level', 'banana', '--config', c.file], { env: HOOK_ENV });
    expect(r.code, output(r)).toBe(1);
    expect(r.stderr).toContain("argument 'banana' is invalid");
    expect(output(r)).not.toMatch(/\n\s+at /);
  });

  /**
   * BUG: `agents promote --override-reason ""` was taken as no override and refused on the
   * criteria; over HTTP an empty override_reason is a 400. Now a usage error, like HTTP.
   */
  it('agents promote with a blank --override-reason is a usage error', async () => {
    const c = cfg();
    const r = await runCli(
      [
        'agents',
        'promote',
        'lead-router',
        '--to',
        'autonomous',
        '--as',
        'maria',
        '--override-reason',
        '  ',
        '--config',
        c.file,
      ],
      { env: HOOK_ENV },
    );
    expect(r.code, output(r)).toBe(2);
    expect(r.stderr).toContain('--override-reason needs a written reason');
  });

  it.each([
    ['shadow', 'report', '--since', '9999999d'],
    ['policy', 'dry-run-report', '--since', '9999999d'],
  ])('%s %s %s %s is a usage error naming the limit', async (...args) => {
    const c = cfg();
    const r = await runCli([...args, '--config', c.file], { env: HOOK_ENV });
    expect(r.code, output(r)).toBe(1);
    expect(r.stderr).toContain('must be at most 3650d');
  });

  /** BUG: `shadow report --operation garbage` exited 0 with an empty report; HTTP refuses it. */
  it('shadow report --operation that is not object.operation exits 2', async () => {
    const c = cfg();
    const r = await runCli(['shadow', 'report', '--operation', 'garbage', '--config', c.file], { env: HOOK_ENV });
    expect(r.code, output(r)).toBe(2);
    expect(r.stderr).toContain("'object.operation'");
  });
});

describe('an unknown paging cursor is a caller mistake', () => {
  /**
   * Was a 500 storage_invalid_input ("afterId nope is not a known action"), naming an internal
   * field: the storage port treated a caller's cursor as a programming error.
   */
  it.each(['/v1/actions?after=nope', '/v1/approvals?after=nope'])('%s is a 400 invalid_cursor', async (url) => {
    const r = await t.inject('GET', url, t.keys.maria);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('invalid_cursor');
    expect(r.json.error.message).toMatch(/^after: no (action|approval) 'nope'/);
  });
});

describe('dashboard pages', () => {
  /** Was: no X-Frame-Options or frame-ancestors, so a page could frame the decision buttons. */
  it.each(['/', '/approvals/apr_x'])('%s may not be framed', async (url) => {
    const r = await t.gh.http.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });
});
