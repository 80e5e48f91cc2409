import { describe, expect, it } from 'vitest';
import { agentsInScope, agentsOfScopeKey, parseScopeKey, scopeKeys } from './scope.js';

const AGENTS = ['lead-router', 'subject-optimizer', 'campaign-runner'];

describe('breaker scopes', () => {
  it('keeps one row per listed agent, in the breaker order, leaving out unknown agents', () => {
    const breaker = { scope: { agents: ['subject-optimizer', 'ghost', 'lead-router'] } };
    expect(agentsInScope(breaker, AGENTS)).toEqual(['subject-optimizer', 'lead-router']);
    expect(scopeKeys(breaker, AGENTS)).toEqual(['agent:subject-optimizer', 'agent:lead-router']);
  });

  it('keeps a single `all` row for a breaker over all agents, which covers every agent', () => {
    const breaker = { scope: { agents: 'all' as const } };
    expect(scopeKeys(breaker, AGENTS)).toEqual(['all']);
    expect(agentsInScope(breaker, AGENTS)).toEqual(AGENTS);
    expect(agentsOfScopeKey('all', AGENTS)).toEqual(AGENTS);
  });

  it('maps a scope key back to its agents, even one that has left the config', () => {
    expect(agentsOfScopeKey('agent:lead-router', AGENTS)).toEqual(['lead-router']);
    expect(agentsOfScopeKey('agent:retired-bot', AGENTS)).toEqual(['retired-bot']);
    expect(agentsOfScopeKey('agent:', AGENTS)).toEqual([]);
    expect(agentsOfScopeKey('team:x', AGENTS)).toEqual([]);
    expect(parseScopeKey('agent:a:b')).toEqual({ type: 'agent', agentId: 'a:b' });
  });
});
