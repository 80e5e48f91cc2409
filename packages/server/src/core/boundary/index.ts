export { checkWrite } from './check-write.js';
export { projectRecord, type ProjectOptions } from './project-record.js';
export { hashValue, maskValue, presentPii, strictestPii, MASK, type PiiOptions } from './pii.js';
export {
  actionsPerMinuteOf,
  checkRecordInScope,
  evaluateWhere,
  grantsFor,
  readGrantsFor,
  READ_OPERATION,
  type WhereOutcome,
} from './scope.js';
export {
  BOUNDARY_CODES,
  PII_MODES,
  type AgentBoundary,
  type AgentLimits,
  type BoundaryRefusal,
  type CrmRecord,
  type CrmRecordView,
  type Grant,
  type ObjectSchema,
  type PiiMode,
  type RecordChange,
  type ScopeCheck,
  type WriteAction,
  type WriteCheck,
  type WriteRefusalCode,
} from './types.js';
