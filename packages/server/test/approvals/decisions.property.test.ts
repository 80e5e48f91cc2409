/**
 * Property: whatever people do to a quorum-2 approval — the owner trying, an auditor trying,
 * repeats, the same person clicking twice at once, edits, rejections, incomplete checklists —
 * the owner's vote never counts, nobody counts twice, the outcome follows from the recorded
 * votes, and the only change set ever applied is the one the counted votes approved.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { loadAction } from '../../src/core/pipeline/index.js';
import type { CrmRecord } from '../../src/core/ports/connector.js';
import type { VoteRow } from '../../src/core/ports/storage.js';
import type { InjectResult } from '../helpers/gatehouse.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { agentWrites, allRecords, crmOf } from '../helpers/sandbox.js';
import { approvalsConfigText, auditFor, decide, GATED, submitUpdate, TWO_KEY, TWO_KEY_ITEM } from './harness.js';

const OWNER = 'maria';
const ELIGIBLE = new Set(['sam', 'lee', 'kim']);

interface Decision {
  person: string;
  decision: 'approve' | 'reject' | 'revise';
  ticked: boolean;
  comment: boolean;
  /** approve-with-edits: a new owner, or a field outside the agent's write_fields */
  edit: null | { owner_id: string } | { lifecyclestage: string };
}
type Step = { kind: 'one'; d: Decision } | { kind: 'twice'; d: Decision } | { kind: 'pair'; a: Decision; b: Decision };

const decisionArb: fc.Arbitrary<Decision> = fc.record({
  // Eligible approvers most of the time, so runs get far enough to decide.
  person: fc.constantFrom('sam', 'lee', 'kim', 'sam', 'lee', 'kim', 'maria', 'ana'),
  decision: fc.constantFrom('approve', 'approve', 'approve', 'approve', 'approve', 'reject', 'revise'),
  ticked: fc.constantFrom(true, true, true, false),
  comment: fc.boolean(),
  edit: fc.oneof(
    { weight: 5, arbitrary: fc.constant(null) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 50 }).map((n) => ({ owner_id: `u_edit_${n}` })) },
    { weight: 1, arbitrary: fc.constant({ lifecyclestage: 'customer' }) },
  ),
});
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: decisionArb.map((d) => ({ kind: 'one' as const, d })) },
  { weight: 2, arbitrary: decisionArb.map((d) => ({ kind: 'twice' as const, d })) },
  { weight: 2, arbitrary: fc.tuple(decisionArb, decisionArb).map(([a, b]) => ({ kind: 'pair' as const, a, b })) },
);

const clock = createManualClock('2026-03-02T10:00:00.000Z');
let t: TestGatehouse;
let contacts: CrmRecord[];
let run = 0;

beforeAll(async () => {
  t = await startTestGatehouse({ configText: approvalsConfigText(), clock });
  contacts = await allRecords(crmOf(t.gh), 'contacts');
});
afterAll(async () => {
  await t?.close();
});

function send(approvalId: string, recordId: string, d: Decision): Promise<InjectResult> {
  return decide(t, d.person, approvalId, {
    decision: d.decision,
    ...(d.ticked ? { checklist: { [TWO_KEY_ITEM]: true } } : {}),
    ...(d.comment ? { comment: `${d.person} says ${d.decision}` } : {}),
    ...(d.edit ? { edits: { [recordId]: d.edit } } : {}),
  });
}

const bindingOf = (v: VoteRow) => (v.checklist as { changeset_hash?: string }).changeset_hash;

/** Distinct people whose approving vote is bound to `hash`. */
const approversOf = (votes: readonly VoteRow[], hash: string | undefined) =>
  new Set(votes.filter((v) => v.decision === 'approve' && bindingOf(v) === hash).map((v) => v.personId));

it('quorum-2 decisions: owner never counts, nobody twice, only approved bytes are applied', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 10 }), async (steps) => {
      clock.advance(60_000); // a fresh rate window for the agent
      const contact = contacts[run++ % contacts.length]!;
      const crm = crmOf(t.gh);
      const writesBefore = (await agentWrites(crm, 'contacts', contact.id, GATED, 'owner_id')).length;
      const submitted = await submitUpdate(t, GATED, contact.id, `u_agent_${run}`, { reason: `${TWO_KEY} #${run}` });
      expect(submitted.status, submitted.body).toBe(202);
      const approvalId: string = submitted.json.approval.id;
      const actionId: string = submitted.json.id;

      for (const step of steps) {
        // 'twice' and 'pair' send their two decisions at the same time.
        const sent = step.kind === 'one' ? [step.d] : step.kind === 'twice' ? [step.d, step.d] : [step.a, step.b];
        const answers = await Promise.all(sent.map((d) => send(approvalId, contact.id, d)));
        const results = sent.map((d, i) => [d, answers[i]!] as const);
        for (const [d, r] of results) {
          expect([200, 400, 403, 409, 422], r.body).toContain(r.status);
          if (!ELIGIBLE.has(d.person)) {
            expect(r.status, `${d.person} must never decide`).not.toBe(200);
            if (r.status === 403)
              expect(r.json.error.code).toBe(d.person === OWNER ? 'separation_of_duties' : 'forbidden');
          }
        }
        if (step.kind === 'twice') expect(results.filter(([, r]) => r.status === 200).length).toBeLessThanOrEqual(1);
      }

      const approval = await t.gh.storage.approvals.get(approvalId);
      const votes = await t.gh.storage.approvals.listVotes(approvalId);
      // Nobody outside the eligible approvers has a vote; nobody has two on the same bytes
      // (after an edit, people vote again on the new change set hash).
      for (const v of votes) expect(ELIGIBLE.has(v.personId), v.personId).toBe(true);
      expect(new Set(votes.map((v) => `${v.personId}:${v.changesetHash}`)).size).toBe(votes.length);

      // The outcome follows from the recorded votes (concurrent votes may resolve either way).
      const lastEdit = votes.filter((v) => v.edits !== null).at(-1);
      expect(approval?.changesetHash).toBe(lastEdit ? bindingOf(lastEdit) : submitted.json.changeset.hash);
      const counted = approversOf(votes, approval?.changesetHash);
      const refusals = votes.filter((v) => v.decision !== 'approve');
      switch (approval?.status) {
        case 'approved':
          expect(counted.size).toBeGreaterThanOrEqual(2);
          break;
        case 'rejected': {
          // Decided by one of the recorded refusals: a rejection or a revision request.
          const outcome = (approval.outcome as { outcome: string; by: string[] }).outcome;
          const by = (approval.outcome as { by: string[] }).by;
          expect(refusals.map((v) => [v.decision === 'reject' ? 'rejected' : 'revise', v.personId])).toContainEqual([
            outcome,
            by[0],
          ]);
          break;
        }
        case 'pending':
          expect(refusals).toEqual([]);
          expect(counted.size).toBeLessThan(2);
          break;
        default:
          throw new Error(`unexpected approval status ${approval?.status}`);
      }
      const decided = await auditFor(t.gh, approvalId, 'approval.decided');
      expect(decided).toHaveLength(approval.status === 'pending' ? 0 : 1);

      const found = await loadAction(t.gh.storage, actionId);
      const writes = (await agentWrites(crm, 'contacts', contact.id, GATED, 'owner_id')).length - writesBefore;
      if (approval.status === 'approved') {
        // Executed exactly once, and exactly the approved change set.
        expect(found?.action.status).toBe('executed');
        expect(found?.changeset?.hash).toBe(approval?.changesetHash);
        const executed = await auditFor(t.gh, actionId, 'action.executed');
        expect(executed.map((e) => e.data.changeset_hash)).toEqual([approval?.changesetHash]);
        const now = await crm.get('contacts', contact.id);
        for (const rec of found?.changeset?.records ?? [])
          for (const [prop, value] of Object.entries(rec.after)) expect(now?.properties[prop]).toBe(value);
        expect(writes).toBe(1);
      } else {
        const outcome = (approval.outcome as { outcome?: string } | null)?.outcome;
        const status = { rejected: 'rejected', revise: 'revision_requested' }[outcome ?? ''] ?? 'pending_approval';
        expect(found?.action.status).toBe(status);
        expect(writes).toBe(0);
        expect(await auditFor(t.gh, actionId, 'action.executed')).toEqual([]);
      }
    }),
    { numRuns: 60 },
  );
});
