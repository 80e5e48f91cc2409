/**
 * The SDK's one error class. Requests the server refused carry the server's stable `code`
 * (e.g. `record_not_found`, `invalid_request`, `rate_limited`) and its `request_id`; failures
 * that never produced a server answer carry one of the SDK's own codes below.
 *
 * Action outcomes (denied, pending approval, shadowed, breaker open) are never errors: they come
 * back as the action view.
 */

/** Codes the SDK itself produces; every other code comes from the server. */
export const SDK_ERROR_CODES = {
  /** The server could not be reached (or the connection broke) on every attempt. */
  network_error: 'network_error',
  /** Every attempt exceeded `timeoutMs`. */
  timeout: 'timeout',
  /** The caller's AbortSignal fired. */
  aborted: 'aborted',
  /** The server answered something that is not the wire contract (non-JSON, wrong shape). */
  bad_response: 'bad_response',
  /** `createGatehouseClient` options are invalid; the message names the field. */
  invalid_options: 'invalid_options',
} as const;

export interface GatehouseApiErrorInit {
  readonly code: string;
  readonly message: string;
  /** HTTP status; absent when no answer arrived. */
  readonly status?: number;
  readonly requestId?: string;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

export class GatehouseApiError extends Error {
  override readonly name = 'GatehouseApiError';
  readonly code: string;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(init: GatehouseApiErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.status = init.status;
    this.requestId = init.requestId;
    this.details = init.details ?? {};
  }
}

/** True for a GatehouseApiError, optionally with the given code. */
export function isGatehouseApiError(err: unknown, code?: string): err is GatehouseApiError {
  return err instanceof GatehouseApiError && (code === undefined || err.code === code);
}
