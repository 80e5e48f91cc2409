/**
 * The audit page's reads: filters on `GET /v1/audit` (agent, person, action, type, time, free
 * text, newest first), the verification details, and the JSON Lines export — verifiable with the
 * public key alone, for auditors and admins only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJsonlText } from '../../src/adapters/audit/export.js';
import { verifyAudit } from '../../src/core/audit/verify.js';
import { createManualClock } from '../../src/core/clock.js';
import { loadOrCreateSigningKey } from '../../src/adapters/audit/signing-key.js';
import { GATED, startDashboardHarness, submitUpdate, type Browser, type DashboardHarness } from './harness.js';

const clock = createManualClock('2026-03-02T10:00:00.000Z');
let t: DashboardHarness;
let ana: Browser;
let actionId: string;
let approvalId: string;

beforeAll(async () => {
  t = await startDashboardHarness({ clock });
  ana = await t.signIn('ana');
  await submitUpdate(t, 'lead-router', t.nextContact().id, 'u_1');
  clock.set('2026-03-02T11:00:00.000Z');
  const r = await submitUpdate(t, GATED, t.nextContact().id, 'u_2');
  actionId = r.json.id;
  approvalId = r.json.approval.id;
  const sam = await t.signIn('sam');
  const d = await t.page(sam, 'POST', `/v1/approvals/${approvalId}/decision`, {
    decision: 'reject',
    comment: 'Zebra-striped owner list',
  });
  expect(d.status, d.body).toBe(200);
  await t.gh.audit.checkpoint();
}, 60_000);

afterAll(() => t?.close());

type Row = {
  seq: number;
  type: string;
  actor: string;
  subject: string | null;
  at: string;
  data: Record<string, unknown>;
};
const audit = async (query: string) => {
  const r = await t.page(ana, 'GET', `/v1/audit${query}`);
  expect(r.status, r.body).toBe(200);
  return r.json.results as Row[];
};

describe('GET /v1/audit filters', () => {
  it('filters by agent, person, action, type family and exact type', async () => {
    const byAgent = await audit('?agent=lead-router');
    expect(byAgent.length).toBeGreaterThan(0);
    for (const e of byAgent) expect(e.actor === 'agent:lead-router' || e.data.agent_id === 'lead-router').toBe(true);

    const bySam = await audit('?person=sam');
    expect(bySam.map((e) => e.type)).toEqual(expect.arrayContaining(['approval.voted', 'approval.decided']));
    for (const e of bySam) expect(e.actor === 'person:sam' || e.data.person_id === 'sam').toBe(true);

    const byAction = await audit(`?action=${actionId}`);
    expect(byAction.map((e) => e.type)).toEqual(['action.decided', 'approval.voted', 'approval.decided']);

    expect((await audit(`?type=approval&action=${actionId}`)).map((e) => e.type)).toEqual([
      'approval.voted',
      'approval.decided',
    ]);
    expect((await audit('?type=approval.decided')).every((e) => e.type === 'approval.decided')).toBe(true);
  });

  it('filters by time and by free text over the entry, newest first on request', async () => {
    const late = await audit('?from=2026-03-02T10:30:00Z');
    expect(late.length).toBeGreaterThan(0);
    for (const e of late) expect(e.at >= '2026-03-02T10:30:00.000Z').toBe(true);
    const early = await audit('?to=2026-03-02T10:30:00Z&type=action');
    expect(early.map((e) => e.data.agent_id)).toEqual(['lead-router']);

    const text = await audit('?q=zebra-STRIPED');
    expect(text.map((e) => e.type)).toEqual(['approval.voted', 'approval.decided']);

    const newest = await audit('?order=desc&limit=2');
    const all = await audit('?limit=1000');
    expect(newest.map((e) => e.seq)).toEqual(
      all
        .map((e) => e.seq)
        .reverse()
        .slice(0, 2),
    );
    const page = await t.page(ana, 'GET', '/v1/audit?order=desc&limit=2');
    expect(page.json.paging.next).toEqual({ before: String(newest[1]!.seq) });
  });

  it('answers 400 for bad filters and 403 for people without audit rights', async () => {
    for (const q of ['?from=yesterday', '?type=DROP TABLE', '?limit=0', '?order=sideways', '?bogus=1']) {
      const r = await t.page(ana, 'GET', `/v1/audit${q}`);
      expect(r.status, q).toBe(400);
      expect(r.json.error.code).toBe('invalid_query');
    }
    const lee = await t.signIn('lee');
    expect((await t.page(lee, 'GET', '/v1/audit')).status).toBe(403);
  });
});

describe('GET /v1/audit/verify', () => {
  it('answers the chain status with the last signed checkpoint and the problems', async () => {
    const cp = await t.gh.audit.checkpoint();
    const r = await t.page(ana, 'GET', '/v1/audit/verify');
    expect(r.status, r.body).toBe(200);
    expect(r.json).toMatchObject({
      ok: true,
      entries: expect.any(Number),
      checkpoints: cp!.seq,
      problems: [],
      uncovered_entries: 0,
      last_checkpoint: {
        seq: cp!.seq,
        at: expect.any(String),
        key_id: expect.any(String),
        last_entry_seq: r.json.entries,
      },
    });
  });
});

describe('GET /v1/audit/export', () => {
  it('streams the log as JSON Lines that verify with the public key alone', async () => {
    const r = await t.page(ana, 'GET', '/v1/audit/export?format=jsonl');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('application/x-ndjson');
    expect(r.headers['content-disposition']).toMatch(/^attachment; filename="gatehouse-audit-2026-03-02\.jsonl"$/);
    const { entries, checkpoints } = await parseJsonlText(r.body);
    expect(entries.length).toBe(await t.gh.storage.audit.count());
    expect(checkpoints.length).toBeGreaterThanOrEqual(1);
    const key = loadOrCreateSigningKey(t.config.audit.signing_key_file);
    const report = await verifyAudit({ entries, checkpoints, publicKey: key.publicKey });
    expect(report.ok).toBe(true);
  });

  it('is for auditors and admins only; other formats are refused', async () => {
    const lee = await t.signIn('lee');
    expect((await t.page(lee, 'GET', '/v1/audit/export')).status).toBe(403);
    expect((await t.inject('GET', '/v1/audit/export', t.keys.maria)).status).toBe(200);
    expect((await t.page(undefined, 'GET', '/v1/audit/export')).status).toBe(401);
    const csv = await t.page(ana, 'GET', '/v1/audit/export?format=csv');
    expect(csv.status).toBe(400);
    expect(csv.json.error.code).toBe('invalid_query');
  });
});
