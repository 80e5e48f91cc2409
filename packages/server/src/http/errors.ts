/**
 * The one place where error codes become HTTP statuses. The core raises GatehouseError with a
 * stable code and never knows HTTP; every transport maps codes here (or in its own equivalent).
 * Unknown codes are treated as the caller's mistake only if listed; anything else is a 500.
 */
import type { GatehouseError } from '../core/errors.js';

export const ERROR_STATUS = {
  invalid_json: 400,
  invalid_request: 400,
  invalid_query: 400,
  invalid_cursor: 400,
  invalid_filter: 400,
  unsupported_media_type: 415,
  body_too_large: 413,
  unauthenticated: 401,
  key_invalid: 401,
  key_revoked: 401,
  forbidden: 403,
  connector_not_granted: 403,
  object_not_granted: 403,
  operation_not_granted: 403,
  field_not_writable: 403,
  field_not_readable: 403,
  invalid_value: 422,
  stale: 409,
  record_out_of_scope: 403,
  batch_too_large: 403,
  policy_denied: 403,
  preflight_failed: 403,
  not_found: 404,
  route_not_found: 404,
  record_not_found: 404,
  action_not_found: 404,
  approval_not_found: 404,
  agent_not_found: 404,
  unknown_connector: 404,
  unknown_object: 404,
  unknown_property: 422,
  unsupported_operation: 422,
  method_not_allowed: 405,
  unknown_tool: 404,
  conflict: 409,
  separation_of_duties: 403,
  csrf_failed: 403,
  already_decided: 409,
  already_voted: 409,
  approval_void: 409,
  checklist_incomplete: 422,
  edit_denied: 422,
  invalid_credentials: 401,
  key_not_found: 404,
  person_not_found: 404,
  idempotency_conflict: 409,
  breaker_open: 423,
  breaker_not_found: 404,
  comment_required: 422,
  invalid_transition: 409,
  promotion_criteria_not_met: 409,
  override_reason_required: 422,
  probe_budget_exhausted: 423,
  agent_paused: 423,
  rate_limited: 429,
  not_ready: 503,
  storage_unavailable: 503,
  connector_unavailable: 502,
  replica_read_only: 409,
  replica_not_created: 503,
  internal: 500,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export function statusForCode(code: string): number {
  return (ERROR_STATUS as Record<string, number>)[code] ?? 500;
}

export interface WireError {
  error: { code: string; message: string; details?: Record<string, unknown>; request_id: string };
}

export function wireError(err: GatehouseError, requestId: string): WireError {
  return {
    error: {
      code: err.code,
      message: err.message,
      ...(err.details ? { details: { ...err.details } } : {}),
      request_id: requestId,
    },
  };
}

/** Human descriptions of the codes, published in the OpenAPI document. */
export const ERROR_DESCRIPTIONS: Partial<Record<ErrorCode, string>> = {
  invalid_json: 'The body is not valid JSON.',
  invalid_request: 'The body or parameters do not match the schema; the message names the field.',
  body_too_large: 'The body exceeds server.body_limit.',
  unauthenticated: 'No Authorization: Bearer key was sent.',
  key_invalid: 'The key is unknown or malformed.',
  key_revoked: 'The key was revoked.',
  forbidden: "The caller's role does not allow this.",
  field_not_writable: "The agent's grants do not allow writing this field.",
  record_out_of_scope: "The record is outside the grant's where filter.",
  breaker_open: 'A circuit breaker covering this agent is open; writes are refused.',
  breaker_not_found: 'No breaker with this id in the config.',
  comment_required: 'Resetting, forcing open or disabling a breaker needs a comment saying why.',
  invalid_transition: 'The breaker is not in a state this change applies to (e.g. resetting a closed breaker).',
  probe_budget_exhausted: 'The half-open breaker has used every probe action; writes wait for the next evaluation.',
  agent_paused: 'The agent is paused; writes are refused, reads still work.',
  promotion_criteria_not_met:
    "The agent's shadow evidence does not meet its promote_when criteria; details list which failed. An admin may override with a written reason.",
  override_reason_required: 'An override of promotion criteria needs a written reason.',
  rate_limited: 'The agent exceeded its actions_per_minute budget.',
  unknown_tool: 'MCP: the agent has no tool by this name; its tools follow its grants.',
};
