/**
 * submitAction: the one pipeline every transport calls. The order of stages is a security
 * property; read it top to bottom:
 *
 *   idempotency → breakers → agent mode (paused?) → rate budget (read) → boundary → scope → plan
 *   (diff) → policy → mode → persist rate take + decision + audit in one transaction (fail closed)
 *   → execute → persist result + audit
 */
import { GatehouseError } from '../errors.js';
import type { ActionRow } from '../ports/storage.js';
import { executeAction } from './execute.js';
import { agentModeOf, breakerGate, loadModes } from './gates.js';
import { judge } from './judge.js';
import { rateKey, rateWindow, recordNewAction, type RateTake, type Verdict } from './record.js';
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

  const { verdict, rate } = await decide(deps, agent, request);
  const actionId = deps.newId('act');
  const recorded = await recordNewAction(deps, agent, actionId, request, verdict, rate ? { rate } : {});
  if (!recorded.inserted) return { action: recorded.existing, replayed: true };

  let action: ActionRow = recorded.action;
  let changeset = recorded.verdict.changeset;
  if (action.status === 'executing' && changeset) {
    const done = await executeAction(deps, agent, action, changeset);
    action = done.action;
    changeset = done.changeset;
  }
  deps.observer?.actionSettled?.(action, Math.round((performance.now() - started) * 1000));
  return { action, ...(changeset ? { changeset } : {}), replayed: false };
}

const rateRefusal = (agent: AgentDefinition, base: ReturnType<typeof baseDecision>, limit: number, count: number) =>
  refusalVerdict(base, 'rate_limited', `${agent.id} exceeded its budget of ${limit} actions per minute`, {
    details: { limit, count },
  });

/**
 * Everything before persistence: gates that need no plan first (cheap and absolute), then judging.
 * An open breaker answers before a pause, so a trip (which also pauses) says why: breaker_open.
 * A half-open breaker lets a write through only by spending one of its probes (see `breakerGate`).
 *
 * The rate budget is read here (an exhausted budget refuses before any planning, so a limited
 * agent cannot make Gatehouse read the CRM for it) and taken inside the decision's transaction
 * (`RateTake`): one commit per decision, and concurrent submissions still never exceed the limit,
 * because the take is the same conditional UPSERT, now in the transaction that records the action.
 */
async function decide(
  deps: PipelineDeps,
  agent: AgentDefinition,
  request: ActionRequest,
): Promise<{ verdict: Verdict; rate?: RateTake }> {
  // The agent's run-time row and its per-operation rows, read once: the gates use the agent's
  // mode, judging the operation's (both resolved from the same read).
  const stored = await loadModes(deps.storage, agent.id);
  const mode = agentModeOf(agent, stored.state);
  const base = baseDecision(deps, agent, mode);
  // A paused agent's write is refused below anyway: it must not spend a half-open probe.
  const gate = await breakerGate(deps, agent.id, { spendProbe: mode !== 'paused' });
  if (gate.type === 'halt') {
    const breaker = gate.row;
    const why = breaker.state === 'half_open' ? 'half_open with every probe used' : breaker.state;
    const verdict = refusalVerdict(
      base,
      'breaker_open',
      `breaker ${breaker.breakerId} is ${why} for ${breaker.scopeKey}: writes are refused`,
      {
        status: 'breaker_open',
        details: { breaker_id: breaker.breakerId, scope: breaker.scopeKey, since: breaker.since },
      },
    );
    return { verdict };
  }
  if (mode === 'paused') {
    return {
      verdict: refusalVerdict(base, 'agent_paused', `${agent.id} is paused: writes are refused, reads still work`),
    };
  }
  const limit = agent.limits?.actionsPerMinute;
  if (limit === undefined)
    return { verdict: verdictFor(base, await judge(deps, agent, mode, request, stored), agent.id) };
  const used = await deps.storage.rates.current(rateKey(agent.id), rateWindow(deps.clock.now()));
  if (used >= limit) return { verdict: rateRefusal(agent, base, limit, used) };
  return {
    verdict: verdictFor(base, await judge(deps, agent, mode, request, stored), agent.id),
    rate: { limit, refuse: (count) => rateRefusal(agent, base, limit, count) },
  };
}
