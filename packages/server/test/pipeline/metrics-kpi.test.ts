/**
 * /metrics KPI and breaker gauges, read from storage at scrape time: consecutive fails per scope,
 * and the value and baseline of each configured breaker's latest evaluation.
 */
import { afterEach, expect, it } from 'vitest';
import { createMetrics, lastEvaluationValues } from '../../src/adapters/metrics/prometheus.js';
import type { BreakerRow } from '../../src/core/ports/storage.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';

let t: TestGatehouse | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const AT = '2026-03-08T00:00:00.000Z';

function row(breakerId: string, scopeKey: string, fails: number, lastEvaluation?: Record<string, unknown>): BreakerRow {
  return {
    breakerId,
    scopeKey,
    state: fails > 0 ? 'open' : 'closed',
    version: 1,
    since: AT,
    reason: lastEvaluation ? { event: 'evaluated', last_evaluation: lastEvaluation } : null,
    consecutiveFails: fails,
    probeBudget: 0,
    updatedAt: AT,
    updatedBy: 'system',
  };
}

it('reports consecutive fails, and KPI value and baseline of configured breakers only', async () => {
  t = await startTestGatehouse({ contacts: 60 });
  const storage = t.gh.storage;
  await storage.breakers.upsert(
    row('ctr-drop', 'agent:subject-optimizer', 2, {
      at: AT,
      outcome: 'fail',
      reason: 'CTR 0.8% vs baseline 3.2%',
      value: 0.008,
      baseline_value: 0.032,
    }),
    null,
  );
  await storage.breakers.upsert(row('agent-errors', 'all', 0, { at: AT, outcome: 'no_data', reason: 'no data' }), null);
  await storage.breakers.upsert(row('removed', 'all', 3, { at: AT, outcome: 'fail', reason: 'x', value: 9 }), null);

  const metrics = createMetrics({
    storage,
    agentIds: t.config.agents.map((a) => a.id),
    breakers: t.config.breakers,
  });
  const body = await metrics.registry.metrics();

  expect(body).toContain('gatehouse_breaker_consecutive_fails{breaker="ctr-drop",scope="agent:subject-optimizer"} 2');
  expect(body).toContain('gatehouse_breaker_consecutive_fails{breaker="agent-errors",scope="all"} 0');
  expect(body).toContain(
    'gatehouse_kpi_value{breaker="ctr-drop",scope="agent:subject-optimizer",metric="email.ctr"} 0.008',
  );
  expect(body).toContain(
    'gatehouse_kpi_baseline{breaker="ctr-drop",scope="agent:subject-optimizer",metric="email.ctr"} 0.032',
  );
  // No data means no sample (not a zero that would read as a collapse); unconfigured rows are left out.
  expect(body).not.toMatch(/gatehouse_kpi_(value|baseline)\{breaker="agent-errors"/);
  expect(body).not.toMatch(/gatehouse_kpi_value\{breaker="removed"/);

  // Scrape time, not creation time: a later evaluation shows on the next scrape.
  await storage.breakers.upsert(
    {
      ...row('ctr-drop', 'agent:subject-optimizer', 0, {
        at: AT,
        outcome: 'pass',
        reason: 'ok',
        value: 0.031,
        baseline_value: 0.03,
      }),
      version: 2,
    },
    1,
  );
  const again = await metrics.registry.metrics();
  expect(again).toContain('gatehouse_breaker_consecutive_fails{breaker="ctr-drop",scope="agent:subject-optimizer"} 0');
  expect(again).toContain(
    'gatehouse_kpi_value{breaker="ctr-drop",scope="agent:subject-optimizer",metric="email.ctr"} 0.031',
  );
});

it('reads value and baseline only as finite numbers', () => {
  expect(lastEvaluationValues(row('b', 'all', 0, { value: 0.5, baseline_value: 0.4 }))).toEqual({
    value: 0.5,
    baseline: 0.4,
  });
  expect(lastEvaluationValues(row('b', 'all', 0, { value: 'NaN', baseline_value: null }))).toEqual({});
  expect(lastEvaluationValues(row('b', 'all', 0))).toEqual({});
});
