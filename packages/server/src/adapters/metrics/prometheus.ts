/**
 * Prometheus instrumentation (prom-client). Counters and histograms are fed by the pipeline's
 * observer as actions settle; gauges that describe shared state (breakers, pending approvals,
 * agent modes) are read from storage at scrape time, so every instance reports the same truth.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PipelineObserver } from '../../core/pipeline/index.js';
import type { ActionRow, Storage } from '../../core/ports/storage.js';

const BREAKER_STATES = ['closed', 'open', 'half_open', 'forced_open', 'disabled'] as const;

export function createMetrics(deps: { storage: Storage; agentIds: readonly string[] }) {
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

  const observer: PipelineObserver = {
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
