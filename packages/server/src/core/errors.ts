/**
 * The one error base class. Every error Gatehouse raises on purpose carries a stable `code`
 * (documented in the OpenAPI document) and optional structured `details`. The core never knows
 * HTTP: transports map codes to statuses in exactly one place (`http/errors.ts`).
 *
 * Expected outcomes of an action (denied, pending approval, shadowed, breaker open) are values,
 * not errors; errors are for requests that cannot be processed at all.
 */
export class GatehouseError extends Error {
  override readonly name = 'GatehouseError';
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, options?: { details?: Record<string, unknown>; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
  }
}

export const isGatehouseError = (e: unknown): e is GatehouseError => e instanceof GatehouseError;
