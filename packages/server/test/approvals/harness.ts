/**
 * Shared set-up for the approval-gate tests: the example config plus a gated contact updater,
 * a quorum-2 rule it can trigger, and enough approvers for concurrency; gatehouses that can be
 * closed and reopened on the same files (restarts); and small readers for the audit log.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configOrThrow, loadConfig, type CompiledConfig } from '../../src/config/index.js';
import type { ManualClock } from '../../src/core/clock.js';
import { createKey } from '../../src/core/key-admin.js';
import type { AuditEntry } from '../../src/core/ports/storage.js';
import type { CrmRecord } from '../../src/core/ports/connector.js';
import { createGatehouse, type Gatehouse } from '../../src/create-gatehouse.js';
import { DIR_PLACEHOLDER, exampleConfigText, HOOK_SECRET, type InjectResult } from '../helpers/gatehouse.js';
import { allRecords, crmOf } from '../helpers/sandbox.js';

/** Approvers beyond the example's four people: ten distinct deciders per approval need them. */
export const EXTRA_APPROVERS = ['kim', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8'] as const;

/** A gated agent owned by maria: every write waits for one approver (sam, lee, kim, a1…a8). */
export const GATED = 'gated-router';
/** Reasons starting with this make `two-keys` ask for two approvers and a checklist item. */
export const TWO_KEY = 'two-key';
export const TWO_KEY_ITEM = 'data-checked';

const EXTRA_PEOPLE = EXTRA_APPROVERS.map(
  (id) => `  - { id: ${id}, name: Approver ${id}, email: ${id}@example.com, roles: [approver] }\n`,
).join('');

const EXTRA_AGENTS = `  - id: ${GATED}
    owner: maria
    mode: gated
    grants:
      - connector: crm
        objects: [contacts]
        operations: [read, update]
        write_fields: [owner_id, lead_score]
`;

const EXTRA_POLICIES = `  - id: two-keys
    when: "action.reason.startsWith('${TWO_KEY}')"
    effect: require_approval
    approvers: { role: approver, count: 2 }
    checklist: [${TWO_KEY_ITEM}]
`;

const CHECKLISTS = `
checklists:
  brand-tone: The copy matches the brand book.
  ${TWO_KEY_ITEM}: The new owner exists and covers this territory.
`;

function insertAfter(text: string, heading: string, lines: string): string {
  const re = new RegExp(`^${heading}:\\n`, 'm');
  if (!re.test(text)) throw new Error(`the example config has no top-level ${heading}:`);
  return text.replace(re, `${heading}:\n${lines}`);
}

/** The example config plus the additions above; `{{dir}}` stands for the gatehouse's folder. */
export function approvalsConfigText(
  opts: { storageUrl?: string; contacts?: number; extraPolicies?: string } = {},
): string {
  let text = exampleConfigText({
    contacts: opts.contacts ?? 300,
    ...(opts.storageUrl ? { storageUrl: opts.storageUrl } : {}),
  });
  text = insertAfter(text, 'people', EXTRA_PEOPLE);
  text = insertAfter(text, 'agents', EXTRA_AGENTS);
  text = insertAfter(text, 'policies', EXTRA_POLICIES + (opts.extraPolicies ?? ''));
  return text + CHECKLISTS;
}

export interface Harness {
  readonly gh: Gatehouse;
  readonly config: CompiledConfig;
  readonly keys: Record<string, string>;
  inject(method: string, url: string, key?: string, body?: unknown): Promise<InjectResult>;
  close(): Promise<void>;
}

/**
 * Opens a gatehouse on the files in `dir` (created on first open, reused after), with fresh
 * keys for every agent and person. `close()` keeps the files: reopening is a restart.
 */
export async function openGatehouse(dir: string, text: string, clock: ManualClock): Promise<Harness> {
  const configPath = join(dir, 'gatehouse.yaml');
  writeFileSync(configPath, text.replaceAll(DIR_PLACEHOLDER, dir));
  const config = configOrThrow(loadConfig(configPath, { ...process.env, HOOK_SECRET }));
  const gh = await createGatehouse({ config, logger: false, timers: false, clock });
  const keyDeps = {
    storage: gh.storage,
    clock,
    agentIds: new Set(config.agents.map((a) => a.id)),
    personIds: new Set(config.people.map((p) => p.id)),
    newId: gh.pipeline.newId,
  };
  const keys: Record<string, string> = {};
  for (const a of config.agents)
    keys[a.id] = (await createKey(keyDeps, { kind: 'agent', subject: a.id, actor: 'system:test' })).token;
  for (const p of config.people)
    keys[p.id] = (await createKey(keyDeps, { kind: 'person', subject: p.id, actor: 'system:test' })).token;
  return {
    gh,
    config,
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
    close: () => gh.close(),
  };
}

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'gh-approvals-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

type Injector = Pick<Harness, 'inject' | 'keys'>;

/** A one-record owner change by `agent`; `reason` starting with TWO_KEY asks for two approvers. */
export function submitUpdate(
  t: Injector,
  agent: string,
  id: string,
  owner: string,
  extra: Record<string, unknown> = {},
) {
  return t.inject('POST', '/v1/actions', t.keys[agent], {
    connector: 'crm',
    object: 'contacts',
    operation: 'update',
    records: [{ id, changes: { owner_id: owner } }],
    reason: 'approval test',
    ...extra,
  });
}

export function decide(t: Injector, person: string, approvalId: string, body: Record<string, unknown>) {
  return t.inject('POST', `/v1/approvals/${approvalId}/decision`, t.keys[person], body);
}

/** Every audit entry, in chain order. */
export async function auditEntries(gh: Gatehouse): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of gh.storage.audit.iterate()) out.push(e);
  return out;
}

export async function auditFor(gh: Gatehouse, subject: string, type?: string): Promise<AuditEntry[]> {
  return (await auditEntries(gh)).filter((e) => e.subject === subject && (type === undefined || e.type === type));
}

/** Hands out contacts no other test has touched, so tests never see each other's writes. */
export async function contactPool(gh: Gatehouse): Promise<() => CrmRecord> {
  const contacts = await allRecords(crmOf(gh), 'contacts');
  let next = 0;
  return () => {
    const c = contacts[next++];
    if (!c) throw new Error('ran out of contacts');
    return c;
  };
}
