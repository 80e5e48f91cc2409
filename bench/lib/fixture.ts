/**
 * A throw-away Gatehouse for benchmarks: a temp directory with file-backed SQLite storage (WAL,
 * synchronous=NORMAL: the audit entry is committed with the action, so it survives a process
 * crash), a file-backed sandbox CRM, the example's policies, and agent keys.
 *
 * Agents: `lead-router` and its clones `lead-router-http`, `lead-router-http2` (identical grants;
 * separate agents only so each mode has its own rate window) write `owner_id` on US/CA contacts
 * of `crm`. `bulk-loader` writes `owner_id` on any contact of `bulk` (10,000+ contacts), up to
 * 10,000 records per action, so a full-size change set executes without approval.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxConnector } from '../../packages/server/src/adapters/connectors/sandbox/index.js';
import { configOrThrow, loadConfigFromString } from '../../packages/server/src/config/index.js';
import { createKey } from '../../packages/server/src/core/key-admin.js';
import { createGatehouse, type Gatehouse } from '../../packages/server/src/create-gatehouse.js';

export const ROUTER_AGENTS = ['lead-router', 'lead-router-http', 'lead-router-http2'] as const;
export const BULK_AGENT = 'bulk-loader';

export interface BenchGatehouse {
  readonly dir: string;
  readonly gh: Gatehouse;
  readonly crm: SandboxConnector;
  readonly bulk: SandboxConnector;
  /** Agent id → bearer token. */
  readonly keys: ReadonlyMap<string, string>;
  /** Contacts of `crm` inside lead-router's `where` (country US or CA). */
  readonly inScope: readonly string[];
  /** The first `bulkRecords` contacts of `bulk`. */
  readonly bulkIds: readonly string[];
  readonly seedSeconds: number;
  close(): Promise<void>;
}

const routerAgent = (id: string) => `
  - id: ${id}
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
    limits: { max_batch: 200, actions_per_minute: 100000 }`;

function configText(dir: string, contacts: number, bulkContacts: number): string {
  const size = (n: number) => `{ contacts: ${n}, companies: ${Math.round(n * 0.16)}, deals: ${Math.round(n * 0.24)} }`;
  return `version: 1
storage: { url: "sqlite:${dir}/gatehouse.db" }
server: { listen: "127.0.0.1:0", public_url: "http://127.0.0.1:4100" }
audit: { signing_key_file: "${dir}/audit-ed25519.pem", checkpoint_every: 1h }
connectors:
  crm: { type: sandbox, seed: 42, size: ${size(contacts)}, path: "${dir}/sandbox-crm.db" }
  bulk: { type: sandbox, seed: 7, size: ${size(bulkContacts)}, path: "${dir}/sandbox-bulk.db" }
people:
  - { id: maria, name: Maria Lopez, email: maria@example.com, roles: [admin, approver] }
  - { id: sam, name: Sam Chen, email: sam@example.com, roles: [approver, responder] }
agents:${ROUTER_AGENTS.map(routerAgent).join('')}
  - id: ${BULK_AGENT}
    owner: maria
    mode: autonomous
    grants:
      - connector: bulk
        objects: [contacts]
        operations: [read, update]
        write_fields: [owner_id]
    limits: { max_batch: 10000, actions_per_minute: 100000 }
policies:
  - id: launches-need-approval
    when: "action.operation == 'launch'"
    effect: require_approval
    approvers: { role: approver, count: 1 }
    checklist: [brand-tone, unsubscribe-link, segment-correct]
  - id: big-batches-need-two
    when: "action.connector == 'crm' && changes.records > 100"
    effect: require_approval
    approvers: { role: approver, count: 2 }
  - id: no-pricing-by-agents
    when: "action.object == 'price_book'"
    effect: deny
    reason: Pricing changes are made by people only.
approvals:
  expire_after: 24h
`;
}

export async function openBenchGatehouse(opts: {
  contacts: number;
  bulkContacts: number;
  bulkRecords: number;
}): Promise<BenchGatehouse> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pipeline-bench-'));
  try {
    const config = configOrThrow(
      loadConfigFromString(configText(dir, opts.contacts, opts.bulkContacts), 'bench.yaml', {}),
    );
    const t0 = performance.now();
    const gh = await createGatehouse({ config, logger: false, timers: false });
    const seedSeconds = (performance.now() - t0) / 1000;
    const keyDeps = {
      storage: gh.storage,
      clock: gh.pipeline.clock,
      agentIds: new Set(config.agents.map((a) => a.id)),
      personIds: new Set(config.people.map((p) => p.id)),
      newId: gh.pipeline.newId,
    };
    const keys = new Map<string, string>();
    for (const agent of [...ROUTER_AGENTS, BULK_AGENT]) {
      const { token } = await createKey(keyDeps, { kind: 'agent', subject: agent, actor: 'system:bench' });
      keys.set(agent, token);
    }
    const crm = gh.connectors.get('crm') as SandboxConnector;
    const bulk = gh.connectors.get('bulk') as SandboxConnector;
    const ids = (c: SandboxConnector, where: string, limit: number) =>
      (
        c.store.db
          .prepare(`SELECT id FROM records WHERE object = 'contacts' AND archived = 0 ${where} ORDER BY seq LIMIT ?`)
          .all(limit) as { id: string }[]
      ).map((r) => r.id);
    const inScope = ids(crm, `AND json_extract(properties, '$.country') IN ('US', 'CA')`, 1_000_000);
    const bulkIds = ids(bulk, '', opts.bulkRecords);
    if (bulkIds.length < opts.bulkRecords)
      throw new Error(`bulk sandbox has ${bulkIds.length} contacts, need ${opts.bulkRecords}`);
    return {
      dir,
      gh,
      crm,
      bulk,
      keys,
      inScope,
      bulkIds,
      seedSeconds,
      async close() {
        await gh.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
