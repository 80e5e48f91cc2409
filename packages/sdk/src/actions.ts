/**
 * `actions`: submit an action, read it, wait for it to settle.
 *
 * Invariant: one `submit` call is at most one action on the server. The idempotency key is fixed
 * before the first attempt (generated when the caller gave none) and the transport resends the
 * same bytes on every retry, so a connection lost after the server acted is answered with the
 * same action, never a second one.
 */
import { readAction } from './decode.js';
import { GatehouseApiError } from './errors.js';
import { pause, type CallOptions, type CompiledOptions, type Transport } from './transport.js';
import type { ActionRequest, ActionStatus, ActionView } from './types.js';

/** Statuses after which an action no longer changes on its own; `wait` stops at these. */
export const FINAL_ACTION_STATUSES = [
  'executed',
  'denied',
  'rejected',
  'revision_requested',
  'breaker_open',
  'expired',
  'failed',
  'shadowed',
  'rolled_back',
] as const satisfies readonly ActionStatus[];

export type FinalActionStatus = (typeof FINAL_ACTION_STATUSES)[number];

const FINAL: ReadonlySet<string> = new Set(FINAL_ACTION_STATUSES);

export function isFinalStatus(status: ActionStatus): status is FinalActionStatus {
  return FINAL.has(status);
}

export interface WaitOptions extends CallOptions {
  /** Give up after this long and return the latest view (not final). Default 300 000. */
  readonly timeoutMs?: number;
  /** Longest single long-poll (`?wait=N`), whole seconds ≥ 1. Default 30. */
  readonly pollSeconds?: number;
  /**
   * Floor between polls when the server answers early without a change (a proxy or server that
   * ignores `?wait`), so `wait` never spins. Default 1 000.
   */
  readonly minIntervalMs?: number;
}

export interface ActionsClient {
  /**
   * Submits an action and returns it whatever its outcome (executed, pending_approval, shadowed,
   * denied, breaker_open): outcomes are results. Throws GatehouseApiError only when the request
   * could not be processed (malformed: 400/422, unauthenticated, rate limited after retries, …).
   */
  submit(request: ActionRequest, options?: CallOptions): Promise<ActionView>;
  /** The action's current state. Unknown id → GatehouseApiError `action_not_found`. */
  get(id: string, options?: CallOptions): Promise<ActionView>;
  /**
   * Long-polls until the status is final (see FINAL_ACTION_STATUSES) or `timeoutMs` passes, and
   * returns the latest view either way: check `isFinalStatus(view.status)`. May overrun the
   * timeout by under a second (the server's wait granularity).
   */
  wait(id: string, options?: WaitOptions): Promise<ActionView>;
}

export interface ActionsDeps {
  readonly transport: Transport;
  readonly options: CompiledOptions;
  readonly newKey?: () => string;
  readonly now?: () => number;
}

const actionPath = (id: string) => `/v1/actions/${encodeURIComponent(id)}`;

function checkWholeSeconds(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new GatehouseApiError({
      code: 'invalid_options',
      message: `actions.wait: ${name} must be an integer ≥ ${min}`,
    });
  }
}

export function createActionsClient(deps: ActionsDeps): ActionsClient {
  const newKey = deps.newKey ?? (() => globalThis.crypto.randomUUID());
  const now = deps.now ?? Date.now;
  const { transport } = deps;

  async function get(id: string, options: CallOptions = {}): Promise<ActionView> {
    const call = { method: 'GET', path: actionPath(id), retry: 'idempotent', signal: options.signal } as const;
    return readAction(call, await transport.send(call));
  }

  return {
    async submit(request, options = {}) {
      const body: ActionRequest = { ...request, idempotency_key: request.idempotency_key ?? newKey() };
      const call = { method: 'POST', path: '/v1/actions', body, retry: 'idempotent', signal: options.signal } as const;
      return readAction(call, await transport.send(call));
    },

    get,

    async wait(id, options = {}) {
      const timeoutMs = options.timeoutMs ?? 300_000;
      const pollSeconds = options.pollSeconds ?? 30;
      const minIntervalMs = options.minIntervalMs ?? 1_000;
      checkWholeSeconds('timeoutMs', timeoutMs, 0);
      checkWholeSeconds('pollSeconds', pollSeconds, 1);
      checkWholeSeconds('minIntervalMs', minIntervalMs, 0);
      const deadline = now() + timeoutMs;
      const what = `waiting for ${actionPath(id)}`;

      // A plain read first: an action that is already final must not hold a long-poll open.
      let view = await get(id, options);
      while (!isFinalStatus(view.status)) {
        const remaining = deadline - now();
        if (remaining <= 0) return view;
        const waitSeconds = Math.max(1, Math.min(pollSeconds, Math.ceil(remaining / 1000)));
        const call = {
          method: 'GET',
          path: actionPath(id),
          query: { wait: waitSeconds },
          retry: 'idempotent',
          // The server holds the answer up to `wait` seconds; the attempt timeout must outlast it.
          timeoutMs: deps.options.timeoutMs + waitSeconds * 1000,
          signal: options.signal,
        } as const;
        const started = now();
        const next = readAction(call, await transport.send(call));
        const changed = next.status !== view.status || next.updated_at !== view.updated_at;
        view = next;
        const elapsed = now() - started;
        if (!changed && !isFinalStatus(view.status) && elapsed < minIntervalMs) {
          const floor = minIntervalMs - elapsed;
          const left = Math.max(0, deadline - now());
          // Timers may fire a little early; deciding here keeps one last poll from slipping in.
          await pause(Math.min(floor, left), options.signal, what);
          if (left <= floor) return view;
        }
      }
      return view;
    },
  };
}
