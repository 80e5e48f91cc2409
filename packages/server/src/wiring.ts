/** The compiled config, translated into the core's input values (agents and policy rules). */
import { createHmac, type KeyObject } from 'node:crypto';
import type { CompiledConfig } from './config/index.js';
import type { Clock } from './core/clock.js';
import type { AgentDefinition, PipelineDeps, PipelineObserver } from './core/pipeline/index.js';
import { can } from './core/auth/permissions.js';
import type { Notifier } from './core/notifications/types.js';
import type { PolicyRule } from './core/policy/index.js';
import { BUILT_IN_CHECKS, preflightSettings } from './core/preflight/index.js';
import type { Connector } from './core/ports/connector.js';
import type { Storage } from './core/ports/storage.js';

export function agentDefinitions(config: CompiledConfig): Map<string, AgentDefinition> {
  return new Map(
    config.agents.map((a) => [
      a.id,
      {
        id: a.id,
        owner: a.owner,
        mode: a.mode,
        version: config.versions.agents[a.id] ?? '',
        grants: a.grants.map((g) => ({
          connector: g.connector,
          objects: g.objects,
          operations: g.operations,
          ...(g.read_fields ? { readFields: g.read_fields } : {}),
          ...(g.write_fields ? { writeFields: g.write_fields } : {}),
          ...(g.where ? { where: g.where.expr } : {}),
          pii: g.pii,
        })),
        limits: { maxBatch: a.limits.max_batch, actionsPerMinute: a.limits.actions_per_minute },
        operationModes: a.operation_modes,
        ...(a.observe_on ? { observeOn: a.observe_on } : {}),
      },
    ]),
  );
}

export function policyRules(config: CompiledConfig): PolicyRule[] {
  return config.policies.map((p) => ({
    id: p.id,
    when: p.when.expr,
    effect: p.effect,
    ...(p.approvers ? { approvers: p.approvers } : {}),
    checklist: p.checklist,
    ...(p.reason !== undefined ? { reason: p.reason } : {}),
    mode: p.mode,
  }));
}

/** Keyed digests for `pii: hash` derive from the audit key: stable across restarts, never sent anywhere. */
export function piiSecretFrom(privateKey: KeyObject): string {
  return createHmac('sha256', privateKey.export({ format: 'der', type: 'pkcs8' }))
    .update('gatehouse/pii-hash/v1')
    .digest('hex');
}

/** The pipeline's dependencies from the config and the opened adapters (server and CLI alike). */
export function pipelineDeps(
  config: CompiledConfig,
  io: {
    clock: Clock;
    storage: Storage;
    connectors: ReadonlyMap<string, Connector>;
    piiSecret: string;
    newId: (prefix: string) => string;
    notifier?: Notifier;
    observer?: PipelineObserver;
  },
): PipelineDeps {
  return {
    ...io,
    agents: agentDefinitions(config),
    policies: policyRules(config),
    policyVersion: config.versions.policies,
    approvals: {
      expireAfterMs: config.approvals.expire_after_ms,
      ...(config.approvals.escalation[0] ? { firstEscalationMs: config.approvals.escalation[0].after_ms } : {}),
    },
    people: new Map(
      config.people.map((p) => [p.id, { id: p.id, roles: p.roles, canDecide: can(p, 'approvals.decide', config) }]),
    ),
    escalation: config.approvals.escalation.map((e) => ({ afterMs: e.after_ms, notify: e.notify })),
    preflight: { checks: BUILT_IN_CHECKS, settings: preflightSettings(config.preflight) },
  };
}
