export { createGatehouseClient, type GatehouseClient } from './client.js';
export { SDK_VERSION, type CallOptions, type GatehouseClientOptions, type RetryOptions } from './transport.js';
export { GatehouseApiError, isGatehouseApiError, SDK_ERROR_CODES, type GatehouseApiErrorInit } from './errors.js';
export {
  FINAL_ACTION_STATUSES,
  isFinalStatus,
  type ActionsClient,
  type FinalActionStatus,
  type WaitOptions,
} from './actions.js';
export type { RecordGetOptions, RecordListOptions, RecordSearchOptions, RecordsClient } from './records.js';
export type {
  AgentsClient,
  ApprovalListOptions,
  ApprovalsClient,
  AuditClient,
  AuditListOptions,
  BreakersClient,
  KpisClient,
} from './admin.js';
export type {
  ActionApprovalRef,
  ActionRequest,
  ActionStatus,
  ActionView,
  AgentMode,
  AgentView,
  ApprovalDecision,
  ApprovalDecisionKind,
  ApprovalDecisionResult,
  ApprovalVoteView,
  ApprovalStatus,
  ApprovalView,
  AuditEntryView,
  AuditVerifyResult,
  BreakerScopeView,
  BreakerView,
  ChangeRecordView,
  ChangeSetView,
  DecisionView,
  KpiPushResult,
  KpiSample,
  Page,
  Paging,
  PropertyValue,
  RecordChange,
  RecordEditRequest,
  RecordPage,
  RecordSearchFilter,
  RecordView,
  TargetActionRequest,
  WireErrorBody,
} from './types.js';
