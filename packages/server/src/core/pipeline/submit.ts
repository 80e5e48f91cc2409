/**
 * submitAction: the one pipeline every transport calls. The order of stages is a security
 * property; read it top to bottom:
 *
 *   idempotency → breakers → agent mode (paused?) → rate budget → boundary → scope → plan (diff)
 *   → policy → mode → persist decision + audit (fail closed) → execute → persist result + audit
 */
import { GatehouseError } from '../errors.js';
import type { ActionRow } from '../ports/storage.js';
import { executeAction } from './execute.js';
import { breakerGate, effectiveMode, takeRateBudget } from './gates.js';
import { judge } from './judge.js';
import { recordNewAction, type Verdict } from './record.js';
import type { ActionRequest, ActionResult, AgentDefinition, PipelineDeps } from './types.js';
import { baseDecision, refusalVerdict, verdictFor } from './verdict.js';

export function agentFor(deps: Pick<PipelineDeps, 'agents'>, agentId: string): AgentDefinition {
  const agent = deps.agents.get(agentId);
  if (!agent) throw new GatehouseError('agent_not_found', `agent '${agentId}' is not in the config`);
  return agent;
}

export async function submitAction(deps: PipelineDeps, agentId: string, request: ActionRequest): Promise<ActionResult> {
  const started = performance.now();
  const agent = agentFor(deps, agentId);

  // Same idempotency key, same action: never judged or executed twice.
  if (request.idempotencyKey !== undefined) {
    const existing = await deps.storage.actions.findByIdempotencyKey(agent.id, request.idempotencyKey);
    if (existing) return { action: existing, replayed: true };
  }

  const verdict = await decide(deps, agent, request);
  const actionId = deps.newId('act');
  const recorded = await recordNewAction(deps, agent, actionId, request, verdict);
  if (!recorded.inserted) return { action: recorded.existing, replayed: true };

  let action: ActionRow = recorded.action;
  let changeset = verdict.changeset;
  if (action.status === 'executing' && changeset) {
    const done = await executeAction(deps, agent, action, changeset);
    action = done.action;
    changeset = done.changeset;
  }
  deps.observer?.actionSettled?.(action, Math.round((performance.now() - started) * 1000));
  return { action, ...(changeset ? { changeset } : {}), replayed: false };
}

/**
 * Everything before persistence: gates that need no plan first (cheap and absolute), then judging.
 * An open breaker answers before a pause, so a trip (which also pauses) says why: breaker_open.
 * A half-open breaker lets a write through only by spending one of its probes (see `breakerGate`).
 */
async function decide(deps: PipelineDeps, agent: AgentDefinition, request: ActionRequest): Promise<Verdict> {
  const mode = await effectiveMode(deps.storage, agent);
  const base = baseDecision(deps, agent, mode);
  // A paused agent's write is refused below anyway: it must not spend a half-open probe.
  const gate = await breakerGate(deps, agent.id, { spendProbe: mode !== 'paused' });
  if (gate.type === 'halt') {
    const breaker = gate.row;
    const why = breaker.state === 'half_open' ? 'half_open with every probe used' : breaker.state;
    return refusalVerdict(
      base,
      'breaker_open',
      `breaker ${breaker.breakerId} is ${why} for ${breaker.scopeKey}: writes are refused`,
      {
        status: 'breaker_open',
        details: { breaker_id: breaker.breakerId, scope: breaker.scopeKey, since: breaker.since },
      },
    );
  }
  if (mode === 'paused') {
    return refusalVerdict(base, 'agent_paused', `${agent.id} is paused: writes are refused, reads still work`);
  }
  const rate = await takeRateBudget(deps.storage, agent.id, agent.limits?.actionsPerMinute, deps.clock.now());
  if (!rate.allowed) {
    return refusalVerdict(base, 'rate_limited', `${agent.id} exceeded its budget of ${rate.limit} actions per minute`, {
      details: { limit: rate.limit, count: rate.count },
    });
  }
  return verdictFor(base, await judge(deps, agent, mode, request), agent.id);
}
