/**
 * Policy dry-run in the audit log: the `action.decided` entry of a gated action carries what each
 * dry-run rule would have done (rule id, would-be effect, matched, error), inside the hash, and
 * the chain still verifies.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseJsonlText } from '../../src/adapters/audit/export.js';
import { loadOrCreateSigningKey } from '../../src/adapters/audit/signing-key.js';
import { hashEntry } from '../../src/core/audit/index.js';
import { verifyAudit } from '../../src/core/audit/verify.js';
import { createManualClock } from '../../src/core/clock.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { approvalsConfigText, auditFor, contactPool, GATED, submitUpdate } from './harness.js';

const DRY_RUN_RULES = `  - id: watch-owner-moves
    when: "action.object == 'contacts'"
    effect: deny
    mode: dry_run
  - id: watch-campaigns
    when: "action.object == 'campaigns'"
    effect: require_approval
    mode: dry_run
  - id: broken-dry-run
    when: "checks.nothing.ok"
    effect: deny
    mode: dry_run
`;

let t: TestGatehouse;
beforeAll(async () => {
  t = await startTestGatehouse({
    configText: approvalsConfigText({ extraPolicies: DRY_RUN_RULES }),
    clock: createManualClock('2026-03-02T10:00:00.000Z'),
  });
});
afterAll(async () => {
  await t?.close();
});

it('action.decided carries the dry-run rule results, hashed with the rest, and the log verifies', async () => {
  const c = (await contactPool(t.gh))();
  const r = await submitUpdate(t, GATED, c.id, 'u_dry');
  expect(r.status, r.body).toBe(202);
  // Dry-run rules never change the outcome: the deny that matched only watched.
  expect(r.json.status).toBe('pending_approval');

  const [decided] = await auditFor(t.gh, r.json.id, 'action.decided');
  const dryRun = decided?.data.dry_run as { rule_id: string }[];
  expect([...dryRun].sort((a, b) => a.rule_id.localeCompare(b.rule_id))).toEqual([
    { rule_id: 'broken-dry-run', effect: 'deny', matched: false, error: expect.any(String) },
    { rule_id: 'watch-campaigns', effect: 'require_approval', matched: false, error: null },
    { rule_id: 'watch-owner-moves', effect: 'deny', matched: true, error: null },
  ]);
  // Inside the hash: the stored hash is the hash of the entry with these results.
  expect(decided && hashEntry(decided)).toBe(decided?.hash);
  expect(decided && hashEntry({ ...decided, data: { ...decided.data, dry_run: [] } })).not.toBe(decided?.hash);
  // And the same results as the action's stored decision.
  const view = await t.inject('GET', `/v1/actions/${r.json.id}`, t.keys.maria);
  expect(view.json.decision.dry_run).toHaveLength(3);

  const exported = await t.inject('GET', '/v1/audit/export?format=jsonl', t.keys.maria);
  expect(exported.status).toBe(200);
  const { entries, checkpoints } = await parseJsonlText(exported.body);
  const key = loadOrCreateSigningKey(t.config.audit.signing_key_file);
  const report = await verifyAudit({ entries, checkpoints, publicKey: key.publicKey });
  expect(report.ok, JSON.stringify(report)).toBe(true);
});
