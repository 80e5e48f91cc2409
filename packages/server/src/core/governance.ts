/** Human controls over agents, shared by every transport (HTTP, CLI, dashboard). */
import { GatehouseError } from './errors.js';
import { appendAudit } from './pipeline/record.js';
import { agentModeOf, effectiveMode, knownOperations, loadModes, operationModeOf } from './pipeline/gates.js';
import type { PipelineDeps } from './pipeline/types.js';
import type { AgentMode } from './ports/storage.js';

export interface ModeChange {
  agentId: string;
  from: AgentMode;
  to: AgentMode;
  auditSeq: number;
}

/** Sets an agent's run-time mode and records who did it and why, atomically. */
export async function setAgentMode(
  deps: Pick<PipelineDeps, 'agents' | 'storage' | 'clock'>,
  input: { agentId: string; mode: AgentMode; actor: string; comment?: string },
): Promise<ModeChange> {
  const agent = deps.agents.get(input.agentId);
  if (!agent) throw new GatehouseError('agent_not_found', `no agent '${input.agentId}' in the config`);
  const at = deps.clock.now().toISOString();
  return deps.storage.transaction(async (tx) => {
    const from = await effectiveMode(tx, agent);
    await tx.agents.upsert({
      id: agent.id,
      mode: input.mode,
      configVersion: agent.version,
      updatedAt: at,
      updatedBy: input.actor,
      reason: input.comment ?? null,
    });
    const auditSeq = await appendAudit(tx, [
      {
        at,
        type: 'agent.mode_changed',
        actor: input.actor,
        subject: agent.id,
        data: { agent_id: agent.id, from, to: input.mode, comment: input.comment ?? null },
      },
    ]);
    return { agentId: agent.id, from, to: input.mode, auditSeq };
  });
}

export interface Demotion {
  readonly agentId: string;
  /** What changed: the agent (`operation: null`) and each operation that was autonomous. */
  readonly demoted: readonly { readonly operation: string | null; readonly from: AgentMode }[];
  readonly auditSeq: number | null;
}

/**
 * A breaker trip demotes the scope's agents: whatever was `autonomous` — the agent, or any of its
 * operations (config `operation_modes` or a promotion) — becomes `gated`, so after the breaker is
 * reset its writes wait for a person until someone promotes it again on evidence. Written by
 * `breaker:<id>`, which makes the rows survive config edits (only a person lifts them).
 *
 * When the agent row changes, every operation whose mode came from the config is pinned at its
 * current mode (capped at gated) in a row of its own: the newer agent row would otherwise hide
 * the config's per-operation modes (see `operationModeOf`). One transaction, one audit entry
 * (`agent.demoted`); nothing autonomous, nothing written.
 */
export async function demoteToGated(
  deps: Pick<PipelineDeps, 'agents' | 'storage' | 'clock'>,
  input: { agentId: string; actor: string; comment: string },
): Promise<Demotion> {
  const agent = deps.agents.get(input.agentId);
  if (!agent) throw new GatehouseError('agent_not_found', `no agent '${input.agentId}' in the config`);
  const at = deps.clock.now().toISOString();
  return deps.storage.transaction(async (tx) => {
    const stored = await loadModes(tx, agent.id);
    const agentMode = agentModeOf(agent, stored.state);
    const demoted: { operation: string | null; from: AgentMode }[] = [];
    const agentChanges = agentMode === 'autonomous';
    const pins: { operation: string; mode: AgentMode }[] = [];
    for (const operation of knownOperations(agent, stored)) {
      const r = operationModeOf(agent, stored, operation);
      if (r.mode === 'autonomous') {
        pins.push({ operation, mode: 'gated' });
        demoted.push({ operation, from: 'autonomous' });
      } else if (agentChanges && r.source === 'operation_config') {
        pins.push({ operation, mode: r.mode });
      }
    }
    if (!agentChanges && demoted.length === 0) return { agentId: agent.id, demoted: [], auditSeq: null };
    const common = { configVersion: agent.version, updatedAt: at, updatedBy: input.actor, reason: input.comment };
    if (agentChanges) {
      await tx.agents.upsert({ id: agent.id, mode: 'gated', ...common });
      demoted.unshift({ operation: null, from: 'autonomous' });
    }
    for (const p of pins) await tx.agents.upsertOperationMode({ agentId: agent.id, ...p, ...common });
    const auditSeq = await appendAudit(tx, [
      {
        at,
        type: 'agent.demoted',
        actor: input.actor,
        subject: agent.id,
        data: { agent_id: agent.id, to: 'gated', demoted, comment: input.comment },
      },
    ]);
    return { agentId: agent.id, demoted, auditSeq };
  });
}
