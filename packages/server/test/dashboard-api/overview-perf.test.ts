/**
 * The overview stays fast at the size the issue names: 50 agents with 10,000 actions today
 * (plus a week of history). Counting happens in SQL, so the time barely depends on the rows.
 * The bar is 200 ms of server time; the assertion leaves room for a loaded CI machine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { exampleConfigText, startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';

const AGENTS = 50;
const TODAY = 10_000;
const STATUSES = ['executed', 'executed', 'executed', 'denied', 'shadowed', 'pending_approval', 'failed', 'rejected'];
const NOW = Date.parse('2026-03-02T18:00:00.000Z');
const clock = createManualClock(new Date(NOW).toISOString());
let t: TestGatehouse;

function configText(): string {
  const extra = Array.from(
    { length: AGENTS - 3 },
    (_, i) => `  - id: bulk-${i}
    owner: maria
    mode: autonomous
    grants:
      - connector: crm
        objects: [contacts]
        operations: [read, update]
        write_fields: [owner_id]
`,
  ).join('');
  return exampleConfigText({ contacts: 60 }).replace(/^agents:\n/m, `agents:\n${extra}`);
}

beforeAll(async () => {
  t = await startTestGatehouse({ configText: configText(), clock });
  const agents = t.config.agents.map((a) => a.id);
  expect(agents).toHaveLength(AGENTS);
  const insert = async (n: number, from: number, span: number, prefix: string) => {
    await t.gh.storage.transaction(async (tx) => {
      for (let i = 0; i < n; i++) {
        await tx.actions.insert({
          id: `${prefix}_${i}`,
          agentId: agents[i % AGENTS]!,
          connector: 'crm',
          object: 'contacts',
          operation: 'update',
          status: STATUSES[i % STATUSES.length]!,
          request: { records: [{ id: `c_${i}`, changes: { owner_id: 'u_1' } }], reason: 'bulk' },
          createdAt: new Date(from + Math.floor((i * span) / n)).toISOString(),
        });
      }
    });
  };
  const midnight = Date.parse('2026-03-02T00:00:00.000Z');
  await insert(TODAY, midnight, NOW - midnight, 'act_today');
  await insert(20_000, NOW - 7 * 86_400_000, 6 * 86_400_000, 'act_week');
}, 120_000);

afterAll(() => t?.close());

describe('GET /v1/overview at 50 agents × 10,000 actions today', () => {
  it('answers in well under a second and counts every action of today', async () => {
    await t.inject('GET', '/v1/overview', t.keys.ana); // warm-up
    const times: number[] = [];
    let body: { agents: { today: { total: number; executed: number } }[] } | undefined;
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const r = await t.inject('GET', '/v1/overview', t.keys.ana);
      times.push(performance.now() - started);
      expect(r.status, r.body).toBe(200);
      body = r.json;
    }
    const median = [...times].sort((a, b) => a - b)[2]!;
    console.log(`GET /v1/overview, ${AGENTS} agents × ${TODAY} actions today: median ${median.toFixed(1)} ms`);
    expect(body!.agents).toHaveLength(AGENTS);
    expect(body!.agents.reduce((n, a) => n + a.today.total, 0)).toBe(TODAY);
    expect(body!.agents.reduce((n, a) => n + a.today.executed, 0)).toBe(
      Array.from({ length: TODAY }, (_, i) => STATUSES[i % STATUSES.length]).filter((s) => s === 'executed').length,
    );
    expect(median).toBeLessThan(1_000);
  });
});
