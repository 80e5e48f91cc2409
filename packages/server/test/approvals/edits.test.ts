/**
 * Approve-with-edits: the edited request is planned and judged again (boundary, scope, policy),
 * the approval binds to the new change set, and exactly the edited values are written. An edit
 * the agent could not have made itself, or that policy denies, is refused and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import type { CrmRecord } from '../../src/core/ports/connector.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { agentWrites, crmOf } from '../helpers/sandbox.js';
import {
  approvalsConfigText,
  auditFor,
  contactPool,
  decide,
  GATED,
  submitUpdate,
  TWO_KEY,
  TWO_KEY_ITEM,
} from './harness.js';

/** Lets a test show the edit is judged again: a second field is denied for "narrow" changes. */
const NARROW_RULE = `  - id: narrow-means-one-field
    when: "action.reason.startsWith('narrow') && changes.fields > 1"
    effect: deny
    reason: Narrow changes touch one field.
`;

let t: TestGatehouse;
let freshContact: () => CrmRecord;

beforeAll(async () => {
  t = await startTestGatehouse({
    configText: approvalsConfigText({ extraPolicies: NARROW_RULE }),
    clock: createManualClock('2026-03-02T10:00:00.000Z'),
  });
  freshContact = await contactPool(t.gh);
});
afterAll(async () => {
  await t?.close();
});

async function pending(owner: string, extra: Record<string, unknown> = {}) {
  const c = freshContact();
  const r = await submitUpdate(t, GATED, c.id, owner, extra);
  expect(r.status, r.body).toBe(202);
  return { c, actionId: r.json.id as string, approvalId: r.json.approval.id as string, hash: r.json.changeset.hash };
}

describe('approve-with-edits', () => {
  it('re-plans to a new change set, binds the approval to it, and writes the edited value', async () => {
    const { c, actionId, approvalId, hash } = await pending('u_agent_pick');
    const out = await decide(t, 'sam', approvalId, {
      decision: 'approve',
      edits: { [c.id]: { owner_id: 'u_sam_pick' } },
    });
    expect(out.status, out.body).toBe(200);
    expect(out.json.result).toBe('approved');
    expect(out.json.action.status).toBe('executed');
    const newHash: string = out.json.approval.changeset_hash;
    expect(newHash).not.toBe(hash);
    expect(out.json.action.changeset).toMatchObject({ hash: newHash });
    expect(out.json.action.changeset.records[0]).toMatchObject({ id: c.id, after: { owner_id: 'u_sam_pick' } });
    expect(out.json.approval.votes).toEqual([expect.objectContaining({ person: 'sam', edited: true })]);

    const crm = crmOf(t.gh);
    const writes = await agentWrites(crm, 'contacts', c.id, GATED, 'owner_id');
    expect(writes.map((w) => w.value)).toEqual(['u_sam_pick']);

    const [voted] = await auditFor(t.gh, approvalId, 'approval.voted');
    expect(voted?.data).toMatchObject({ changeset_hash: newHash, edits: { [c.id]: { owner_id: 'u_sam_pick' } } });
    const [executed] = await auditFor(t.gh, actionId, 'action.executed');
    expect(executed?.data).toMatchObject({ changeset_hash: newHash });
  });

  it('an edit is judged again: a policy that denies the edited change refuses it (422 edit_denied)', async () => {
    const { c, approvalId, hash } = await pending('u_narrow', { reason: 'narrow: owner only' });
    const out = await decide(t, 'sam', approvalId, {
      decision: 'approve',
      edits: { [c.id]: { owner_id: 'u_narrow', lead_score: '99' } },
    });
    expect(out.status, out.body).toBe(422);
    expect(out.json.error.code).toBe('edit_denied');
    expect(out.json.error.details.rules).toEqual(['narrow-means-one-field']);
    expect((await t.gh.storage.approvals.get(approvalId))?.changesetHash).toBe(hash);
    // The same field, edited alone, is fine.
    const ok = await decide(t, 'sam', approvalId, { decision: 'approve', edits: { [c.id]: { owner_id: 'u_n2' } } });
    expect(ok.json.action.status, ok.body).toBe('executed');
    expect((await crmOf(t.gh).get('contacts', c.id))?.properties.owner_id).toBe('u_n2');
  });

  it.each([
    ['a field outside write_fields', (id: string) => ({ [id]: { lifecyclestage: 'customer' } })],
    ['a record that is not part of the action', () => ({ c_not_in_this_action: { owner_id: 'u_x' } })],
  ])('editing %s is 422 edit_denied and changes nothing', async (_what, edits) => {
    const { c, actionId, approvalId, hash } = await pending('u_stays_pending');
    const out = await decide(t, 'lee', approvalId, { decision: 'approve', edits: edits(c.id) });
    expect(out.status, out.body).toBe(422);
    expect(out.json.error.code).toBe('edit_denied');

    const row = await t.gh.storage.approvals.get(approvalId);
    expect(row).toMatchObject({ status: 'pending', changesetHash: hash });
    expect(await t.gh.storage.approvals.listVotes(approvalId)).toEqual([]);
    expect(await t.gh.storage.changesets.listByAction(actionId)).toHaveLength(1);
    expect(await agentWrites(crmOf(t.gh), 'contacts', c.id, GATED)).toEqual([]);
    expect((await crmOf(t.gh).get('contacts', c.id))?.properties.lifecyclestage).toBe(c.properties.lifecyclestage);
  });

  it('edits only go with an approval', async () => {
    const { c, approvalId } = await pending('u_edit_reject');
    const out = await decide(t, 'lee', approvalId, {
      decision: 'reject',
      comment: 'no',
      edits: { [c.id]: { owner_id: 'u_other' } },
    });
    expect(out.status).toBe(400);
    expect((await t.gh.storage.approvals.get(approvalId))?.status).toBe('pending');
  });

  it('quorum 2: an edit after a plain approval voids that vote (old bytes); the edited set needs two new votes', async () => {
    const ticks = { [TWO_KEY_ITEM]: true };
    const { c, actionId, approvalId, hash } = await pending('u_original', { reason: `${TWO_KEY}: move owner` });
    expect((await t.gh.storage.approvals.get(approvalId))?.required).toBe(2);

    const first = await decide(t, 'sam', approvalId, { decision: 'approve', checklist: ticks });
    expect(first.json).toMatchObject({ result: 'vote_recorded', approval: { approvals: 1 } });

    const edited = await decide(t, 'lee', approvalId, {
      decision: 'approve',
      checklist: ticks,
      edits: { [c.id]: { owner_id: 'u_edited' } },
    });
    expect(edited.status, edited.body).toBe(200);
    expect(edited.json.result).toBe('vote_recorded');
    expect(edited.json.approval).toMatchObject({ status: 'pending', approvals: 1, required: 2 });
    expect(edited.json.approval.changeset_hash).not.toBe(hash);
    expect(edited.json.action.status).toBe('pending_approval');
    expect(await agentWrites(crmOf(t.gh), 'contacts', c.id, GATED)).toEqual([]);

    const third = await decide(t, 'kim', approvalId, { decision: 'approve', checklist: ticks });
    expect(third.status, third.body).toBe(200);
    expect(third.json.result).toBe('approved');
    expect(third.json.action.status).toBe('executed');
    const writes = await agentWrites(crmOf(t.gh), 'contacts', c.id, GATED, 'owner_id');
    expect(writes.map((w) => w.value)).toEqual(['u_edited']);
    const [executed] = await auditFor(t.gh, actionId, 'action.executed');
    expect(executed?.data.changeset_hash).toBe(edited.json.approval.changeset_hash);
  });
});
