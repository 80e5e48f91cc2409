/**
 * `gatehouse demo`: a self-contained tour on embedded SQLite and the seeded sandbox CRM. Scripted
 * agents talk to the real HTTP API with real keys, exactly as outside agents would.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configOrThrow, loadConfig } from '../config/index.js';
import { createGatehouse, type Gatehouse } from '../create-gatehouse.js';
import { createKey } from '../core/key-admin.js';
import { keyAdminDeps } from './context.js';

export function demoConfig(dir: string, port: number, contacts: number): string {
  const d = resolve(dir);
  return `# Written by \`gatehouse demo\`: the example config with paths inside ${d}.
version: 1
storage: { url: "sqlite:${d}/gatehouse.db" }
server: { listen: "127.0.0.1:${port}", public_url: "http://127.0.0.1:${port}" }
audit: { signing_key_file: "${d}/audit-ed25519.pem", checkpoint_every: 1h }
connectors:
  crm:
    type: sandbox
    seed: 42
    size: { contacts: ${contacts}, companies: ${Math.max(10, Math.round(contacts / 6))}, deals: ${Math.max(10, Math.round(contacts / 4))} }
    path: "${d}/sandbox-crm.db"
people:
  - { id: maria, name: Maria Lopez, email: maria@example.com, roles: [admin, approver] }
  - { id: sam,   name: Sam Chen,    email: sam@example.com,   roles: [approver, responder] }
  - { id: lee,   name: Lee Park,    email: lee@example.com,   roles: [approver] }
  - { id: ana,   name: Ana Ruiz,    email: ana@example.com,   roles: [auditor] }
agents:
  - id: lead-router
    owner: sam
    mode: autonomous
    grants:
      - connector: crm
        objects: [contacts]
        operations: [read, update]
        read_fields: [email, firstname, lifecyclestage, country, owner_id, lead_score]
        write_fields: [owner_id]
        where: "record.country in ['US', 'CA']"
        pii: mask
    limits: { max_batch: 200, actions_per_minute: 120 }
  - id: subject-optimizer
    owner: maria
    mode: observe
    grants:
      - connector: crm
        objects: [marketing_emails]
        operations: [read, update]
        read_fields: [name, subject, preview_text, status, list_id]
        write_fields: [subject, preview_text]
  - id: campaign-runner
    owner: maria
    mode: gated
    grants:
      - connector: crm
        objects: [campaigns, lists]
        operations: [read, launch, pause]
policies:
  - id: launches-need-approval
    when: "action.operation == 'launch'"
    effect: require_approval
    approvers: { role: approver, count: 1 }
    checklist: [brand-tone, unsubscribe-link, segment-correct]
  - id: big-batches-need-two
    when: "changes.records > 100"
    effect: require_approval
    approvers: { role: approver, count: 2 }
  - id: no-pricing-by-agents
    when: "action.object == 'price_book'"
    effect: deny
    reason: Pricing changes are made by people only.
approvals:
  expire_after: 24h
  escalation:
    - { after: 4h, notify: { role: admin } }
`;
}

interface Step {
  agent: string;
  what: string;
  status: string;
  http: number;
  detail: string;
}

type Json = Record<string, unknown>;

export async function runDemo(opts: {
  dir: string;
  port: number;
  contacts: number;
  out: (s: string) => void;
}): Promise<Gatehouse> {
  const { out } = opts;
  const dir = resolve(opts.dir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'gatehouse.yaml');
  writeFileSync(file, demoConfig(dir, opts.port, opts.contacts));
  const config = configOrThrow(loadConfig(file));

  const seeding = Date.now();
  out(`Seeding the sandbox CRM (${opts.contacts} contacts, seed 42)…`);
  const gh = await createGatehouse({ config, logger: false });
  const address = await gh.listen(opts.port);
  out(`Gatehouse is up at ${address} (seeded in ${((Date.now() - seeding) / 1000).toFixed(1)} s)\n`);

  const deps = keyAdminDeps(config, gh.storage);
  const key = async (kind: 'agent' | 'person', subject: string) =>
    (await createKey(deps, { kind, subject, actor: 'system:demo', label: 'demo' })).token;
  const keys = {
    'lead-router': await key('agent', 'lead-router'),
    'subject-optimizer': await key('agent', 'subject-optimizer'),
    'campaign-runner': await key('agent', 'campaign-runner'),
    maria: await key('person', 'maria'),
    ana: await key('person', 'ana'),
  };
  const call = async (who: keyof typeof keys, method: string, path: string, body?: unknown) => {
    const r = await fetch(address + path, {
      method,
      headers: { authorization: `Bearer ${keys[who]}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: r.status, json: (await r.json()) as Json };
  };
  const steps: Step[] = [];
  const act = async (who: keyof typeof keys, what: string, body: Json) => {
    const r = await call(who, 'POST', '/v1/actions', body);
    const err = r.json.error as { code?: string; message?: string } | undefined;
    const cs = r.json.changeset as { records?: { before: Json; after: Json }[] } | undefined;
    const diff = cs?.records?.[0]
      ? `${JSON.stringify(cs.records[0].before)} → ${JSON.stringify(cs.records[0].after)}`
      : '';
    steps.push({
      agent: who,
      what,
      status: String(r.json.status),
      http: r.status,
      detail: err ? `${err.code}: ${err.message}` : diff,
    });
    return r.json;
  };

  // lead-router (autonomous) reads its contacts: only US/CA, emails masked.
  const page = await call('lead-router', 'GET', '/v1/records/crm/contacts?limit=3');
  const contacts = (page.json.results as { id: string; properties: Json }[]) ?? [];
  out('lead-router sees (US/CA only, PII masked):');
  for (const c of contacts) out(`  ${c.id}  ${JSON.stringify(c.properties)}`);
  const first = contacts[0];
  if (!first) throw new Error('the sandbox has no US/CA contacts to route');
  const newOwner = first.properties.owner_id === 'u_7' ? 'u_8' : 'u_7';
  await act('lead-router', `route ${first.id} to ${newOwner}`, {
    connector: 'crm',
    object: 'contacts',
    operation: 'update',
    reason: 'Territory rule: North America West',
    idempotency_key: `demo-route-${first.id}`,
    records: [{ id: first.id, changes: { owner_id: newOwner } }],
  });
  await act('lead-router', `set lifecyclestage on ${first.id}`, {
    connector: 'crm',
    object: 'contacts',
    operation: 'update',
    reason: 'Looks sales-ready',
    records: [{ id: first.id, changes: { lifecyclestage: 'customer' } }],
  });
  const outside = await gh.connectors
    .get('crm')!
    .search('contacts', { filters: [{ property: 'country', operator: 'EQ', value: 'DE' }], limit: 1 });
  const de = outside.results[0];
  if (de) {
    await act('lead-router', `route ${de.id} (a German contact)`, {
      connector: 'crm',
      object: 'contacts',
      operation: 'update',
      reason: 'Trying outside my territory',
      records: [{ id: de.id, changes: { owner_id: newOwner } }],
    });
  }

  // subject-optimizer (observe): its write is planned and judged, never executed.
  const emails =
    ((await call('subject-optimizer', 'GET', '/v1/records/crm/marketing_emails?limit=1')).json.results as {
      id: string;
      properties: Json;
    }[]) ?? [];
  if (emails[0]) {
    await act('subject-optimizer', `rewrite subject of ${emails[0].id}`, {
      connector: 'crm',
      object: 'marketing_emails',
      operation: 'update',
      reason: 'Shorter subjects lift CTR',
      records: [{ id: emails[0].id, changes: { subject: 'Your spring playbook is here' } }],
    });
  }

  // campaign-runner (gated): a launch waits for a person, with the checklist.
  const drafts =
    ((await call('campaign-runner', 'GET', '/v1/records/crm/campaigns?limit=1&filter=status:EQ:draft')).json
      .results as { id: string }[]) ?? [];
  if (drafts[0]) {
    await act('campaign-runner', `launch campaign ${drafts[0].id}`, {
      connector: 'crm',
      object: 'campaigns',
      operation: 'launch',
      target: drafts[0].id,
      reason: 'Spring nurture, segment: MQLs in North America',
    });
  }

  out('\nWhat the agents tried:');
  for (const s of steps)
    out(
      `  ${s.agent.padEnd(18)} ${s.what.padEnd(40)} → ${s.status} (HTTP ${s.http})${s.detail ? `  ${s.detail}` : ''}`,
    );
  const verify = (await call('ana', 'GET', '/v1/audit/verify')).json;
  out(
    `\nAudit log: ${verify.ok ? 'verified' : 'NOT VERIFIED'} — ${String(verify.entries)} entries, ${String(verify.checkpoints)} signed checkpoints`,
  );
  const pending = (await call('maria', 'GET', '/v1/approvals?status=pending')).json.results as unknown[];
  out(`Pending approvals: ${pending.length}`);
  out(`\nTry it yourself:
  curl -s ${address}/healthz
  curl -s -H "authorization: Bearer ${keys['lead-router']}" "${address}/v1/records/crm/contacts?limit=2"
  curl -s -H "authorization: Bearer ${keys.maria}" "${address}/v1/approvals?status=pending"
  OpenAPI: ${address}/v1/openapi.json   Config: ${file}`);
  return gh;
}
