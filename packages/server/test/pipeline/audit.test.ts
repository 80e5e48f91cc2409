/**
 * The audit log as an auditor sees it: every action's decision and every status change is an
 * entry carrying what a reviewer needs, the chain verifies, and editing a row in the database
 * behind Gatehouse's back is reported.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { allRecords, crmOf, inUsCa } from '../helpers/sandbox.js';

type Json = Record<string, unknown>;

/** One of each outcome: executed, denied (boundary), denied (scope), shadowed, pending approval. */
async function runSomeActions(t: TestGatehouse): Promise<string[]> {
  const crm = crmOf(t.gh);
  const contacts = await allRecords(crm, 'contacts');
  const inside = contacts.filter(inUsCa);
  const outside = contacts.find((c) => !inUsCa(c));
  const [email] = (await crm.list('marketing_emails', { limit: 1 })).results;
  const campaign = (await allRecords(crm, 'campaigns')).find((c) => c.properties.status === 'draft');
  const update = (id: string | undefined, changes: Json) => ({
    connector: 'crm',
    object: 'contacts',
    operation: 'update',
    records: [{ id, changes }],
    reason: 'audit test',
  });
  const calls: [string, Json, number][] = [
    ['lead-router', update(inside[0]?.id, { owner_id: 'u_a1' }), 200],
    ['lead-router', update(inside[1]?.id, { owner_id: 'u_a2' }), 200],
    ['lead-router', update(inside[2]?.id, { lifecyclestage: 'customer' }), 403],
    ['lead-router', update(outside?.id, { owner_id: 'u_a3' }), 403],
    [
      'subject-optimizer',
      {
        connector: 'crm',
        object: 'marketing_emails',
        operation: 'update',
        records: [{ id: email?.id, changes: { subject: 'Audit me' } }],
        reason: 'audit test',
      },
      202,
    ],
    [
      'campaign-runner',
      { connector: 'crm', object: 'campaigns', operation: 'launch', target: campaign?.id, params: {}, reason: 'audit' },
      202,
    ],
  ];
  const ids: string[] = [];
  for (const [agent, body, status] of calls) {
    const r = await t.inject('POST', '/v1/actions', t.keys[agent], body);
    expect(r.status, r.body).toBe(status);
    ids.push(r.json.id as string);
  }
  return ids;
}

/** Every entry, through the paged HTTP listing. */
async function auditEntries(t: TestGatehouse): Promise<Json[]> {
  const out: Json[] = [];
  let after = '0';
  for (let page = 0; page < 100; page++) {
    const r = await t.inject('GET', `/v1/audit?after=${after}&limit=7`, t.keys.ana);
    expect(r.status, r.body).toBe(200);
    out.push(...(r.json.results as Json[]));
    const next = r.json.paging?.next?.after as string | undefined;
    if (!next) return out;
    after = next;
  }
  throw new Error('audit paging did not end');
}

describe('a clean log', () => {
  let t: TestGatehouse;
  let actionIds: string[];
  beforeAll(async () => {
    t = await startTestGatehouse({ clock: createManualClock('2026-03-02T10:00:00.000Z') });
    actionIds = await runSomeActions(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('verifies, and its entry count is the number of entries listed', async () => {
    const entries = await auditEntries(t);
    const v = await t.inject('GET', '/v1/audit/verify', t.keys.ana);
    expect(v.status, v.body).toBe(200);
    expect(v.json).toMatchObject({ ok: true, entries: entries.length, checkpoints: 0, problems: [] });
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));

    await t.gh.audit.checkpoint();
    const after = await t.inject('GET', '/v1/audit/verify', t.keys.ana);
    expect(after.json).toMatchObject({ ok: true, entries: entries.length, checkpoints: 1 });
    expect(after.json.last_checkpoint.lastEntrySeq).toBe(entries.length);
  });

  it('only auditors and admins may read it', async () => {
    expect((await t.inject('GET', '/v1/audit/verify', t.keys.lee)).status).toBe(403);
    expect((await t.inject('GET', '/v1/audit', t.keys['lead-router'])).status).toBe(403);
    expect((await t.inject('GET', '/v1/audit/verify', t.keys.maria)).status).toBe(200);
  });

  it('every status transition of every action has an entry with agent, change set hash, policy version, effect', async () => {
    const entries = await auditEntries(t);
    const policyVersion = t.config.versions.policies;
    for (const id of actionIds) {
      const action = await t.gh.storage.actions.get(id);
      if (!action) throw new Error(`no action ${id}`);
      const changesets = await t.gh.storage.changesets.listByAction(id);
      const hash = changesets.at(-1)?.hash ?? null;
      const mine = entries.filter((e) => e.subject === id);
      const transitions = (await t.gh.storage.transitions.list(id)).filter((tr) => tr.from !== null);
      expect(transitions.length, id).toBeGreaterThan(0);
      expect(transitions.at(-1)?.to).toBe(action.status);
      for (const tr of transitions) {
        const entry = mine.find((e) => (e.data as Json).status === tr.to);
        expect(entry, `${id}: no audit entry for ${tr.from} → ${tr.to}`).toBeDefined();
        expect(entry?.actor).toBe(`agent:${action.agentId}`);
        expect((entry?.data as Json).changeset_hash).toBe(hash);
      }
      const decided = mine.find((e) => e.type === 'action.decided');
      expect(decided?.data, id).toMatchObject({
        action_id: id,
        agent_id: action.agentId,
        changeset_hash: hash,
        policy_version: policyVersion,
        effect: (action.decision as Json).effect,
        status: transitions[0]?.to,
      });
      if (action.status === 'denied') expect((decided?.data as Json).code).toEqual(expect.any(String));
      if (action.status === 'pending_approval') expect((decided?.data as Json).approval_id).toBe(action.approvalId);
    }
  });

  it('the action answer points at the entry that recorded its decision', async () => {
    const r = await t.inject('GET', `/v1/actions/${actionIds[0]}`, t.keys['lead-router']);
    const seq = Number(String(r.json.audit_event_id).replace('aud_', ''));
    const [entry] = await t.gh.storage.audit.list({ afterSeq: seq - 1, limit: 1 });
    expect(entry).toMatchObject({ type: 'action.decided', subject: actionIds[0] });
  });
});

describe('tampering', () => {
  let t: TestGatehouse;
  let db: Database.Database;
  beforeAll(async () => {
    t = await startTestGatehouse({ clock: createManualClock('2026-03-02T10:00:00.000Z') });
    await runSomeActions(t);
    await t.gh.audit.checkpoint();
    db = new Database(join(t.dir, 'gatehouse.db'));
  });
  afterAll(async () => {
    db?.close();
    await t?.close();
  });

  it('a row edited in the database after a checkpoint is reported', async () => {
    const row = db
      .prepare("SELECT seq, data FROM audit_entries WHERE type = 'action.decided' ORDER BY seq LIMIT 1")
      .get() as { seq: number; data: string };
    const data = JSON.parse(row.data) as Json;
    expect(data.agent_id).toBe('lead-router');
    const changed = db
      .prepare('UPDATE audit_entries SET data = ? WHERE seq = ?')
      .run(JSON.stringify({ ...data, reason: 'nothing to see here' }), row.seq);
    expect(changed.changes).toBe(1);

    const v = await t.inject('GET', '/v1/audit/verify', t.keys.ana);
    expect(v.status, v.body).toBe(200);
    expect(v.json.ok).toBe(false);
    expect(v.json.problems).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'modified', seq: row.seq })]),
    );
  });

  it('a deleted tail is reported against the checkpoint', async () => {
    const { max } = db.prepare('SELECT max(seq) AS max FROM audit_entries').get() as { max: number };
    db.prepare('DELETE FROM audit_entries WHERE seq = ?').run(max);
    const v = await t.inject('GET', '/v1/audit/verify', t.keys.ana);
    expect(v.json.ok).toBe(false);
    expect(v.json.problems).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'truncated', seq: max })]));
  });
});
