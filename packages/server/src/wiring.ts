/** The compiled config, translated into the core's input values (agents and policy rules). */
import type { CompiledConfig } from './config/index.js';
import type { AgentDefinition } from './core/pipeline/index.js';
import type { PolicyRule } from './core/policy/index.js';

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
