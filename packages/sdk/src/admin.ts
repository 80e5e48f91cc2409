/**
 * The people-facing sub-clients: approvals, agents, breakers, KPI ingest, audit.
 *
 * Retry classes follow what a repeat would do on the server: setting a mode or pushing KPI
 * samples twice has the effect of doing it once (samples are idempotent by metric, dims and
 * time), so they retry freely; an approval decision or a breaker reset is recorded once per
 * request, so a lost answer is surfaced instead of replayed (see transport.ts).
 */
import { errorFrom, readJson, readOptionalJson, readPage } from './decode.js';
import type { CallOptions, Transport } from './transport.js';
import type {
  AgentMode,
  AgentView,
  ApprovalDecision,
  ApprovalDecisionResult,
  ApprovalStatus,
  ApprovalView,
  AuditEntryView,
  AuditVerifyResult,
  BreakerView,
  KpiPushResult,
  KpiSample,
  Page,
} from './types.js';

const seg = encodeURIComponent;

export interface ApprovalListOptions extends CallOptions {
  readonly status?: ApprovalStatus;
  readonly limit?: number;
  readonly after?: string;
}

export interface ApprovalsClient {
  list(options?: ApprovalListOptions): Promise<Page<ApprovalView>>;
  get(id: string, options?: CallOptions): Promise<ApprovalView>;
  /**
   * Records one person's vote (needs a person key with an approver role; an agent's owner may not
   * approve its actions). A decision already taken → GatehouseApiError (409).
   */
  decide(id: string, decision: ApprovalDecision, options?: CallOptions): Promise<ApprovalDecisionResult>;
}

export interface AgentsClient {
  list(options?: CallOptions): Promise<Page<AgentView>>;
  setMode(id: string, mode: AgentMode, comment?: string, options?: CallOptions): Promise<AgentView>;
}

export interface BreakersClient {
  list(options?: CallOptions): Promise<Page<BreakerView>>;
  /** Closes a tripped breaker (responder role); only a person can. */
  reset(id: string, comment: string, options?: CallOptions): Promise<BreakerView>;
}

export interface KpisClient {
  /** Sends samples; sending the same sample twice counts it once. */
  push(samples: readonly KpiSample[], options?: CallOptions): Promise<KpiPushResult>;
}

export interface AuditListOptions extends CallOptions {
  /** Entries after this sequence number. */
  readonly after?: number | string;
  readonly limit?: number;
}

export interface AuditClient {
  list(options?: AuditListOptions): Promise<Page<AuditEntryView>>;
  /** The chain check. Tampering is a result (`ok: false`), not an error. */
  verify(options?: CallOptions): Promise<AuditVerifyResult>;
}

export function createApprovalsClient(transport: Transport): ApprovalsClient {
  return {
    async list(options = {}) {
      const query = { status: options.status, limit: options.limit, after: options.after };
      const call = {
        method: 'GET',
        path: '/v1/approvals',
        query,
        retry: 'idempotent',
        signal: options.signal,
      } as const;
      return readPage<ApprovalView>(call, await transport.send(call));
    },
    async get(id, options = {}) {
      const call = {
        method: 'GET',
        path: `/v1/approvals/${seg(id)}`,
        retry: 'idempotent',
        signal: options.signal,
      } as const;
      return readJson<ApprovalView>(call, await transport.send(call));
    },
    async decide(id, decision, options = {}) {
      const call = {
        method: 'POST',
        path: `/v1/approvals/${seg(id)}/decision`,
        body: decision,
        retry: 'unsafe',
        signal: options.signal,
      } as const;
      return readJson<ApprovalDecisionResult>(call, await transport.send(call));
    },
  };
}

export function createAgentsClient(transport: Transport): AgentsClient {
  return {
    async list(options = {}) {
      const call = { method: 'GET', path: '/v1/agents', retry: 'idempotent', signal: options.signal } as const;
      return readPage<AgentView>(call, await transport.send(call));
    },
    async setMode(id, mode, comment, options = {}) {
      const call = {
        method: 'POST',
        path: `/v1/agents/${seg(id)}/mode`,
        body: comment === undefined ? { mode } : { mode, comment },
        retry: 'idempotent',
        signal: options.signal,
      } as const;
      return readJson<AgentView>(call, await transport.send(call));
    },
  };
}

export function createBreakersClient(transport: Transport): BreakersClient {
  return {
    async list(options = {}) {
      const call = { method: 'GET', path: '/v1/breakers', retry: 'idempotent', signal: options.signal } as const;
      return readPage<BreakerView>(call, await transport.send(call));
    },
    async reset(id, comment, options = {}) {
      const call = {
        method: 'POST',
        path: `/v1/breakers/${seg(id)}/reset`,
        body: { comment },
        retry: 'unsafe',
        signal: options.signal,
      } as const;
      return readJson<BreakerView>(call, await transport.send(call));
    },
  };
}

export function createKpisClient(transport: Transport): KpisClient {
  return {
    async push(samples, options = {}) {
      const call = {
        method: 'POST',
        path: '/v1/kpis',
        body: { samples },
        retry: 'idempotent',
        signal: options.signal,
      } as const;
      return readOptionalJson<KpiPushResult>(call, await transport.send(call)) ?? {};
    },
  };
}

const isVerifyResult = (v: unknown): v is AuditVerifyResult =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { ok?: unknown }).ok === 'boolean' &&
  typeof (v as { entries?: unknown }).entries === 'number';

export function createAuditClient(transport: Transport): AuditClient {
  return {
    async list(options = {}) {
      const query = { after: options.after, limit: options.limit };
      const call = { method: 'GET', path: '/v1/audit', query, retry: 'idempotent', signal: options.signal } as const;
      return readPage<AuditEntryView>(call, await transport.send(call));
    },
    async verify(options = {}) {
      const call = { method: 'GET', path: '/v1/audit/verify', retry: 'idempotent', signal: options.signal } as const;
      const answer = await transport.send(call);
      // A server may answer a broken chain with a non-2xx status; the verdict is still the result.
      if (answer.isJson && answer.status < 500 && isVerifyResult(answer.json)) return answer.json;
      throw errorFrom(call, answer);
    },
  };
}
