/**
 * The per-agent tool catalog and outcome mapping, in process (the MCP SDK's in-memory transport):
 * field types from the connector schema, typed values written as the CRM's strings, operations
 * with params, observe mode (shadowed, not an error) and a paused agent (a coded tool error).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrmRecord } from '../../src/core/ports/connector.js';
import { agentFor } from '../../src/core/pipeline/index.js';
import { createMcpServer } from '../../src/mcp/server.js';
import { toolsFor } from '../../src/mcp/tools.js';
import { exampleConfigText, startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { allRecords, crmOf } from '../helpers/sandbox.js';

const FIELD_OPS = `
  - id: field-ops
    owner: maria
    mode: autonomous
    grants:
      - connector: crm
        objects: [contacts]
        operations: [read, update]
        read_fields: [country, lifecyclestage, lead_score, hs_email_optout]
        write_fields: [lifecyclestage, lead_score, hs_email_optout]
      - connector: crm
        objects: [sequences]
        operations: [enroll]
`;

let t: TestGatehouse;
let contacts: CrmRecord[];

async function connect(agentId: string): Promise<Client> {
  const server = createMcpServer({ pipeline: t.gh.pipeline, version: 'test' }, agentFor(t.gh.pipeline, agentId));
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'gatehouse-test', version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const structured = (r: unknown): any => (r as CallToolResult).structuredContent;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const schemaOf = (tools: Tool[], name: string): any => tools.find((x) => x.name === name)?.inputSchema;

beforeAll(async () => {
  const text = exampleConfigText({ contacts: 60 }).replace(
    '\n# Policies are checked',
    `${FIELD_OPS}\n# Policies are checked`,
  );
  expect(text).toContain('id: field-ops');
  t = await startTestGatehouse({ configText: text });
  contacts = await allRecords(crmOf(t.gh), 'contacts');
});
afterAll(async () => {
  await t?.close();
});

describe('the catalog', () => {
  it('types write fields from the connector schema and gives operations their params', async () => {
    const client = await connect('field-ops');
    const { tools } = await client.listTools();
    expect(tools.map((x) => x.name).sort()).toEqual(
      [
        'contacts_get',
        'contacts_list',
        'contacts_search',
        'contacts_update',
        'gatehouse_action_status',
        'gatehouse_wait_for_action',
        'sequences_enroll',
      ].sort(),
    );
    const changes = schemaOf(tools, 'contacts_update').properties.records.items.properties.changes;
    expect(Object.keys(changes.properties).sort()).toEqual(['hs_email_optout', 'lead_score', 'lifecyclestage']);
    expect(JSON.stringify(changes.properties.lifecyclestage)).toContain('marketingqualifiedlead');
    expect(JSON.stringify(changes.properties.lead_score)).toContain('"number"');
    expect(JSON.stringify(changes.properties.hs_email_optout)).toContain('"boolean"');

    const enroll = schemaOf(tools, 'sequences_enroll');
    expect(enroll.additionalProperties).toBe(false);
    expect(Object.keys(enroll.properties).sort()).toEqual(['idempotency_key', 'params', 'reason', 'target']);
    expect(enroll.properties.params.additionalProperties).toBe(false);
    expect(Object.keys(enroll.properties.params.properties)).toEqual(['contact_ids']);
    await client.close();
  });

  it('writes typed values as the CRM strings, and names a wrong enum value by its path', async () => {
    const client = await connect('field-ops');
    const rec = contacts[3]!;
    const r = await client.callTool({
      name: 'contacts_update',
      arguments: {
        records: [{ id: rec.id, changes: { lead_score: 55, hs_email_optout: true } }],
        reason: 'typed values',
      },
    });
    expect(r.isError, JSON.stringify(r)).toBeFalsy();
    expect(structured(r).status).toBe('executed');
    const now = await crmOf(t.gh).get('contacts', rec.id);
    expect(now?.properties.lead_score).toBe('55');
    expect(now?.properties.hs_email_optout).toBe('true');

    const bad = await client.callTool({
      name: 'contacts_update',
      arguments: { records: [{ id: rec.id, changes: { lifecyclestage: 'king' } }], reason: 'bad enum' },
    });
    expect(bad.isError).toBe(true);
    expect(structured(bad).error.code).toBe('invalid_request');
    expect(structured(bad).error.message).toContain('records[0].changes.lifecyclestage');
    await client.close();
  });
});

describe('names', () => {
  it('prefix the connector when the grants span several, so names never collide', () => {
    const agent = agentFor(t.gh.pipeline, 'lead-router');
    const crm = crmOf(t.gh);
    const connectors = new Map([
      ['crm', crm],
      ['crm2', crm],
    ]);
    const single = toolsFor(agent, { connectors }).map((x) => x.name);
    expect(single).toContain('contacts_update');
    const twice = { ...agent, grants: [...agent.grants, ...agent.grants.map((g) => ({ ...g, connector: 'crm2' }))] };
    const names = toolsFor(twice, { connectors }).map((x) => x.name);
    expect(names).toEqual(expect.arrayContaining(['crm_contacts_update', 'crm2_contacts_update', 'crm2_contacts_get']));
    expect(new Set(names).size).toBe(names.length);
    expect(names).not.toContain('contacts_update');
  });
});

describe('outcomes', () => {
  it('observe mode: a write is shadowed, a normal result that says nothing was executed', async () => {
    const client = await connect('subject-optimizer');
    const emails = await client.callTool({ name: 'marketing_emails_list', arguments: { limit: 1 } });
    const id = structured(emails).results[0].id as string;
    const r = await client.callTool({
      name: 'marketing_emails_update',
      arguments: { records: [{ id, changes: { subject: 'A better subject' } }], reason: 'observe test' },
    });
    expect(r.isError, JSON.stringify(r)).toBeFalsy();
    expect(structured(r).status).toBe('shadowed');
    expect(structured(r).changeset.records[0].after.subject).toBe('A better subject');
    const email = await crmOf(t.gh).get('marketing_emails', id);
    expect(email?.properties.subject).not.toBe('A better subject');
    await client.close();
  });

  it('a paused agent gets a tool error with agent_paused; reads still work', async () => {
    const paused = await t.inject('POST', '/v1/agents/field-ops/mode', t.keys.maria, { mode: 'paused' });
    expect(paused.status, paused.body).toBeLessThan(300);
    const client = await connect('field-ops');
    const r = await client.callTool({
      name: 'contacts_update',
      arguments: { records: [{ id: contacts[4]!.id, changes: { lead_score: 1 } }], reason: 'while paused' },
    });
    expect(r.isError).toBe(true);
    expect(structured(r).error.code).toBe('agent_paused');
    const read = await client.callTool({ name: 'contacts_list', arguments: { limit: 2 } });
    expect(read.isError).toBeFalsy();
    await client.close();
  });
});
