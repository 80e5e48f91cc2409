/**
 * From the schema's output to the frozen CompiledConfig: durations renamed to `_ms`, derived
 * defaults that need context (sandbox paths, public_url, approvers), checklist descriptions,
 * and the content versions that approvals bind to.
 */
import { canonicalHash } from '../core/audit/canonical.js';
import type { ParsedConfig } from './schema.js';
import { BUILT_IN_ROLES } from './schema.js';
import type {
  BreakerConfig,
  CompiledConfig,
  ConfigVersions,
  ConnectorConfig,
  PolicyConfig,
  RoleConfig,
} from './types.js';

const BUILT_IN_DESCRIPTIONS: Record<(typeof BUILT_IN_ROLES)[number], string> = {
  admin:
    'Changes agent modes and promotes agents, forces breakers open or disables them, manages keys (closing a tripped breaker is the responder role)',
  approver: 'Approves or rejects actions that policies hold for approval',
  auditor: 'Reads and verifies the audit log',
  responder: 'Is notified when a breaker trips and reviews the trip',
};

/** SHA-256 hex of RFC 8785 canonical JSON: equal data, equal version, whatever the key order. */
export function contentVersion(value: unknown): string {
  return canonicalHash(value ?? null);
}

function versionsOf(raw: Record<string, unknown>, parsed: ParsedConfig): ConfigVersions {
  const rawAgents = Array.isArray(raw.agents) ? (raw.agents as unknown[]) : [];
  const agents: Record<string, string> = {};
  parsed.agents.forEach((agent, i) => (agents[agent.id] = contentVersion(rawAgents[i])));
  return {
    config: contentVersion(raw),
    policies: contentVersion({ policies: raw.policies ?? [], checklists: raw.checklists ?? {} }),
    agents,
  };
}

/** `brand-tone` → `brand tone`: the description of a checklist item the file does not describe. */
const describeItem = (id: string) => id.replace(/[-_.]+/g, ' ');

function connectorOf(id: string, c: ParsedConfig['connectors'][string]): ConnectorConfig {
  switch (c.type) {
    case 'sandbox':
      return { id, ...c, path: c.path ?? `./data/sandbox-${id}.db` };
    case 'hubspot':
    case 'replica':
      return { id, ...c };
  }
}

function policyOf(p: ParsedConfig['policies'][number]): PolicyConfig {
  const approvers = p.effect === 'require_approval' ? (p.approvers ?? { role: 'approver', count: 1 }) : undefined;
  return { ...p, approvers };
}

function breakerOf(b: ParsedConfig['breakers'][number]): BreakerConfig {
  const { window, ...rest } = b;
  return { ...rest, window_ms: window };
}

export function compile(parsed: ParsedConfig, raw: Record<string, unknown>, sourcePath: string): CompiledConfig {
  const roles: Record<string, RoleConfig> = {};
  for (const id of BUILT_IN_ROLES)
    roles[id] = { id, built_in: true, description: BUILT_IN_DESCRIPTIONS[id], permissions: [] };
  for (const [id, r] of Object.entries(parsed.roles)) roles[id] = { id, built_in: false, ...r };

  const checklists: Record<string, string> = {};
  for (const p of parsed.policies) for (const item of p.checklist) checklists[item] = describeItem(item);
  Object.assign(checklists, parsed.checklists);

  const { listen, host, port } = parsed.server.listen;
  const publicHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const publicUrl = (parsed.server.public_url ?? `http://${publicHost}:${port}`).replace(/\/+$/, '');

  const preflight = parsed.preflight;
  const config: CompiledConfig = {
    version: 1,
    sourcePath,
    versions: versionsOf(raw, parsed),
    storage: parsed.storage.url,
    server: { listen, host, port, public_url: publicUrl, body_limit: parsed.server.body_limit },
    audit: { signing_key_file: parsed.audit.signing_key_file, checkpoint_every_ms: parsed.audit.checkpoint_every },
    connectors: Object.fromEntries(Object.entries(parsed.connectors).map(([id, c]) => [id, connectorOf(id, c)])),
    roles,
    people: parsed.people,
    agents: parsed.agents,
    policies: parsed.policies.map(policyOf),
    checklists,
    approvals: {
      expire_after_ms: parsed.approvals.expire_after,
      escalation: parsed.approvals.escalation.map((s) => ({ after_ms: s.after, notify: s.notify })),
    },
    ...(preflight && {
      preflight: {
        ...(preflight.frequency_cap && {
          frequency_cap: { max: preflight.frequency_cap.max, per_ms: preflight.frequency_cap.per },
        }),
        freezes: preflight.freezes,
        on_fail: preflight.on_fail,
      },
    }),
    breakers: parsed.breakers.map(breakerOf),
    notifications: parsed.notifications,
  };
  return deepFreeze(config);
}

/** Freezes plain data all the way down (compiled CEL objects included). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
