/**
 * MCP over streamable HTTP, driven by the official MCP SDK client against a Gatehouse listening
 * on 127.0.0.1 (the example config): per-agent tools, masked reads, denials as coded tool errors,
 * and a gated launch that waits for a person and then executes.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrmRecord } from '../../src/core/ports/connector.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { agentWrites, allRecords, crmOf, inUsCa } from '../helpers/sandbox.js';

let t: TestGatehouse;
let base: string;
let contacts: CrmRecord[];
const clients: Client[] = [];

async function connect(key: string): Promise<Client> {
  const client = new Client({ name: 'gatehouse-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', base), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
  });
  await client.connect(transport);
  clients.push(client);
  return client;
}

// Tool results are loosely typed wire values; `any` keeps assertions terse.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const structured = (r: unknown): any => (r as CallToolResult).structuredContent;
const text = (r: unknown) =>
  ((r as CallToolResult).content as { type: string; text?: string }[]).map((c) => c.text ?? '').join('\n');

beforeAll(async () => {
  t = await startTestGatehouse({ contacts: 200 });
  base = await t.gh.listen(0);
  contacts = await allRecords(crmOf(t.gh), 'contacts');
});
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await t?.close();
});

describe('tools follow the grants', () => {
  it('lead-router sees contacts tools only; update may change owner_id and nothing else', async () => {
    const client = await connect(t.keys['lead-router']!);
    const { tools } = await client.listTools();
    const names = tools.map((x) => x.name).sort();
    expect(names).toEqual(
      [
        'contacts_get',
        'contacts_list',
        'contacts_search',
        'contacts_update',
        'gatehouse_action_status',
        'gatehouse_wait_for_action',
      ].sort(),
    );
    expect(names.some((n) => n.startsWith('campaigns') || n.startsWith('marketing_emails'))).toBe(false);

    const byName = new Map(tools.map((x) => [x.name, x]));
    for (const read of ['contacts_list', 'contacts_get', 'contacts_search']) {
      expect(byName.get(read)?.annotations?.readOnlyHint, read).toBe(true);
    }
    const update = byName.get('contacts_update')!;
    expect(update.annotations?.readOnlyHint).toBe(false);
    const schema = update.inputSchema as {
      additionalProperties?: boolean;
      required?: string[];
      properties: Record<string, { items?: { properties: { changes: Record<string, unknown> } } }>;
    };
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties).sort()).toEqual(['idempotency_key', 'reason', 'records']);
    expect(schema.required).toEqual(expect.arrayContaining(['records', 'reason']));
    const changes = schema.properties.records?.items?.properties.changes as {
      additionalProperties: boolean;
      properties: Record<string, unknown>;
    };
    expect(changes.additionalProperties).toBe(false);
    expect(Object.keys(changes.properties)).toEqual(['owner_id']);
    // No field anywhere lets the model claim an approval.
    expect(JSON.stringify(tools)).not.toMatch(/"(confirmed|approved|force)"/);

    // Search filters only on readable, non-personal fields.
    const search = byName.get('contacts_search')!.inputSchema as unknown as {
      properties: { filters: { items: { properties: { property: { enum: string[] } } } } };
    };
    expect(search.properties.filters.items.properties.property.enum.sort()).toEqual(
      ['country', 'lead_score', 'lifecyclestage', 'owner_id'].sort(),
    );
  });

  it('campaign-runner sees campaigns and lists (read, launch, pause), no contacts and no update', async () => {
    const client = await connect(t.keys['campaign-runner']!);
    const names = (await client.listTools()).tools.map((x) => x.name);
    expect(names).toEqual(
      expect.arrayContaining(['campaigns_list', 'campaigns_launch', 'campaigns_pause', 'lists_get']),
    );
    expect(names.some((n) => n.startsWith('contacts') || n.endsWith('_update') || n.startsWith('lists_launch'))).toBe(
      false,
    );
  });
});

describe('reads', () => {
  it('contacts_list answers in-scope records with the email masked, never raw', async () => {
    const client = await connect(t.keys['lead-router']!);
    const r = await client.callTool({ name: 'contacts_list', arguments: { limit: 10 } });
    expect(r.isError, text(r)).toBeFalsy();
    const results = structured(r).results as { id: string; properties: Record<string, string | null> }[];
    expect(results).toHaveLength(10);
    const raw = new Map(contacts.map((c) => [c.id, c]));
    for (const v of results) {
      const rec = raw.get(v.id)!;
      expect(inUsCa(rec)).toBe(true);
      expect(Object.keys(v.properties)).not.toContain('phone');
      if (rec.properties.email) {
        expect(v.properties.email).not.toBe(rec.properties.email);
        expect(v.properties.email).toContain('***');
        expect(text(r)).not.toContain(rec.properties.email);
      }
    }
    expect(structured(r).paging.next.after).toEqual(expect.any(String));
  });

  it('a record outside the segment reads as not found', async () => {
    const client = await connect(t.keys['lead-router']!);
    const outside = contacts.find((c) => !inUsCa(c))!;
    const r = await client.callTool({ name: 'contacts_get', arguments: { id: outside.id } });
    expect(r.isError).toBe(true);
    expect(structured(r).error.code).toBe('record_not_found');
  });
});

describe('writes', () => {
  it('an in-scope owner change executes and answers the change set and outcome', async () => {
    const client = await connect(t.keys['lead-router']!);
    const rec = contacts.find((c) => inUsCa(c) && c.properties.owner_id !== 'u_mcp_1')!;
    const r = await client.callTool({
      name: 'contacts_update',
      arguments: { records: [{ id: rec.id, changes: { owner_id: 'u_mcp_1' } }], reason: 'mcp test: route' },
    });
    expect(r.isError, text(r)).toBeFalsy();
    const s = structured(r);
    expect(s.status).toBe('executed');
    expect(s.action_id).toMatch(/^act_/);
    expect(s.changeset.records[0]).toMatchObject({ id: rec.id, after: { owner_id: 'u_mcp_1' } });
    expect(s.decision.effect).toBe('allow');
    expect(text(r)).toMatch(/^Executed/);
    expect(await agentWrites(crmOf(t.gh), 'contacts', rec.id, 'lead-router', 'owner_id')).toHaveLength(1);
  });

  it('an out-of-scope record is a tool error with record_out_of_scope, the reason and the ids; nothing written', async () => {
    const client = await connect(t.keys['lead-router']!);
    const outside = contacts.find((c) => !inUsCa(c))!;
    const r = await client.callTool({
      name: 'contacts_update',
      arguments: { records: [{ id: outside.id, changes: { owner_id: 'u_mcp_2' } }], reason: 'mcp test: outside' },
    });
    expect(r.isError).toBe(true);
    const s = structured(r);
    expect(s.error.code).toBe('record_out_of_scope');
    expect(s.error.message).toContain(outside.id);
    expect(s.status).toBe('denied');
    expect(s.action_id).toMatch(/^act_/);
    expect(s.audit_event_id).toMatch(/^aud_\d+/);
    expect(text(r)).toContain('record_out_of_scope');
    expect(await agentWrites(crmOf(t.gh), 'contacts', outside.id, 'lead-router')).toHaveLength(0);
  });

  it('a field outside the grant is refused with field_not_writable naming it; a "confirmed" flag is refused too', async () => {
    const client = await connect(t.keys['lead-router']!);
    const rec = contacts.filter(inUsCa)[7]!;
    const r = await client.callTool({
      name: 'contacts_update',
      arguments: { records: [{ id: rec.id, changes: { lifecyclestage: 'customer' } }], reason: 'mcp test: field' },
    });
    expect(r.isError).toBe(true);
    expect(structured(r).error.code).toBe('field_not_writable');
    expect(structured(r).error.message).toContain('contacts.lifecyclestage');
    expect(structured(r).error.details.writable).toEqual(['owner_id']);

    const flagged = await client.callTool({
      name: 'contacts_update',
      arguments: {
        records: [{ id: rec.id, changes: { owner_id: 'u_x' } }],
        reason: 'mcp test: flag',
        confirmed: true,
      },
    });
    expect(flagged.isError).toBe(true);
    expect(structured(flagged).error.code).toBe('invalid_request');
    expect(structured(flagged).error.message).toContain("'confirmed'");
    expect(await agentWrites(crmOf(t.gh), 'contacts', rec.id, 'lead-router')).toHaveLength(0);
  });

  it('a tool the agent was not given is refused', async () => {
    const client = await connect(t.keys['lead-router']!);
    const r = await client.callTool({ name: 'campaigns_launch', arguments: { target: 'x', reason: 'no' } });
    expect(r.isError).toBe(true);
    expect(structured(r).error.code).toBe('unknown_tool');
  });
});

describe('approvals', () => {
  it('a gated launch is pending with its approval id; after a person approves, the wait tool answers executed', async () => {
    const client = await connect(t.keys['campaign-runner']!);
    const drafts = await client.callTool({
      name: 'campaigns_search',
      arguments: { filters: [{ property: 'status', operator: 'EQ', value: 'draft' }], limit: 1 },
    });
    expect(drafts.isError, text(drafts)).toBeFalsy();
    const target = structured(drafts).results[0].id as string;

    const r = await client.callTool({
      name: 'campaigns_launch',
      arguments: { target, reason: 'mcp test: launch the spring campaign' },
    });
    expect(r.isError, text(r)).toBeFalsy();
    const pending = structured(r);
    expect(pending.status).toBe('pending_approval');
    expect(pending.approval.id).toMatch(/^apr_/);
    expect(pending.decision.rules).toContain('launches-need-approval');
    expect(text(r)).toContain('gatehouse_wait_for_action');

    // Nothing has happened yet: a short wait answers still pending.
    const early = await client.callTool({
      name: 'gatehouse_wait_for_action',
      arguments: { action_id: pending.action_id, timeout_seconds: 0.3 },
    });
    expect(structured(early).status).toBe('pending_approval');

    const waiting = client.callTool({
      name: 'gatehouse_wait_for_action',
      arguments: { action_id: pending.action_id, timeout_seconds: 20 },
    });
    const decided = await t.inject('POST', `/v1/approvals/${pending.approval.id}/decision`, t.keys.sam, {
      decision: 'approve',
      comment: 'ok',
      checklist: { 'brand-tone': true, 'unsubscribe-link': true, 'segment-correct': true },
    });
    expect(decided.status, decided.body).toBeLessThan(300);
    const done = await waiting;
    expect(done.isError, text(done)).toBeFalsy();
    expect(structured(done).status).toBe('executed');
    expect(structured(done).action_id).toBe(pending.action_id);

    const status = await client.callTool({
      name: 'gatehouse_action_status',
      arguments: { action_id: pending.action_id },
    });
    expect(structured(status).status).toBe('executed');
  });

  it("another agent's action does not exist to this agent", async () => {
    const runner = await connect(t.keys['campaign-runner']!);
    const actions = await t.gh.storage.actions.list({ agentId: 'lead-router', limit: 1 });
    expect(actions.length).toBe(1);
    const r = await runner.callTool({ name: 'gatehouse_action_status', arguments: { action_id: actions[0]!.id } });
    expect(r.isError).toBe(true);
    expect(structured(r).error.code).toBe('action_not_found');
  });
});

describe('the /mcp endpoint', () => {
  const initialize = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  };
  const post = (key: string | undefined, body: unknown) =>
    fetch(new URL('/mcp', base), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...(key ? { authorization: `Bearer ${key}` } : {}),
      },
      body: JSON.stringify(body),
    });

  it('refuses a missing key, a person key and an unknown key with the JSON error shape', async () => {
    const none = await post(undefined, initialize);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');

    const person = await post(t.keys.maria, initialize);
    expect(person.status).toBe(403);
    const body = (await person.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('forbidden');
    expect(body.error.message).toContain('agent key');

    const unknown = await post(`gh_agent_${'x'.repeat(43)}`, initialize);
    expect(unknown.status).toBe(401);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('key_invalid');
  });

  it('answers GET and DELETE with 405 (stateless) and is listed in the OpenAPI document', async () => {
    for (const method of ['GET', 'DELETE']) {
      const r = await fetch(new URL('/mcp', base), {
        method,
        headers: { authorization: `Bearer ${t.keys['lead-router']}` },
      });
      expect(r.status, method).toBe(405);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('method_not_allowed');
    }
    const doc = await t.inject('GET', '/v1/openapi.json');
    expect(doc.json.paths['/mcp'].post).toBeDefined();
  });
});
