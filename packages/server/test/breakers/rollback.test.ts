/**
 * Rollback on a real Gatehouse (SQLite storage, seeded sandbox CRM, the whole pipeline): the
 * subject-optimizer rewrites email subjects, a person edits one of them afterwards, and rollback
 * has to restore the rest exactly, leave the person's work alone, list what cannot be undone and
 * survive a crash half-way without undoing anything twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { planRollback, runRollback, type RollbackDeps } from '../../src/core/breakers/rollback.js';
import { createManualClock, type ManualClock } from '../../src/core/clock.js';
import type { Connector, CrmRecord, PropertyValue } from '../../src/core/ports/connector.js';
import { exampleConfigText, startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { allRecords, crmOf, editAsPerson } from '../helpers/sandbox.js';

const AGENT = 'subject-optimizer';

function replaceOnce(text: string, pattern: RegExp, replacement: string): string {
  if (!pattern.test(text)) throw new Error(`example config changed: ${pattern.source}`);
  return text.replace(pattern, replacement);
}

/** The example with the subject-optimizer autonomous, allowed to launch (with approval) and to enroll contacts. */
function configText(): string {
  let text = exampleConfigText({ contacts: 120 });
  text = replaceOnce(text, /(- id: subject-optimizer\n(?:.*\n)*?\s+mode: )observe/, '$1autonomous');
  text = replaceOnce(
    text,
    /(objects: \[marketing_emails\]\n\s+operations: )\[read, update\]/,
    '$1[read, update, launch]',
  );
  text = replaceOnce(
    text,
    /(write_fields: \[subject, preview_text\]\n)/,
    '$1      - connector: crm\n        objects: [sequences]\n        operations: [read, enroll]\n',
  );
  return text;
}

const launchable = (e: CrmRecord) => e.properties.status !== 'sent' && !!e.properties.list_id;

interface World {
  t: TestGatehouse;
  clock: ManualClock;
  crm: Connector;
  emails: CrmRecord[];
  deps: RollbackDeps;
}

let world: World | undefined;
afterEach(async () => {
  await world?.t.close();
  world = undefined;
});

async function start(): Promise<World> {
  const clock = createManualClock('2026-03-02T10:00:00.000Z');
  const t = await startTestGatehouse({ configText: configText(), clock });
  const crm = crmOf(t.gh);
  // Unsent emails with a list first: those can be launched.
  const emails = (await allRecords(crm, 'marketing_emails')).sort(
    (a, b) => Number(launchable(b)) - Number(launchable(a)),
  );
  world = {
    t,
    clock,
    crm,
    emails,
    deps: { storage: t.gh.storage, connectors: t.gh.connectors, clock, newId: t.gh.pipeline.newId },
  };
  return world;
}

async function updateSubjects(w: World, changes: { id: string; changes: Record<string, PropertyValue> }[]) {
  w.clock.advance(60_000);
  const r = await w.t.inject('POST', '/v1/actions', w.t.keys[AGENT], {
    connector: 'crm',
    object: 'marketing_emails',
    operation: 'update',
    records: changes,
    reason: 'better subjects',
  });
  expect(r.status, r.body).toBe(200);
  expect(r.json.status).toBe('executed');
  return r.json.id as string;
}

async function launch(w: World, emailId: string) {
  w.clock.advance(60_000);
  const r = await w.t.inject('POST', '/v1/actions', w.t.keys[AGENT], {
    connector: 'crm',
    object: 'marketing_emails',
    operation: 'launch',
    target: emailId,
    reason: 'send the winner',
  });
  expect(r.status, r.body).toBe(202);
  const d = await w.t.inject('POST', `/v1/approvals/${r.json.approval.id}/decision`, w.t.keys.lee, {
    decision: 'approve',
    comment: 'looks right',
    checklist: { 'brand-tone': true, 'unsubscribe-link': true, 'segment-correct': true },
  });
  expect(d.status, d.body).toBeLessThan(300);
  const row = await w.t.gh.storage.actions.get(r.json.id);
  expect(row?.status).toBe('executed');
  return r.json.id as string;
}

async function props(w: World, id: string) {
  const r = await w.crm.get('marketing_emails', id);
  if (!r) throw new Error(`email ${id} is gone`);
  return r.properties;
}

async function rollbackWrites(w: World, id: string, property: string) {
  return (await w.crm.history('marketing_emails', id, property)).filter((e) => e.source === 'rollback');
}

async function auditTypes(w: World, subject?: string) {
  const out: { type: string; subject: string | null; data: Record<string, unknown> }[] = [];
  for await (const e of w.t.gh.storage.audit.iterate()) {
    if (subject === undefined || e.subject === subject) out.push({ type: e.type, subject: e.subject, data: e.data });
  }
  return out;
}

describe('rollback of a tripped scope', () => {
  it('restores the agent’s changes exactly, newest first, leaves a person’s later edit alone as a conflict, lists sends', async () => {
    const w = await start();
    const [e5, e1, e2, e3, e4] = w.emails;
    if (!e1 || !e2 || !e3 || !e4 || !e5 || !launchable(e5)) throw new Error('the sandbox has too few emails');
    const original = (p: CrmRecord['properties']) => ({ subject: p.subject, preview_text: p.preview_text });

    // Before the window: not part of this rollback.
    const a0 = await updateSubjects(w, [{ id: e4.id, changes: { subject: 'Before the window' } }]);
    w.clock.advance(60_000);
    const since = w.clock.now().toISOString();

    const a1 = await updateSubjects(w, [
      { id: e1.id, changes: { subject: 'A1: You will not believe this' } },
      { id: e2.id, changes: { subject: 'A1: Last chance!!!' } },
    ]);
    const a2 = await updateSubjects(w, [
      { id: e3.id, changes: { subject: 'A2: Free stuff', preview_text: 'A2: open now' } },
    ]);
    // A second write to the same property: undoing must unwind both, back to the original.
    const a3 = await updateSubjects(w, [{ id: e1.id, changes: { subject: 'A3: FINAL final chance' } }]);
    const a4 = await launch(w, e5.id);
    w.clock.advance(60_000);
    const sequence = (await allRecords(w.crm, 'sequences')).find((q) => q.properties.active !== 'false');
    const contact = (await allRecords(w.crm, 'contacts'))[0];
    if (!sequence || !contact) throw new Error('the sandbox has no active sequence or no contact');
    const enrolled = await w.t.inject('POST', '/v1/actions', w.t.keys[AGENT], {
      connector: 'crm',
      object: 'sequences',
      operation: 'enroll',
      target: sequence.id,
      params: { contact_ids: [contact.id] },
      reason: 'nurture the openers',
    });
    expect(enrolled.status, enrolled.body).toBe(200);
    const a5 = enrolled.json.id as string;
    w.clock.advance(60_000);
    await editAsPerson(w.crm, 'marketing_emails', e2.id, { subject: 'Maria fixed this by hand' }, 'maria-edit-1');
    w.clock.advance(60_000);
    const until = w.clock.now().toISOString();

    const plan = await planRollback(w.deps, { agentIds: [AGENT], since, until });
    expect(plan.items.map((i) => [i.actionId, i.id, i.property])).toEqual([
      [a3, e1.id, 'subject'],
      [a2, e3.id, 'preview_text'],
      [a2, e3.id, 'subject'],
      [a1, e2.id, 'subject'],
      [a1, e1.id, 'subject'],
    ]);
    expect(plan.irreversible).toEqual([
      expect.objectContaining({ actionId: a4, object: 'marketing_emails', recordId: e5.id, fields: ['status'] }),
    ]);
    // The enrollment is compensatable (unenrolling would undo it): listed for a person, not undone.
    expect(plan.compensatable).toEqual([
      expect.objectContaining({
        actionId: a5,
        operation: 'enroll',
        object: 'contacts',
        recordId: contact.id,
        fields: expect.arrayContaining(['hs_sequences_is_enrolled']),
      }),
    ]);

    w.clock.advance(60_000);
    const result = await runRollback(w.deps, plan, { incidentId: 'inc_ctr_1', actor: 'breaker:ctr-drop' });

    // Restored exactly, including the twice-written subject.
    expect((await props(w, e1.id)).subject).toBe(e1.properties.subject);
    expect(original(await props(w, e3.id))).toEqual(original(e3.properties));
    // The person's edit is untouched and reported, naming who and when.
    expect((await props(w, e2.id)).subject).toBe('Maria fixed this by hand');
    expect(result.conflicts).toEqual([
      expect.objectContaining({
        actionId: a1,
        id: e2.id,
        property: 'subject',
        current: 'Maria fixed this by hand',
        changedBy: { kind: 'person', id: 'maria' },
      }),
    ]);
    expect(await rollbackWrites(w, e2.id, 'subject')).toEqual([]);
    // Outside the window: untouched. The send is listed, not undone.
    expect((await props(w, e4.id)).subject).toBe('Before the window');
    expect((await props(w, e5.id)).status).toBe('sent');
    expect(result.irreversible.map((c) => c.actionId)).toEqual([a4]);
    expect((await w.crm.get('contacts', contact.id))?.properties.hs_sequences_is_enrolled).toBe('true');
    expect(result.restored).toHaveLength(4);
    expect(result.alreadyRestored).toEqual([]);

    // Actions fully undone move to rolled_back; the one with a conflict and the send stay executed.
    const status = async (id: string) => (await w.t.gh.storage.actions.get(id))?.status;
    expect([...result.rolledBack].sort()).toEqual([a2, a3].sort());
    expect(await Promise.all([a0, a1, a2, a3, a4, a5].map(status))).toEqual([
      'executed',
      'executed',
      'rolled_back',
      'rolled_back',
      'executed',
      'executed',
    ]);
    const transitions = await w.t.gh.storage.transitions.list(a2);
    expect(transitions.at(-1)).toMatchObject({ from: 'executed', to: 'rolled_back' });

    // Every step is audited, and the chain still verifies.
    const entries = await auditTypes(w, 'inc_ctr_1');
    expect(entries.map((e) => e.type)).toEqual([
      'rollback.started',
      'rollback.item',
      'rollback.item',
      'rollback.item',
      'rollback.finished',
    ]);
    expect(entries[3]?.data).toMatchObject({ action_id: a1, restored: 1, conflicts: 1, status: 'partial' });
    expect(entries[4]?.data).toMatchObject({ restored: 4, conflicts: 1, rolled_back: 2, irreversible: 1 });
    expect((await auditTypes(w, a2)).map((e) => e.type)).toContain('action.rolled_back');
    expect((await w.t.gh.audit.verify()).ok).toBe(true);

    // Running it again changes nothing: rolled-back actions are no longer planned, the rest conflict again.
    const again = await runRollback(w.deps, await planRollback(w.deps, { agentIds: [AGENT], since, until }), {
      incidentId: 'inc_ctr_1',
      actor: 'breaker:ctr-drop',
    });
    expect(again.restored).toEqual([]);
    expect(again.conflicts.map((c) => c.id)).toEqual([e2.id]);
    expect(await rollbackWrites(w, e1.id, 'subject')).toHaveLength(2);
  });

  it('resumes after a crash mid-rollback without undoing anything twice', async () => {
    const w = await start();
    const picked = w.emails.slice(0, 8);
    expect(picked).toHaveLength(8);
    const since = w.clock.now().toISOString();
    const actions: string[] = [];
    for (let k = 0; k < 4; k++) {
      const pair = picked.slice(k * 2, k * 2 + 2);
      actions.push(
        await updateSubjects(
          w,
          pair.map((e) => ({ id: e.id, changes: { subject: `Agent ${k}: ${e.id}` } })),
        ),
      );
    }
    w.clock.advance(60_000);
    const until = w.clock.now().toISOString();

    // The CRM undoes the second action's writes, then the process dies before Gatehouse records it.
    let reverts = 0;
    const crashing: Connector = {
      ...w.crm,
      async revert(items, ctx) {
        const out = await w.crm.revert(items, ctx);
        if (++reverts === 2) throw new Error('process killed');
        return out;
      },
    };
    const crashDeps = { ...w.deps, connectors: new Map([['crm', crashing]]) };
    const plan = await planRollback(crashDeps, { agentIds: [AGENT], since, until });
    expect(plan.items).toHaveLength(8);
    await expect(runRollback(crashDeps, plan, { incidentId: 'inc_crash', actor: 'person:sam' })).rejects.toThrow(
      'process killed',
    );
    expect((await w.t.gh.storage.actions.get(actions[3]!))?.status).toBe('rolled_back');
    expect((await w.t.gh.storage.actions.get(actions[2]!))?.status).toBe('executed');

    // The re-run plans what is left and completes.
    w.clock.advance(60_000);
    const resumed = await runRollback(w.deps, await planRollback(w.deps, { agentIds: [AGENT], since, until }), {
      incidentId: 'inc_crash',
      actor: 'person:sam',
    });
    expect(resumed.alreadyRestored.map((i) => i.actionId)).toEqual([actions[2], actions[2]]);
    expect(resumed.restored).toHaveLength(4);
    expect(resumed.conflicts).toEqual([]);
    expect(resumed.rolledBack).toEqual([actions[2], actions[1], actions[0]]);

    for (const e of picked) {
      expect((await props(w, e.id)).subject).toBe(e.properties.subject);
      const writes = await rollbackWrites(w, e.id, 'subject');
      expect(writes).toHaveLength(1);
      expect(writes[0]?.actor).toEqual({ kind: 'person', id: 'sam' });
    }
    for (const id of actions) expect((await w.t.gh.storage.actions.get(id))?.status).toBe('rolled_back');

    const types = (await auditTypes(w, 'inc_crash')).map((e) => e.type);
    expect(types).toEqual([
      'rollback.started',
      'rollback.item',
      'rollback.interrupted',
      'rollback.started',
      'rollback.item',
      'rollback.item',
      'rollback.item',
      'rollback.finished',
    ]);
    expect((await w.t.gh.audit.verify()).ok).toBe(true);
  });
});
