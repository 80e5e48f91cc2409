/**
 * `POST /v1/approvals/:id/preview`: approve-with-edits judged by the decision's own path, with
 * nothing recorded — the action, approval, votes, change sets and audit log stay as they were —
 * and an approve-with-edits decision afterwards lands on exactly the previewed change set.
 * Also: the decision controls stay refused for an auditor's session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATED, startDashboardHarness, submitUpdate, type Browser, type DashboardHarness } from './harness.js';

let t: DashboardHarness;
let lee: Browser;
let ana: Browser;

beforeAll(async () => {
  t = await startDashboardHarness();
  lee = await t.signIn('lee');
  ana = await t.signIn('ana');
}, 60_000);

afterAll(() => t?.close());

async function pending() {
  const contact = t.nextContact();
  const r = await submitUpdate(t, GATED, contact.id, 'u_agent_pick');
  expect(r.status, r.body).toBe(202);
  return { contactId: contact.id, actionId: r.json.id as string, approvalId: r.json.approval.id as string };
}

async function snapshot(actionId: string, approvalId: string) {
  const s = t.gh.storage;
  return {
    action: await s.actions.get(actionId),
    approval: await s.approvals.get(approvalId),
    votes: await s.approvals.listVotes(approvalId),
    changesets: await s.changesets.listByAction(actionId),
    transitions: await s.transitions.list(actionId),
    audit: await s.audit.head(),
    deliveries: await s.deliveries.list({ limit: 1000 }),
  };
}

describe('POST /v1/approvals/:id/preview', () => {
  it('answers the re-planned change set and the re-judged decision, and records nothing', async () => {
    const p = await pending();
    const before = await snapshot(p.actionId, p.approvalId);
    const r = await t.page(lee, 'POST', `/v1/approvals/${p.approvalId}/preview`, {
      edits: { [p.contactId]: { owner_id: 'u_person_pick' } },
    });
    expect(r.status, r.body).toBe(200);
    expect(r.json).toMatchObject({
      approval_id: p.approvalId,
      action_id: p.actionId,
      current_changeset_hash: before.approval!.changesetHash,
      decision: { effect: 'allow', rules: expect.any(Array), reasons: expect.any(Array) },
      refused: false,
      required: 1,
    });
    expect(r.json.changeset.records).toEqual([
      expect.objectContaining({ id: p.contactId, after: expect.objectContaining({ owner_id: 'u_person_pick' }) }),
    ]);
    expect(r.json.changeset.hash).not.toBe(before.approval!.changesetHash);
    expect('preflight' in r.json).toBe(true);
    expect(await snapshot(p.actionId, p.approvalId)).toEqual(before);

    // Deciding with the same edits binds the approval to exactly the previewed bytes.
    const d = await t.page(lee, 'POST', `/v1/approvals/${p.approvalId}/decision`, {
      decision: 'approve',
      edits: { [p.contactId]: { owner_id: 'u_person_pick' } },
    });
    expect(d.status, d.body).toBe(200);
    expect((await t.gh.storage.approvals.get(p.approvalId))!.changesetHash).toBe(r.json.changeset.hash);
  });

  it('answers a refused edit as a deny decision (refused: true), still recording nothing', async () => {
    const p = await pending();
    const before = await snapshot(p.actionId, p.approvalId);
    const r = await t.page(lee, 'POST', `/v1/approvals/${p.approvalId}/preview`, {
      edits: { [p.contactId]: { email: 'someone@else.example' } },
    });
    expect(r.status, r.body).toBe(200);
    expect(r.json.refused).toBe(true);
    expect(r.json.decision).toMatchObject({ effect: 'deny', code: 'field_not_writable' });
    expect(await snapshot(p.actionId, p.approvalId)).toEqual(before);
    // The decision refuses the same edit.
    const d = await t.page(lee, 'POST', `/v1/approvals/${p.approvalId}/decision`, {
      decision: 'approve',
      edits: { [p.contactId]: { email: 'someone@else.example' } },
    });
    expect(d.status).toBe(422);
    expect(d.json.error.code).toBe('edit_denied');
  });

  it('refuses edits of records outside the action, bad bodies, unknown and decided approvals', async () => {
    const p = await pending();
    const outside = await t.page(lee, 'POST', `/v1/approvals/${p.approvalId}/preview`, {
      edits: { not_in_action: { owner_id: 'x' } },
    });
    expect(outside.status).toBe(422);
    expect(outside.json.error.code).toBe('edit_denied');
    for (const body of [{}, { edits: 'x' }, { edits: {}, extra: 1 }, { edits: { [p.contactId]: { owner_id: 7 } } }]) {
      const r = await t.page(lee, 'POST', `/v1/approvals/${p.approvalId}/preview`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error.code).toBe('invalid_request');
    }
    const unknown = await t.page(lee, 'POST', '/v1/approvals/apr_nope/preview', { edits: {} });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('approval_not_found');

    const sam = await t.signIn('sam');
    await t.page(sam, 'POST', `/v1/approvals/${p.approvalId}/decision`, { decision: 'reject', comment: 'no' });
    const decided = await t.page(lee, 'POST', `/v1/approvals/${p.approvalId}/preview`, { edits: {} });
    expect(decided.status).toBe(409);
    expect(decided.json.error.code).toBe('already_decided');
  });

  it('is for people who decide approvals: auditors, agents, strangers and CSRF-less pages are refused', async () => {
    const p = await pending();
    const body = { edits: { [p.contactId]: { owner_id: 'u_x' } } };
    const auditor = await t.page(ana, 'POST', `/v1/approvals/${p.approvalId}/preview`, body);
    expect(auditor.status).toBe(403);
    expect(auditor.json.error.code).toBe('forbidden');
    expect((await t.inject('POST', `/v1/approvals/${p.approvalId}/preview`, t.keys[GATED], body)).status).toBe(403);
    expect((await t.page(undefined, 'POST', `/v1/approvals/${p.approvalId}/preview`, body)).status).toBe(401);
    const noCsrf = await t.gh.http.inject({
      method: 'POST',
      url: `/v1/approvals/${p.approvalId}/preview`,
      headers: { cookie: lee.cookie, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().error.code).toBe('csrf_failed');
  });
});

describe('approval inbox reads (session)', () => {
  it('lists pending approvals with agent, reason, rules and the change set summary; the detail has the diff', async () => {
    const p = await pending();
    const list = await t.page(ana, 'GET', '/v1/approvals?status=pending&limit=500');
    expect(list.status, list.body).toBe(200);
    const row = list.json.results.find((a: { id: string }) => a.id === p.approvalId);
    expect(row).toMatchObject({
      agent: GATED,
      operation: 'contacts.update',
      reason: 'dashboard test',
      rules: expect.any(Array),
      summary: expect.objectContaining({ records: 1, irreversible: 0 }),
      required: 1,
      checklist: [],
      votes: [],
    });
    const detail = await t.page(ana, 'GET', `/v1/approvals/${p.approvalId}`);
    expect(detail.status, detail.body).toBe(200);
    expect(detail.json).toMatchObject({ agent: GATED, reason: 'dashboard test', preflight: null });
    expect(detail.json.changeset.records).toEqual([
      expect.objectContaining({ id: p.contactId, after: expect.objectContaining({ owner_id: 'u_agent_pick' }) }),
    ]);
    expect(detail.json.changeset).toEqual(detail.json.action.changeset);
  });
});

describe('decision controls and roles', () => {
  it('refuses an auditor’s decision POST (session with CSRF, and key) and records nothing', async () => {
    const p = await pending();
    const before = await snapshot(p.actionId, p.approvalId);
    for (const decision of ['approve', 'reject', 'revise']) {
      const r = await t.page(ana, 'POST', `/v1/approvals/${p.approvalId}/decision`, { decision, comment: 'audit' });
      expect(r.status, decision).toBe(403);
      expect(r.json.error.code).toBe('forbidden');
    }
    const byKey = await t.inject('POST', `/v1/approvals/${p.approvalId}/decision`, t.keys.ana, {
      decision: 'reject',
      comment: 'audit',
    });
    expect(byKey.status).toBe(403);
    expect(await snapshot(p.actionId, p.approvalId)).toEqual(before);
  });

  it('mode switches are an admin’s: an approver’s session is refused', async () => {
    const r = await t.page(lee, 'POST', '/v1/agents/lead-router/mode', { mode: 'paused', comment: 'x' });
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe('forbidden');
  });
});
