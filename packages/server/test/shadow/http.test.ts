/**
 * Shadow evidence end to end over HTTP: an observe-mode lead-router proposes owners, a person
 * works the same contacts, the report scores it, promotion is refused / overridden / granted per
 * operation, a breaker's demotion brings autonomy back to gated, and a dry-run rule is reported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { demoteToGated } from '../../src/core/governance.js';
import type { CrmRecord } from '../../src/core/ports/connector.js';
import { exampleConfigText, startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { allRecords, crmOf, editAsPerson, inUsCa } from '../helpers/sandbox.js';

const HOUR = 3_600_000;

function configText(): string {
  let text = exampleConfigText();
  text = text.replace(
    /(- id: lead-router\n\s+owner: sam\n\s+)mode: autonomous[^\n]*/,
    `$1mode: observe\n    promote_when: { min_proposals: 6, precision: 0.8, rule_adherence: 1, window: 14d, match_window: 2d, contacts.update: { precision: 0.6 } }`,
  );
  if (!text.includes('promote_when')) throw new Error('example config changed: lead-router not found');
  text = text.replace(
    /policies:\n/,
    `policies:\n  - id: watch-owner-moves\n    when: "action.object == 'contacts'"\n    effect: require_approval\n    mode: dry_run\n`,
  );
  return text;
}

describe('shadow scoring, promotion and dry-run over HTTP', () => {
  let t: TestGatehouse;
  const clock = createManualClock('2026-03-02T09:00:00.000Z');
  let contacts: CrmRecord[];

  const propose = (id: string, owner: string) =>
    t.inject('POST', '/v1/actions', t.keys['lead-router'], {
      connector: 'crm',
      object: 'contacts',
      operation: 'update',
      records: [{ id, changes: { owner_id: owner } }],
      reason: 'route by territory',
    });

  beforeAll(async () => {
    t = await startTestGatehouse({ configText: configText(), clock });
    contacts = (await allRecords(crmOf(t.gh), 'contacts')).filter(inUsCa).slice(0, 12);
    expect(contacts.length).toBe(12);
  }, 60_000);
  afterAll(async () => t?.close());

  it('scores proposals against people: agree, disagree, unconfirmed, missed', async () => {
    const crm = crmOf(t.gh);
    // 8 proposals; people answer 6 the same way, 1 differently, 1 not at all; 1 missed elsewhere.
    for (let i = 0; i < 8; i++) {
      const r = await propose(contacts[i]!.id, `owner-${i}`);
      expect(r.status).toBe(202);
      expect(r.json.status).toBe('shadowed');
    }
    clock.advance(HOUR);
    for (let i = 0; i < 6; i++)
      await editAsPerson(crm, 'contacts', contacts[i]!.id, { owner_id: `owner-${i}` }, `p${i}`);
    await editAsPerson(crm, 'contacts', contacts[6]!.id, { owner_id: 'someone-else' }, 'p6');
    await editAsPerson(crm, 'contacts', contacts[9]!.id, { owner_id: 'owner-9' }, 'p9'); // missed
    clock.advance(HOUR);

    const r = await t.inject('GET', '/v1/agents/lead-router/shadow', t.keys.ana);
    expect(r.status).toBe(200);
    const me = r.json.agents.find((a: { agent_id: string }) => a.agent_id === 'lead-router');
    expect(me.metrics).toMatchObject({
      proposals: 8,
      agreement: 6,
      disagreement: 1,
      unconfirmed: 1,
      pending: 1,
      missed: 1,
      actions: 8,
      allowed: 8,
    });
    expect(me.metrics.precision.value).toBeCloseTo(6 / 7);
    expect(me.metrics.recall.value).toBeCloseTo(6 / 8);
    expect(me.metrics.precision.ci95[0]).toBeLessThan(6 / 7);
    expect(me.operations.map((o: { operation: string }) => o.operation)).toEqual(['contacts.update']);
    expect(r.json.definitions.precision).toContain('agreement');

    expect((await t.inject('GET', '/v1/agents/lead-router/shadow', t.keys['lead-router'])).status).toBe(403);
    expect((await t.inject('GET', '/v1/agents/nobody/shadow', t.keys.ana)).status).toBe(404);
    const bad = await t.inject('GET', '/v1/agents/lead-router/shadow?since=soon', t.keys.ana);
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('since');
  });

  it('refuses promotion when criteria fail, lists them, and lets only an admin override with a reason', async () => {
    // rule_adherence 1 is met, precision 6/7 ≥ 0.8 met, min_proposals 6 met; add one denied proposal → adherence fails.
    const out = await t.inject('POST', '/v1/actions', t.keys['lead-router'], {
      connector: 'crm',
      object: 'contacts',
      operation: 'update',
      records: [{ id: contacts[0]!.id, changes: { lifecyclestage: 'customer' } }],
      reason: 'not granted',
    });
    expect(out.status).toBe(403);

    const refused = await t.inject('POST', '/v1/agents/lead-router/promote', t.keys.maria, { to: 'autonomous' });
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('promotion_criteria_not_met');
    expect(refused.json.error.details.failed).toEqual(['rule_adherence']);
    expect(refused.json.error.details.evidence.metrics.actions).toBe(9);

    const notAdmin = await t.inject('POST', '/v1/agents/lead-router/promote', t.keys.sam, {
      to: 'autonomous',
      override_reason: 'trust me',
    });
    expect(notAdmin.status).toBe(403);

    const dry = await t.inject('POST', '/v1/agents/lead-router/promote', t.keys.maria, { to: 'gated', dry_run: true });
    expect(dry.status).toBe(200);
    expect(dry.json.criteria.met).toBe(false);
    expect(
      (await t.inject('GET', '/v1/agents', t.keys.maria)).json.results.find(
        (a: { id: string }) => a.id === 'lead-router',
      ).mode,
    ).toBe('observe');

    const overridden = await t.inject('POST', '/v1/agents/lead-router/promote', t.keys.maria, {
      to: 'gated',
      override_reason: 'the denied proposal was a test of the boundary',
    });
    expect(overridden.status).toBe(200);
    expect(overridden.json).toMatchObject({
      from: 'observe',
      to: 'gated',
      override_reason: 'the denied proposal was a test of the boundary',
    });
    const audit = await t.inject('GET', '/v1/audit?limit=1000', t.keys.ana);
    const entry = audit.json.results.findLast((e: { type: string }) => e.type === 'agent.promoted');
    expect(entry.data).toMatchObject({
      agent_id: 'lead-router',
      from: 'observe',
      to: 'gated',
      criteria_met: false,
      override_reason: 'the denied proposal was a test of the boundary',
      criteria: { failed: ['rule_adherence'] },
    });
    expect(entry.actor).toBe('person:maria');
  });

  it('per-operation promotion: contacts.update autonomous, the rest of the agent stays gated', async () => {
    // The operation's own criteria: precision 0.6 (inherits min_proposals 6, rule_adherence 1 → still fails).
    const refused = await t.inject('POST', '/v1/agents/lead-router/promote', t.keys.maria, {
      to: 'autonomous',
      operation: 'contacts.update',
    });
    expect(refused.status).toBe(409);
    const ok = await t.inject('POST', '/v1/agents/lead-router/promote', t.keys.maria, {
      to: 'autonomous',
      operation: 'contacts.update',
      override_reason: 'adherence miss was a deliberate boundary test',
    });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ operation: 'contacts.update', from: 'gated', to: 'autonomous' });
    const modes = await t.inject('GET', '/v1/agents/lead-router/modes', t.keys.ana);
    expect(modes.json).toMatchObject({
      mode: 'gated',
      operations: [
        { operation: 'contacts.update', mode: 'autonomous', source: 'operation_runtime', set_by: 'person:maria' },
      ],
    });
    const executed = await propose(contacts[10]!.id, 'owner-10');
    expect(executed.json.status).toBe('executed');
    expect(executed.json.decision).toMatchObject({ effect: 'allow' });
    const unknownOp = await t.inject('POST', '/v1/agents/lead-router/promote', t.keys.maria, {
      to: 'autonomous',
      operation: 'deals.delete',
    });
    expect(unknownOp.status).toBe(400);
  });

  it('a breaker demotion brings autonomous operations back to gated', async () => {
    const d = await demoteToGated(t.gh.pipeline, {
      agentId: 'lead-router',
      actor: 'breaker:agent-errors',
      comment: 'test trip',
    });
    expect(d.demoted).toEqual([{ operation: 'contacts.update', from: 'autonomous' }]);
    const gated = await propose(contacts[11]!.id, 'owner-11');
    expect(gated.json.status).toBe('pending_approval');
    const again = await demoteToGated(t.gh.pipeline, { agentId: 'lead-router', actor: 'breaker:x', comment: 'again' });
    expect(again).toMatchObject({ demoted: [], auditSeq: null });
  });

  it('reports what a dry-run rule would have done, without changing outcomes', async () => {
    const r = await t.inject('GET', '/v1/policies/dry-run?since=24h', t.keys.ana);
    expect(r.status).toBe(200);
    const rule = r.json.rules.find((x: { id: string }) => x.id === 'watch-owner-moves');
    // Every contacts action that reached policy: 8 shadowed + 1 executed + 1 pending (the boundary refusal never did).
    expect(rule).toMatchObject({ effect: 'require_approval', evaluated: 10, matched: 10 });
    // Enforced, every one of them would have had a stricter decision (allow → require_approval).
    expect(rule.would_change).toBe(10);
    // The outcomes did not change: the executed write stayed executed.
    const executed = await t.gh.storage.actions.list({ agentId: 'lead-router', statuses: ['executed'], limit: 10 });
    expect(executed).toHaveLength(1);
    expect(rule.summary).toMatch(
      /^rule watch-owner-moves would have required approval for 10 of the last 1d's 10 actions/,
    );
    expect(r.json.dry_run_rules).toEqual(['watch-owner-moves']);
    // A rule id that is not in the config is a typo, not "matched nothing" (review/regressions.test.ts).
    expect((await t.inject('GET', '/v1/policies/dry-run?rule=nope', t.keys.ana)).json.error.code).toBe('invalid_query');
  });
});
