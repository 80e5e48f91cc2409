export { buildChangeSet, worstReversibility, type ChangeSet, type ChangeSetSummary } from './changeset.js';
export { executeAction, idempotencyKeyFor, planOf } from './execute.js';
export {
  agentModeOf,
  agentScope,
  ALL_SCOPE,
  effectiveMode,
  haltingBreaker,
  isBreakerActor,
  knownOperations,
  loadModes,
  operationModeOf,
  type ModeSource,
  type ResolvedMode,
  type StoredModes,
} from './gates.js';
export { loadAction, loadChangeSet } from './load.js';
export { appendAudit } from './record.js';
export { recoverActions, type RecoveryReport } from './recover.js';
export { agentFor, submitAction } from './submit.js';
export { actionView, auditEventId, outcomeClass, VIEW_RECORD_LIMIT, type ActionWireView } from './view.js';
export {
  FINAL_STATUSES,
  isFinal,
  type ActionRequest,
  type ActionResult,
  type AgentDefinition,
  type PipelineDeps,
  type PipelineObserver,
  type StoredDecision,
} from './types.js';
