import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';

let t: TestGatehouse;
beforeAll(async () => {
  t = await startTestGatehouse();
});
afterAll(async () => t.close());

it('/metrics reports settled actions by agent and status, and breaker/approval gauges', async () => {
  const page = await t.inject('GET', '/v1/records/crm/contacts?limit=1', t.keys['lead-router']);
  const id = page.json.results[0].id as string;
  const r = await t.inject('POST', '/v1/actions', t.keys['lead-router'], {
    connector: 'crm',
    object: 'contacts',
    operation: 'update',
    records: [{ id, changes: { owner_id: 'u_metrics' } }],
    reason: 'metrics test',
  });
  expect(r.status).toBe(200);
  const m = await t.gh.http.inject({ method: 'GET', url: '/metrics' });
  expect(m.statusCode).toBe(200);
  expect(m.headers['content-type']).toContain('text/plain');
  expect(m.body).toMatch(
    /gatehouse_actions_total\{agent="lead-router",object="contacts",operation="update",status="executed",code=""\} 1/,
  );
  expect(m.body).toMatch(/gatehouse_action_decision_seconds_count\{agent="lead-router",status="executed"\} 1/);
  expect(m.body).toContain('gatehouse_approvals_pending 0');
  expect(m.body).toMatch(/gatehouse_agent_paused\{agent="lead-router"\} 0/);
});

it('/metrics counts human overrides and approval wait time', async () => {
  const drafts = await t.inject(
    'GET',
    '/v1/records/crm/campaigns?limit=1&filter=status:EQ:draft',
    t.keys['campaign-runner'],
  );
  const target = drafts.json.results[0].id as string;
  const launch = await t.inject('POST', '/v1/actions', t.keys['campaign-runner'], {
    connector: 'crm',
    object: 'campaigns',
    operation: 'launch',
    target,
    reason: 'metrics test launch',
  });
  expect(launch.status).toBe(202);
  const decided = await t.inject('POST', `/v1/approvals/${launch.json.approval.id}/decision`, t.keys.lee, {
    decision: 'reject',
    comment: 'not this week',
  });
  expect(decided.status, decided.body).toBe(200);
  const m = await t.gh.http.inject({ method: 'GET', url: '/metrics' });
  expect(m.body).toMatch(/gatehouse_overrides_total\{agent="campaign-runner",kind="rejected"\} 1/);
  expect(m.body).toMatch(/gatehouse_approval_wait_seconds_count\{agent="campaign-runner",outcome="rejected"\} 1/);
});
