/**
 * Prometheus instrumentation (prom-client). Counters and histograms are fed by the pipeline's
 * observer as actions settle; gauges that describe shared state (breakers, their last KPI
 * evaluation, pending approvals, agent modes) are read from storage at scrape time, so every
 * instance reports the same truth.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BreakerConfig } from '../../config/types.js';
import type { PipelineObserver } from '../../core/pipeline/index.js';
import type { ActionRow, BreakerRow, Storage } from '../../core/ports/storage.js';

const BREAKER_STATES = ['closed', 'open', 'half_open', 'forced_open', 'disabled'] as const;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The value and baseline of the row's latest evaluation (`reason.last_evaluation`, written by the
 * breaker service), each only when it is a finite number: a scope without data has no sample.
 */
export function lastEvaluationValues(row: BreakerRow): { value?: number; baseline?: number } {
  const last = isRecord(row.reason) ? row.reason.last_evaluation : undefined;
  if (!isRecord(last)) return {};
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const value = num(last.value);
  const baseline = num(last.baseline_value);
  return { ...(value !== undefined ? { value } : {}), ...(baseline !== undefined ? { baseline } : {}) };
}

export function createMetrics(deps: {
  storage: Storage;
  agentIds: readonly string[];
  /** The configured breakers: KPI gauges are reported for these only (a removed breaker's rows are not). */
  breakers?: readonly Pick<BreakerConfig, 'id' | 'metric'>[];
}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_process_' });

  const actions = new Counter({
    name: 'gatehouse_actions_total',
    help: 'Actions settled by this instance, by agent, object, operation, status and refusal code.',
    labelNames: ['agent', 'object', 'operation', 'status', 'code'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'gatehouse_action_decision_seconds',
    help: 'Time from receiving an action to its first persisted outcome (including execution when autonomous).',
    labelNames: ['agent', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  new Gauge({
    name: 'gatehouse_breaker_state',
    help: 'Breaker state per breaker and scope (1 for the current state).',
    labelNames: ['breaker', 'scope', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const b of await deps.storage.breakers.list()) {
        for (const s of BREAKER_STATES)
          this.set({ breaker: b.breakerId, scope: b.scopeKey, state: s }, b.state === s ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'gatehouse_breaker_consecutive_fails',
    help: 'Consecutive failing evaluations per breaker and scope (failed probes while half open).',
    labelNames: ['breaker', 'scope'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const b of await deps.storage.breakers.list())
        this.set({ breaker: b.breakerId, scope: b.scopeKey }, b.consecutiveFails);
    },
  });
  /** Rows of configured breakers with their metric (the breakers table is small: read per gauge). */
  const configuredRows = async (): Promise<{ row: BreakerRow; metric: string }[]> => {
    const metricOf = new Map((deps.breakers ?? []).map((b) => [b.id, b.metric]));
    if (metricOf.size === 0) return [];
    const rows = await deps.storage.breakers.list();
    return rows.flatMap((row) => {
      const metric = metricOf.get(row.breakerId);
      return metric === undefined ? [] : [{ row, metric }];
    });
  };
  new Gauge({
    name: 'gatehouse_kpi_value',
    help: 'The metric value of the breaker’s latest evaluation, per scope.',
    labelNames: ['breaker', 'scope', 'metric'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const { row, metric } of await configuredRows()) {
        const { value } = lastEvaluationValues(row);
        if (value !== undefined) this.set({ breaker: row.breakerId, scope: row.scopeKey, metric }, value);
      }
    },
  });
  new Gauge({
    name: 'gatehouse_kpi_baseline',
    help: 'The baseline value the breaker’s latest evaluation compared against, per scope.',
    labelNames: ['breaker', 'scope', 'metric'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const { row, metric } of await configuredRows()) {
        const { baseline } = lastEvaluationValues(row);
        if (baseline !== undefined) this.set({ breaker: row.breakerId, scope: row.scopeKey, metric }, baseline);
      }
    },
  });
  new Gauge({
    name: 'gatehouse_approvals_pending',
    help: 'Approval requests waiting for people.',
    registers: [registry],
    async collect() {
      this.set((await deps.storage.approvals.list({ status: 'pending', limit: 10_000 })).length);
    },
  });
  new Gauge({
    name: 'gatehouse_agent_paused',
    help: '1 when the agent is paused at run time.',
    labelNames: ['agent'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const states = new Map((await deps.storage.agents.list()).map((a) => [a.id, a.mode]));
      for (const id of deps.agentIds) this.set({ agent: id }, states.get(id) === 'paused' ? 1 : 0);
    },
  });

  const approvalWait = new Histogram({
    name: 'gatehouse_approval_wait_seconds',
    help: 'Time from an approval request to its end, by outcome (approved, rejected, revise, expired, void).',
    labelNames: ['agent', 'outcome'] as const,
    buckets: [60, 300, 900, 1800, 3600, 4 * 3600, 8 * 3600, 24 * 3600, 72 * 3600],
    registers: [registry],
  });
  const overrides = new Counter({
    name: 'gatehouse_overrides_total',
    help: 'People overriding an agent: rejections, revision requests and edits of its proposals.',
    labelNames: ['agent', 'kind'] as const,
    registers: [registry],
  });

  const observer: PipelineObserver = {
    approvalEnded({ agentId, outcome, waitMs }) {
      approvalWait.observe({ agent: agentId, outcome }, waitMs / 1000);
      if (outcome === 'rejected' || outcome === 'revise')
        overrides.inc({ agent: agentId, kind: outcome === 'revise' ? 'revised' : 'rejected' });
    },
    approvalEdited({ agentId }) {
      overrides.inc({ agent: agentId, kind: 'edited' });
    },
    actionSettled(action: ActionRow, micros: number) {
      const code = (action.error as { code?: string } | null)?.code ?? '';
      actions.inc({
        agent: action.agentId,
        object: action.object,
        operation: action.operation,
        status: action.status,
        code,
      });
      latency.observe({ agent: action.agentId, status: action.status }, micros / 1e6);
    },
  };
  return { registry, observer };
}
export type Metrics = ReturnType<typeof createMetrics>;
