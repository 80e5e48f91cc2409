/**
 * The agent's mode on top of the policy decision. Chosen behaviour:
 * - paused: refused before anything else; a pause is a kill switch and its answer must not
 *   depend on what the policies say (or whether they evaluate at all);
 * - observe: nothing executes; the action is shadowed with the decision it would have had,
 *   a deny included (`wouldBe: 'deny'`), so shadow scoring sees rule adherence;
 * - gated: deny stays deny; everything else waits for a person;
 * - autonomous: the policy decides.
 */
import type { AgentMode, Decision, Routing } from './types.js';

export function applyMode(decision: Pick<Decision, 'effect'>, mode: AgentMode): Routing {
  switch (mode) {
    case 'paused':
      return { type: 'refuse_paused' };
    case 'observe':
      return { type: 'shadow', wouldBe: decision.effect };
    case 'gated':
      return decision.effect === 'deny' ? { type: 'deny' } : { type: 'require_approval' };
    case 'autonomous':
      switch (decision.effect) {
        case 'deny':
          return { type: 'deny' };
        case 'require_approval':
          return { type: 'require_approval' };
        case 'allow':
          return { type: 'execute' };
      }
  }
}
