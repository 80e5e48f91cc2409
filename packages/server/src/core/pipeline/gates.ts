/**
 * Gates read from shared storage on every write, so every instance obeys them at once:
 * the agent's run-time mode (a pause set by a person or a breaker), open breakers, rate budgets.
 */
import type { AgentMode, BreakerRow, Repos } from '../ports/storage.js';
import type { AgentDefinition } from './types.js';

/**
 * The mode that applies now. A run-time override (set by a person or a breaker) wins while the
 * agent's config section is unchanged; editing the agent in the config re-baselines it to the
 * file's mode — except a pause, which only a person lifts.
 */
export async function effectiveMode(repos: Pick<Repos, 'agents'>, agent: AgentDefinition): Promise<AgentMode> {
  const state = await repos.agents.get(agent.id);
  if (!state) return agent.mode;
  if (state.mode === 'paused' || state.configVersion === agent.version) return state.mode;
  return agent.mode;
}

export const ALL_SCOPE = 'all';
export const agentScope = (agentId: string) => `agent:${agentId}`;

const HALTING = new Set(['open', 'forced_open']);

/** The first breaker that halts this agent's writes, if any. */
export async function haltingBreaker(repos: Pick<Repos, 'breakers'>, agentId: string): Promise<BreakerRow | undefined> {
  const scopes = new Set([agentScope(agentId), ALL_SCOPE]);
  const rows = await repos.breakers.list();
  return rows.find((b) => HALTING.has(b.state) && scopes.has(b.scopeKey));
}

/** Fixed one-minute windows shared through storage; `undefined` limit means unlimited. */
export async function takeRateBudget(
  repos: Pick<Repos, 'rates'>,
  agentId: string,
  limit: number | undefined,
  now: Date,
): Promise<{ allowed: boolean; count: number; limit?: number }> {
  if (limit === undefined) return { allowed: true, count: 0 };
  const windowStart = new Date(Math.floor(now.getTime() / 60_000) * 60_000).toISOString();
  const r = await repos.rates.take(`actions:${agentId}`, windowStart, limit);
  return { ...r, limit };
}
