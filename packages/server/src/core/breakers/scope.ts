/**
 * Which scopes a breaker holds. A breaker over a list of agents keeps one state row per agent
 * (`agent:<id>`), so one agent's trip halts only that agent; a breaker over `all` keeps a single
 * row (`all`), which also halts agents added to the config after it tripped. The pipeline's gate
 * (`haltingBreaker`) reads exactly these keys.
 */
import type { BreakerConfig } from '../../config/types.js';
import { agentScope, ALL_SCOPE } from '../pipeline/gates.js';

export { agentScope, ALL_SCOPE };

type ScopeOf = Pick<BreakerConfig, 'scope'>;

/**
 * The configured agents the breaker covers, in the breaker's order (config order for `all`).
 * Ids the config does not know are left out: config validation names them, and a breaker cannot
 * halt or roll back an agent that does not exist.
 */
export function agentsInScope(breaker: ScopeOf, agentIds: Iterable<string>): string[] {
  const known = [...agentIds];
  if (breaker.scope.agents === 'all') return known;
  const set = new Set(known);
  return [...new Set(breaker.scope.agents)].filter((id) => set.has(id));
}

/** The state rows this breaker keeps: `['all']`, or `agent:<id>` per agent in scope. */
export function scopeKeys(breaker: ScopeOf, agentIds: Iterable<string>): string[] {
  if (breaker.scope.agents === 'all') return [ALL_SCOPE];
  return agentsInScope(breaker, agentIds).map(agentScope);
}

export type ParsedScope = { readonly type: 'all' } | { readonly type: 'agent'; readonly agentId: string };

/** `undefined` for a key this module never produces. */
export function parseScopeKey(key: string): ParsedScope | undefined {
  if (key === ALL_SCOPE) return { type: 'all' };
  const prefix = agentScope('');
  if (key.startsWith(prefix) && key.length > prefix.length) return { type: 'agent', agentId: key.slice(prefix.length) };
  return undefined;
}

/**
 * The agents a scope key halts (and whose changes a rollback of that scope undoes): `all` means
 * every configured agent; `agent:<id>` means that agent even if it has since left the config,
 * because its changes in the CRM outlive its config section.
 */
export function agentsOfScopeKey(key: string, agentIds: Iterable<string>): string[] {
  const parsed = parseScopeKey(key);
  if (!parsed) return [];
  return parsed.type === 'all' ? [...agentIds] : [parsed.agentId];
}
