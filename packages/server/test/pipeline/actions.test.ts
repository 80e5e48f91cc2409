/**
 * The action pipeline through the HTTP API, in process: what an agent gets back and what really
 * happened in the CRM (read behind Gatehouse's back from the sandbox).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { executeAction, loadAction, submitAction } from '../../src/core/pipeline/index.js';
import { judge } from '../../src/core/pipeline/judge.js';
import { recordNewAction } from '../../src/core/pipeline/record.js';
import { baseDecision, verdictFor } from '../../src/core/pipeline/verdict.js';
import type { CrmRecord } from '../../src/core/ports/connector.js';
import { exampleConfigText, isErrorShape, startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { agentWrites, allRecords, crmOf, editAsPerson, inUsCa } from '../helpers/sandbox.js';

/** The example plus an agent granted the price book (policy must still deny) and a rate-limited one. */
const EXTRA_AGENTS = `agents:
  - id: pricer
    owner: maria
    mode: autonomous
    grants:
      - connector: crm
        objects: [price_book]
        operations: [read, update]
        write_fields: [unit_price]
  - id: limited
    owner: sam
    mode: autonomous
    grants:
      - connector: crm
        objects: [contacts]
        operations: [read, update]
        write_fields: [owner_id]
    limits: { max_batch: 10, actions_per_minute: 3 }
`;

const clock = createManualClock('2026-03-02T10:00:30.000Z');
let t: TestGatehouse;
let contacts: CrmRecord[];
let inScope: CrmRecord[];
let next = 0;
/** A fresh in-scope contact per test, so tests never see each other's writes. */
const freshContact = () => {
  const r = inScope[next++];
  if (!r) throw new Error('ran out of in-scope contacts');
  return r;
};
const update = (id: string, changes: Record<string, string | null>, extra: Record<string, unknown> = {}) => ({
  connector: 'crm',
  object: 'contacts',
  operation: 'update',
  records: [{ id, changes }],
  reason: 'pipeline test',
  ...extra,
});

beforeAll(async () => {
  const configText = exampleConfigText().replace(/^agents:\n/m, EXTRA_AGENTS);
  t = await startTestGatehouse({ configText, clock });
  contacts = await allRecords(crmOf(t.gh), 'contacts');
  inScope = contacts.filter(inUsCa);
});
afterAll(async () => {
  await t?.close();
});
// A new rate window per test: only the rate-limit test depends on counting within one minute.
beforeEach(() => clock.advance(60_000));

describe('executed update', () => {
  it('answers 200 with before/after and an audit id, and the CRM really changed, by the agent', async () => {
    const c = freshContact();
    const before = c.properties.owner_id ?? null;
    const r = await t.inject('POST', '/v1/actions', t.keys['lead-router'], update(c.id, { owner_id: 'u_test_1' }));
    expect(r.status, r.body).toBe(200);
    expect(r.json.status).toBe('executed');
    expect(r.json.decision.effect).toBe('allow');
    expect(r.json.changeset.summary).toMatchObject({ records: 1, fields: 1, irreversible: 0 });
    expect(r.json.changeset.records).toEqual([
      expect.objectContaining({ id: c.id, before: { owner_id: before }, after: { owner_id: 'u_test_1' } }),
    ]);
    expect(r.json.audit_event_id).toMatch(/^aud_\d+$/);

    const seq = Number(String(r.json.audit_event_id).slice(4));
    const [entry] = await t.gh.storage.audit.list({ afterSeq: seq - 1, limit: 1 });
    expect(entry).toMatchObject({ seq, type: 'action.decided', actor: 'agent:lead-router', subject: r.json.id });

    const crm = crmOf(t.gh);
    expect((await crm.get('contacts', c.id))?.properties.owner_id).toBe('u_test_1');
    const [last] = await crm.history('contacts', c.id, 'owner_id');
    expect(last).toMatchObject({ value: 'u_test_1', actor: { kind: 'agent', id: 'lead-router' }, source: 'gatehouse' });

    const got = await t.inject('GET', `/v1/actions/${r.json.id}`, t.keys['lead-router']);
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({ id: r.json.id, status: 'executed' });
  });

  it('a no-op change is executed without writing anything', async () => {
    const c = freshContact();
    const crm = crmOf(t.gh);
    const historyBefore = (await crm.history('contacts', c.id)).length;
    const r = await t.inject(
      'POST',
      '/v1/actions',
      t.keys['lead-router'],
      update(c.id, { owner_id: c.properties.owner_id ?? null }),
    );
    expect(r.status, r.body).toBe(200);
    expect(r.json.status).toBe('executed');
    expect(r.json.changeset.summary).toMatchObject({ records: 0, fields: 0, noop: 1 });
    expect(r.json.changeset.records[0]).toMatchObject({ id: c.id, noop: true });
    expect((await crm.history('contacts', c.id)).length).toBe(historyBefore);
  });
});

describe('boundary denials: 403, the action with status denied, and error.code', () => {
  const outOfScope = () => {
    const r = contacts.find((x) => x.properties.country === 'DE');
    if (!r) throw new Error('no German contact in the sandbox');
    return r;
  };
  const cases: [string, () => Record<string, unknown>][] = [
    ['connector_not_granted', () => ({ ...update(freshContact().id, { owner_id: 'u_x' }), connector: 'erp' })],
    ['object_not_granted', () => ({ ...update('co_1', { owner_id: 'u_x' }), object: 'companies' })],
    ['operation_not_granted', () => ({ ...update('c_new', { owner_id: 'u_x' }), operation: 'create' })],
    ['field_not_writable', () => update(freshContact().id, { lifecyclestage: 'customer' })],
    ['record_out_of_scope', () => update(outOfScope().id, { owner_id: 'u_x' })],
    [
      'batch_too_large',
      () => ({
        ...update('x', {}),
        records: contacts.slice(0, 201).map((r) => ({ id: r.id, changes: { owner_id: 'u_x' } })),
      }),
    ],
  ];
  it.each(cases)('%s', async (code, make) => {
    const body = make();
    const ids = (body.records as { id: string }[]).map((r) => r.id).slice(0, 3);
    const crm = crmOf(t.gh);
    const before = await Promise.all(ids.map(async (id) => (await crm.history('contacts', id)).length));
    const r = await t.inject('POST', '/v1/actions', t.keys['lead-router'], body);
    expect(r.status, r.body).toBe(403);
    expect(r.json.status).toBe('denied');
    expect(r.json.error.code).toBe(code);
    expect(r.json.decision).toMatchObject({ effect: 'deny', code });
    expect(isErrorShape(r.json)).toBe(true);
    const after = await Promise.all(ids.map(async (id) => (await crm.history('contacts', id)).length));
    expect(after).toEqual(before);
  });

  it('policy: a granted price_book write is still denied by no-pricing-by-agents', async () => {
    const [item] = (await crmOf(t.gh).list('price_book', { limit: 1 })).results;
    if (!item) throw new Error('no price_book record');
    const r = await t.inject('POST', '/v1/actions', t.keys.pricer, {
      connector: 'crm',
      object: 'price_book',
      operation: 'update',
      records: [{ id: item.id, changes: { unit_price: '1' } }],
      reason: 'discount everything',
    });
    expect(r.status, r.body).toBe(403);
    expect(r.json.status).toBe('denied');
    expect(r.json.error.code).toBe('policy_denied');
    expect(r.json.decision.rules).toContain('no-pricing-by-agents');
    expect(r.json.error.message).toContain('Pricing changes are made by people only');
    expect((await crmOf(t.gh).get('price_book', item.id))?.properties.unit_price).toBe(item.properties.unit_price);
  });
});

describe('modes', () => {
  it('observe: 202 shadowed, nothing written', async () => {
    const crm = crmOf(t.gh);
    const [email] = (await crm.list('marketing_emails', { limit: 1 })).results;
    if (!email) throw new Error('no marketing email');
    const historyBefore = (await crm.history('marketing_emails', email.id)).length;
    const r = await t.inject('POST', '/v1/actions', t.keys['subject-optimizer'], {
      connector: 'crm',
      object: 'marketing_emails',
      operation: 'update',
      records: [{ id: email.id, changes: { subject: 'A better subject' } }],
      reason: 'test subject',
    });
    expect(r.status, r.body).toBe(202);
    expect(r.json.status).toBe('shadowed');
    expect(r.json.changeset.records[0].after).toEqual({ subject: 'A better subject' });
    expect((await crm.get('marketing_emails', email.id))?.properties.subject).toBe(email.properties.subject);
    expect((await crm.history('marketing_emails', email.id)).length).toBe(historyBefore);
  });

  it('gated: 202 pending_approval with an approval bound to the change set hash', async () => {
    const crm = crmOf(t.gh);
    const campaign = (await allRecords(crm, 'campaigns')).find((c) => c.properties.status === 'draft');
    if (!campaign) throw new Error('no draft campaign');
    const r = await t.inject('POST', '/v1/actions', t.keys['campaign-runner'], {
      connector: 'crm',
      object: 'campaigns',
      operation: 'launch',
      target: campaign.id,
      params: {},
      reason: 'launch it',
    });
    expect(r.status, r.body).toBe(202);
    expect(r.json.status).toBe('pending_approval');
    expect(r.json.approval?.id).toMatch(/^apr_/);
    expect(r.json.changeset.hash).toMatch(/^[0-9a-f]{64}$/);
    const approval = await t.gh.storage.approvals.get(r.json.approval.id);
    expect(approval).toMatchObject({
      actionId: r.json.id,
      changesetHash: r.json.changeset.hash,
      status: 'pending',
      required: 1,
      role: 'approver',
      policyVersion: t.config.versions.policies,
    });
    expect((await crm.get('campaigns', campaign.id))?.properties.status).toBe('draft');
  });
});

describe('gates before judging', () => {
  it('rate_limited: 429 after actions_per_minute, a new minute has a new budget', async () => {
    clock.set('2026-03-02T11:00:05.000Z');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await t.inject(
        'POST',
        '/v1/actions',
        t.keys.limited,
        update(freshContact().id, { owner_id: `u_r${i}` }),
      );
      statuses.push(r.status);
      if (i === 3) {
        expect(r.json.error.code).toBe('rate_limited');
        expect(r.json.status).toBe('denied');
      }
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    clock.advance(60_000);
    const again = await t.inject(
      'POST',
      '/v1/actions',
      t.keys.limited,
      update(freshContact().id, { owner_id: 'u_r9' }),
    );
    expect(again.status, again.body).toBe(200);
  });

  it('agent_paused: 423 after an admin pauses the agent; reads still work', async () => {
    const paused = await t.inject('POST', '/v1/agents/lead-router/mode', t.keys.maria, {
      mode: 'paused',
      comment: 'test',
    });
    expect(paused.status, paused.body).toBe(200);
    expect(paused.json).toMatchObject({ id: 'lead-router', mode: 'paused', previous_mode: 'autonomous' });
    try {
      const c = freshContact();
      const r = await t.inject('POST', '/v1/actions', t.keys['lead-router'], update(c.id, { owner_id: 'u_p' }));
      expect(r.status, r.body).toBe(423);
      expect(r.json.error.code).toBe('agent_paused');
      expect((await crmOf(t.gh).get('contacts', c.id))?.properties.owner_id).toBe(c.properties.owner_id);
      const read = await t.inject('GET', '/v1/records/crm/contacts?limit=2', t.keys['lead-router']);
      expect(read.status).toBe(200);
      expect(read.json.results.length).toBe(2);
    } finally {
      await t.inject('POST', '/v1/agents/lead-router/mode', t.keys.maria, { mode: 'autonomous' });
    }
  });

  it('a non-admin cannot pause an agent', async () => {
    const r = await t.inject('POST', '/v1/agents/lead-router/mode', t.keys.sam, { mode: 'paused' });
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe('forbidden');
  });

  it('breaker_open: 423 while an open breaker covers agent:<id>', async () => {
    const at = clock.now().toISOString();
    const row = {
      breakerId: 'agent-errors',
      scopeKey: 'agent:lead-router',
      state: 'open' as const,
      version: 1,
      since: at,
      reason: { test: true },
      consecutiveFails: 0,
      probeBudget: 0,
      updatedAt: at,
      updatedBy: 'test',
    };
    await t.gh.storage.breakers.upsert(row);
    try {
      const c = freshContact();
      const r = await t.inject('POST', '/v1/actions', t.keys['lead-router'], update(c.id, { owner_id: 'u_b' }));
      expect(r.status, r.body).toBe(423);
      expect(r.json.status).toBe('breaker_open');
      expect(r.json.error.code).toBe('breaker_open');
      expect((await crmOf(t.gh).get('contacts', c.id))?.properties.owner_id).toBe(c.properties.owner_id);
    } finally {
      await t.gh.storage.breakers.upsert({ ...row, state: 'closed', version: 2 });
    }
    const ok = await t.inject(
      'POST',
      '/v1/actions',
      t.keys['lead-router'],
      update(freshContact().id, { owner_id: 'u_b' }),
    );
    expect(ok.status, ok.body).toBe(200);
  });
});

describe('idempotency', () => {
  it('the same key twice: the same action, executed once', async () => {
    const c = freshContact();
    const body = update(c.id, { owner_id: 'u_idem' }, { idempotency_key: `idem-${c.id}` });
    const a = await t.inject('POST', '/v1/actions', t.keys['lead-router'], body);
    const b = await t.inject('POST', '/v1/actions', t.keys['lead-router'], body);
    expect(a.status, a.body).toBe(200);
    expect(b.json.id).toBe(a.json.id);
    expect(b.json.status).toBe('executed');
    expect(await agentWrites(crmOf(t.gh), 'contacts', c.id, 'lead-router', 'owner_id')).toHaveLength(1);
  });

  it('10 concurrent submissions with one key: one action, one write', async () => {
    const c = freshContact();
    const key = `idem-burst-${c.id}`;
    const body = update(c.id, { owner_id: 'u_burst' }, { idempotency_key: key });
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => t.inject('POST', '/v1/actions', t.keys['lead-router'], body)),
    );
    expect(answers.map((a) => a.status).every((s) => s === 200 || s === 202)).toBe(true);
    expect(new Set(answers.map((a) => a.json.id)).size).toBe(1);
    const rows = (await t.gh.storage.actions.list({ agentId: 'lead-router', limit: 500 })).filter(
      (a) => a.idempotencyKey === key,
    );
    expect(rows).toHaveLength(1);
    expect(await agentWrites(crmOf(t.gh), 'contacts', c.id, 'lead-router', 'owner_id')).toHaveLength(1);
    expect((await crmOf(t.gh).get('contacts', c.id))?.properties.owner_id).toBe('u_burst');
  });
});

describe('agents are isolated from each other', () => {
  it('an idempotency key belongs to one agent: another agent using it gets its own action', async () => {
    const key = 'shared-key';
    const a = await t.inject(
      'POST',
      '/v1/actions',
      t.keys['lead-router'],
      update(freshContact().id, { owner_id: 'u_a' }, { idempotency_key: key }),
    );
    const b = await t.inject(
      'POST',
      '/v1/actions',
      t.keys.limited,
      update(freshContact().id, { owner_id: 'u_b' }, { idempotency_key: key }),
    );
    expect(a.status, a.body).toBe(200);
    expect(b.status, b.body).toBe(200);
    expect(b.json.id).not.toBe(a.json.id);
    expect(b.json.agent).toBe('limited');
  });

  it("another agent's action does not exist for an agent", async () => {
    const a = await t.inject(
      'POST',
      '/v1/actions',
      t.keys['lead-router'],
      update(freshContact().id, { owner_id: 'u_c' }),
    );
    const peek = await t.inject('GET', `/v1/actions/${a.json.id}`, t.keys.limited);
    expect(peek.status).toBe(404);
    expect(peek.json.error.code).toBe('action_not_found');
    const listed = await t.inject('GET', '/v1/actions?limit=500', t.keys.limited);
    expect((listed.json.results as { agent: string }[]).every((r) => r.agent === 'limited')).toBe(true);
  });
});

describe('stale change sets', () => {
  it('a record changed between plan and apply: re-planned against the new state, then executed', async () => {
    const deps = t.gh.pipeline;
    const agent = deps.agents.get('lead-router');
    if (!agent) throw new Error('no lead-router');
    const crm = crmOf(t.gh);
    const c = freshContact();
    const request = {
      connector: 'crm',
      object: 'contacts',
      operation: 'update',
      records: [{ id: c.id, changes: { owner_id: 'u_agent' } }],
      reason: 'stale test',
    };
    const judged = await judge(deps, agent, 'autonomous', request);
    const verdict = verdictFor(baseDecision(deps, agent, 'autonomous'), judged, agent.id);
    expect(verdict.status).toBe('executing');

    // A person edits the record after planning: the planned fingerprint is now outdated.
    await editAsPerson(crm, 'contacts', c.id, { owner_id: 'u_person' }, `stale-${c.id}`);

    const recorded = await recordNewAction(deps, agent, deps.newId('act'), request, verdict);
    if (!recorded.inserted || !verdict.changeset) throw new Error('not recorded');
    const done = await executeAction(deps, agent, recorded.action, verdict.changeset);

    expect(done.action.status).toBe('executed');
    if (!done.changeset) throw new Error('the executed action has no change set');
    expect(done.changeset.hash).not.toBe(verdict.changeset.hash);
    expect(done.changeset.records[0]).toMatchObject({
      before: { owner_id: 'u_person' },
      after: { owner_id: 'u_agent' },
    });
    expect((await crm.get('contacts', c.id))?.properties.owner_id).toBe('u_agent');
    const [latest] = await crm.history('contacts', c.id, 'owner_id');
    expect(latest).toMatchObject({ value: 'u_agent', actor: { kind: 'agent', id: 'lead-router' } });

    const stored = await loadAction(deps.storage, done.action.id);
    expect(stored?.changeset?.hash).toBe(done.changeset.hash);
    const entries = await deps.storage.audit.list({ limit: 10_000 });
    const mine = entries.filter((e) => e.subject === done.action.id).map((e) => e.type);
    expect(mine).toEqual(['action.decided', 'action.replanned', 'action.executed']);
    const replanned = entries.find((e) => e.subject === done.action.id && e.type === 'action.replanned');
    expect(replanned?.data).toMatchObject({ changeset_hash: done.changeset.hash, status: 'executing' });
  });

  it('a record that leaves the grant between the scope check and the plan is never written', async () => {
    // lead-router may write US/CA contacts only. A person moves the contact to DE right after the
    // pipeline read it for the scope check and before it plans: the plan must be of the record
    // that was checked (in scope), so the apply sees a stale fingerprint, re-judges and refuses —
    // never a plan of the moved record that the apply would find current and write.
    const crm = crmOf(t.gh);
    const c = freshContact();
    const getMany = crm.getMany.bind(crm);
    let moved = false;
    crm.getMany = async (object, ids) => {
      const found = await getMany(object, ids);
      if (!moved && ids.includes(c.id)) {
        moved = true;
        await editAsPerson(crm, 'contacts', c.id, { country: 'DE' }, `move-${c.id}`);
      }
      return found;
    };
    try {
      const r = await submitAction(t.gh.pipeline, 'lead-router', update(c.id, { owner_id: 'u_toctou' }));
      expect(moved).toBe(true);
      expect(r.action.status).not.toBe('executed');
      expect(r.action.error).toMatchObject({ code: 'record_out_of_scope' });
    } finally {
      crm.getMany = getMany;
    }
    const now = await crm.get('contacts', c.id);
    expect(now?.properties).toMatchObject({ country: 'DE', owner_id: c.properties.owner_id ?? null });
  });
});
