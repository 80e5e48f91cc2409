/**
 * An approval approves particular bytes under particular rules. When the record changed under
 * it (stale fingerprints) or the policies / the agent's config changed since it was requested,
 * it is void: the action is planned and judged again and, for a gated agent, waits for a new
 * approval. The old change set is never applied.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { agentWrites, crmOf, editAsPerson } from '../helpers/sandbox.js';
import {
  approvalsConfigText,
  auditFor,
  decide,
  GATED,
  openGatehouse,
  submitUpdate,
  tempDir,
  type Harness,
} from './harness.js';

const clock = createManualClock('2026-03-02T10:00:00.000Z');
const tmp = tempDir();
const BASE = approvalsConfigText({ contacts: 120 });
let t: Harness;
let nextContact = 0;
const contactIds: string[] = [];
const freshContact = () => {
  const id = contactIds[nextContact++];
  if (!id) throw new Error('ran out of contacts');
  return id;
};

beforeAll(async () => {
  t = await openGatehouse(tmp.dir, BASE, clock);
  contactIds.push(...(await crmOf(t.gh).list('contacts', { limit: 100 })).results.map((r) => r.id));
});
afterAll(async () => {
  await t?.close();
  tmp.remove();
});

async function restartWith(text: string): Promise<void> {
  await t.close();
  t = await openGatehouse(tmp.dir, text, clock);
}

describe('stale approvals', () => {
  it('approving a change whose record moved since planning voids it, re-plans, and asks again', async () => {
    const id = freshContact();
    const crm = crmOf(t.gh);
    const r = await submitUpdate(t, GATED, id, 'u_agent_plan');
    expect(r.status, r.body).toBe(202);
    const oldApproval: string = r.json.approval.id;
    const oldHash: string = r.json.changeset.hash;

    clock.advance(60_000);
    await editAsPerson(crm, 'contacts', id, { owner_id: 'u_set_by_a_person' }, 'stale-test-1');

    const out = await decide(t, 'sam', oldApproval, { decision: 'approve' });
    expect(out.status, out.body).toBe(200);
    expect(out.json.action.status).toBe('pending_approval');
    const newApproval: string = out.json.action.approval.id;
    expect(newApproval).not.toBe(oldApproval);

    expect(await t.gh.storage.approvals.get(oldApproval)).toMatchObject({ status: 'void' });
    const voided = await auditFor(t.gh, oldApproval, 'approval.voided');
    expect(voided).toHaveLength(1);
    expect(voided[0]?.data).toMatchObject({ changeset_hash: oldHash, action_id: r.json.id });
    expect(String(voided[0]?.data.reason)).toContain(id);

    // A fresh plan from the world as it is now, bound to a new pending approval.
    const fresh = await t.gh.storage.approvals.get(newApproval);
    expect(fresh).toMatchObject({ status: 'pending', actionId: r.json.id });
    expect(fresh?.changesetHash).not.toBe(oldHash);
    const view = await t.inject('GET', `/v1/approvals/${newApproval}`, t.keys.lee);
    expect(view.json.action.changeset.records[0]).toMatchObject({
      id,
      before: { owner_id: 'u_set_by_a_person' },
      after: { owner_id: 'u_agent_plan' },
    });
    expect((await auditFor(t.gh, r.json.id, 'action.replanned')).length).toBe(1);

    // The old change set never touched the CRM.
    expect(await agentWrites(crm, 'contacts', id, GATED)).toEqual([]);
    expect((await crm.get('contacts', id))?.properties.owner_id).toBe('u_set_by_a_person');

    const again = await decide(t, 'sam', newApproval, { decision: 'approve' });
    expect(again.json.action.status, again.body).toBe('executed');
    expect((await agentWrites(crm, 'contacts', id, GATED, 'owner_id')).map((w) => w.value)).toEqual(['u_agent_plan']);
  });
});

describe('policy or agent changed since the approval was requested', () => {
  const cases: [string, (text: string) => string][] = [
    [
      'an unrelated policy was added',
      (text) =>
        text.replace(
          /^policies:\n/m,
          `policies:
  - id: unrelated-rule
    when: "action.object == 'tickets'"
    effect: deny
    reason: No tickets.
`,
        ),
    ],
    [
      "the agent's config section was edited",
      (text) => text.replace(`id: ${GATED}\n`, `id: ${GATED}\n    description: Now with a description\n`),
    ],
  ];

  it.each(cases)('%s: deciding answers 409 approval_void and the action is re-planned', async (_what, edit) => {
    const id = freshContact();
    const r = await submitUpdate(t, GATED, id, 'u_under_old_rules');
    expect(r.status, r.body).toBe(202);
    const oldApproval: string = r.json.approval.id;
    const old = await t.gh.storage.approvals.get(oldApproval);

    await restartWith(edit(BASE));
    try {
      // Reading it does not void it.
      expect((await t.inject('GET', `/v1/approvals/${oldApproval}`, t.keys.sam)).json.status).toBe('pending');

      const out = await decide(t, 'sam', oldApproval, { decision: 'approve' });
      expect(out.status, out.body).toBe(409);
      expect(out.json.error.code).toBe('approval_void');
      expect(out.json.error.details.action_status).toBe('pending_approval');
      const newApproval: string = out.json.error.details.new_approval_id;
      expect(newApproval).toMatch(/^apr_/);
      expect(newApproval).not.toBe(oldApproval);

      expect((await t.gh.storage.approvals.get(oldApproval))?.status).toBe('void');
      expect(await t.gh.storage.approvals.listVotes(oldApproval)).toEqual([]);
      expect(await auditFor(t.gh, oldApproval, 'approval.voided')).toHaveLength(1);
      const fresh = await t.gh.storage.approvals.get(newApproval);
      expect(fresh).toMatchObject({
        status: 'pending',
        actionId: r.json.id,
        policyVersion: t.gh.pipeline.policyVersion,
        agentVersion: t.gh.pipeline.agents.get(GATED)?.version,
      });
      expect([fresh?.policyVersion, fresh?.agentVersion]).not.toEqual([old?.policyVersion, old?.agentVersion]);
      expect(await agentWrites(crmOf(t.gh), 'contacts', id, GATED)).toEqual([]);

      const seen = await t.inject('GET', `/v1/actions/${r.json.id}`, t.keys[GATED]);
      expect(seen.json).toMatchObject({ status: 'pending_approval', approval: { id: newApproval } });
      const approved = await decide(t, 'sam', newApproval, { decision: 'approve' });
      expect(approved.json.action.status, approved.body).toBe('executed');
    } finally {
      await restartWith(BASE);
    }
  });
});
