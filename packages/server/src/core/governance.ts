/** Human controls over agents, shared by every transport (HTTP, CLI, dashboard). */
import { GatehouseError } from './errors.js';
import { appendAudit } from './pipeline/record.js';
import { effectiveMode } from './pipeline/gates.js';
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
