import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runShadowAct } from '../../src/cli/shadow-act.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';

describe('runShadowAct (the demo’s shadow act)', () => {
  let t: TestGatehouse;
  beforeAll(async () => {
    t = await startTestGatehouse({ contacts: 600 });
  }, 60_000);
  afterAll(async () => t?.close());

  it('observe → reps work → report → refused, then promoted per operation on evidence', async () => {
    const lines: string[] = [];
    const r = await runShadowAct(t.gh.pipeline, {
      admin: 'maria',
      proposals: 40,
      out: (l) => lines.push(l),
    });
    const text = lines.join('\n');
    expect(r.shadowed).toBe(r.proposed);
    expect(r.proposed).toBeGreaterThanOrEqual(30);
    const m = r.report.agents.find((a) => a.agentId === 'lead-router')!.metrics;
    expect(m.proposals).toBe(r.proposed);
    expect(m.agreement + m.disagreement).toBe(r.routedByReps);
    expect(m.disagreement).toBe(r.offRule);
    expect(m.missed).toBe(r.missedByAgent);
    expect(m.missed).toBeGreaterThan(0);
    expect(m.precision.value!).toBeGreaterThanOrEqual(0.9);
    expect(r.refusedFirst).toBe(true);
    expect(r.promotion).toMatchObject({
      operation: 'contacts.update',
      from: 'observe',
      to: 'autonomous',
      override: null,
    });
    expect(text).toContain('refusing to promote lead-router contacts.update to autonomous');
    expect(text).toContain('lead-router contacts.update: observe → autonomous');

    // Now contacts.update executes; the agent as a whole is still in observe.
    const agents = await t.inject('GET', '/v1/agents', t.keys.maria);
    expect(agents.json.results.find((a: { id: string }) => a.id === 'lead-router').mode).toBe('observe');
    const report = await t.inject('GET', '/v1/agents/lead-router/shadow', t.keys.ana);
    expect(report.json.agents[0].metrics.agreement).toBe(m.agreement);
  }, 60_000);
});
