/**
 * `agents[].observe_on`: an observe agent reads and plans on a replica of its live connector while
 * its grants, actions, policies and shadow scoring keep naming the live connector; once promoted it
 * reads and writes live data, with no grant edited.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshReplica } from '../../src/adapters/connectors/replica/index.js';
import { formatDiagnostic } from '../../src/config/diagnostics.js';
import { loadConfigFromString } from '../../src/config/index.js';
import { setAgentMode } from '../../src/core/governance.js';
import { promoteAgent } from '../../src/core/shadow/index.js';
import { exampleConfigText, startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { allRecords, crmOf, editAsPerson, inUsCa } from '../helpers/sandbox.js';

const REPLICA =
  '\n  crm-snapshot:\n    type: replica\n    from: crm\n    path: "{{dir}}/replica-crm-snapshot.db"\n\npeople:';
const agentYaml = (id: string) =>
  [
    '',
    `  - id: ${id}`,
    '    owner: sam',
    '    mode: observe',
    '    observe_on: crm-snapshot',
    '    grants:',
    '      - connector: crm',
    '        objects: [contacts]',
    '        operations: [read, update]',
    '        read_fields: [email, country, owner_id]',
    '        write_fields: [owner_id]',
    "        where: \"record.country in ['US', 'CA']\"",
    '        pii: mask',
  ].join('\n');
const MARK = '\n\n# Policies are checked';
const AGENT = agentYaml('router-observe') + MARK;

const configText = (agent = AGENT, replica = REPLICA) =>
  exampleConfigText({ contacts: 200 }).replace('\npeople:', replica).replace('\n# Policies are checked', agent);

const fileHash = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('observe_on in the config', () => {
  const diagnostics = (text: string) => {
    const r = loadConfigFromString(text.replaceAll('{{dir}}', '/tmp/x'), 'gatehouse.yaml', { HOOK_SECRET: 's' });
    return r.ok ? [] : r.diagnostics;
  };
  const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

  it('accepts a replica of a granted connector and hands it to the pipeline', () => {
    const r = loadConfigFromString(configText().replaceAll('{{dir}}', '/tmp/x'), 'gatehouse.yaml', {
      HOOK_SECRET: 's',
    });
    expect(r.ok, r.ok ? '' : r.diagnostics.map(formatDiagnostic).join('\n')).toBe(true);
    if (r.ok) expect(r.config.agents.find((a) => a.id === 'router-observe')?.observe_on).toBe('crm-snapshot');
  });

  it.each([
    {
      name: 'an unknown connector',
      agent: AGENT.replace('observe_on: crm-snapshot', 'observe_on: crm-snapshott'),
      at: 'observe_on: crm-snapshott',
      code: 'unknown_connector',
      message: /unknown connector 'crm-snapshott' \(did you mean 'crm-snapshot'\?\); replicas defined: crm-snapshot/,
    },
    {
      name: 'a connector that is not a replica',
      agent: AGENT.replace('observe_on: crm-snapshot', 'observe_on: crm'),
      at: 'observe_on: crm',
      code: 'invalid_value',
      message: /observe_on must name a connector of type replica; 'crm' is type sandbox/,
    },
    {
      name: 'a replica of a connector the agent has no grant on',
      agent: AGENT.replace('      - connector: crm\n', '      - connector: crm-snapshot\n'),
      at: 'observe_on: crm-snapshot',
      code: 'invalid_value',
      message: /replica 'crm-snapshot' copies 'crm', which this agent has no grant on/,
    },
  ])('refuses $name, at its line', (v) => {
    const text = configText(v.agent);
    const found = diagnostics(text);
    const hit = found.find((d) => d.code === v.code && d.path.endsWith('.observe_on'));
    expect(hit, found.map(formatDiagnostic).join('\n')).toBeDefined();
    expect(hit!.message).toMatch(v.message);
    expect(hit!.line).toBe(lineOf(text, v.at));
    expect(found).toHaveLength(1);
  });
});

describe('an observe agent with observe_on (pipeline)', () => {
  let t: TestGatehouse;
  beforeAll(async () => {
    t = await startTestGatehouse({
      configText: configText(agentYaml('router-observe') + agentYaml('router-ops') + MARK),
    });
  });
  afterAll(async () => t?.close());

  const write = (id: string, owner: string, agent = 'router-observe') =>
    t.inject('POST', '/v1/actions', t.keys[agent], {
      connector: 'crm',
      object: 'contacts',
      operation: 'update',
      records: [{ id, changes: { owner_id: owner } }],
      reason: 'route by territory',
    });

  it('reads and plans on the replica while observing, then acts on live data once promoted', async () => {
    const crm = crmOf(t.gh);
    const c = (await allRecords(crm, 'contacts')).find(inUsCa)!;
    const key = t.keys['router-observe'];

    // Not created yet: a clear refusal naming the command, never live data.
    const early = await t.inject('GET', `/v1/records/crm/contacts/${c.id}`, key);
    expect(early.status, early.body).toBe(503);
    expect(early.json.error.code).toBe('replica_not_created');
    expect(early.json.error.message).toContain('gatehouse replica create --from crm --name crm-snapshot');
    const earlyWrite = await write(c.id, 'u_1');
    expect(earlyWrite.json.status, earlyWrite.body).toBe('denied');
    expect(earlyWrite.json.error.code).toBe('replica_not_created');

    const path = join(t.dir, 'replica-crm-snapshot.db');
    await refreshReplica({
      source: crm,
      replicaId: 'crm-snapshot',
      path,
      kind: 'create',
      grants: t.config.agents.flatMap((a) => a.grants),
      hashSecret: t.gh.pipeline.piiSecret,
      actor: 'system:test',
      now: () => new Date(),
    });
    const snapshotOwner = c.properties.owner_id;
    const liveOwner = snapshotOwner === 'u_1' ? 'u_2' : 'u_1';
    const proposed = snapshotOwner === 'u_3' ? 'u_4' : 'u_3';
    // A person changes the live record after the replica was made.
    await editAsPerson(crm, 'contacts', c.id, { owner_id: liveOwner }, 'observe-on-live-edit');
    const replicaBefore = fileHash(path);

    const read = await t.inject('GET', `/v1/records/crm/contacts/${c.id}`, key);
    expect(read.status, read.body).toBe(200);
    expect(read.json.properties.owner_id).toBe(snapshotOwner);
    const list = await t.inject('GET', '/v1/records/crm/contacts?limit=200', key);
    expect(list.json.results.find((r: { id: string }) => r.id === c.id)?.properties.owner_id).toBe(snapshotOwner);

    // The write is shadowed, planned against the replica, and names the live connector.
    const shadowed = await write(c.id, proposed);
    expect(shadowed.status, shadowed.body).toBe(202);
    expect(shadowed.json).toMatchObject({ status: 'shadowed', connector: 'crm' });
    expect(shadowed.json.changeset.summary.data_source).toBe('crm-snapshot');
    expect(shadowed.json.changeset.records[0]).toMatchObject({
      before: { owner_id: snapshotOwner },
      after: { owner_id: proposed },
    });
    const again = await t.inject('GET', `/v1/actions/${shadowed.json.id}`, key);
    expect(again.json.changeset.summary.data_source).toBe('crm-snapshot');
    expect((await crm.get('contacts', c.id))?.properties.owner_id).toBe(liveOwner);
    expect(fileHash(path)).toBe(replicaBefore);
    const audit = await t.gh.storage.audit.list({ limit: 1000 });
    const decided = audit.find((e) => e.subject === shadowed.json.id && e.type === 'action.decided');
    expect(decided?.data).toMatchObject({ connector: 'crm', summary: { data_source: 'crm-snapshot' } });

    // Promoted: the same agent, the same grants, live data.
    await setAgentMode(t.gh.pipeline, {
      agentId: 'router-observe',
      mode: 'autonomous',
      actor: 'person:maria',
      comment: 'agreement is high',
    });
    const liveRead = await t.inject('GET', `/v1/records/crm/contacts/${c.id}`, key);
    expect(liveRead.json.properties.owner_id).toBe(liveOwner);
    const executed = await write(c.id, proposed);
    expect(executed.json.status, executed.body).toBe('executed');
    expect(executed.json.changeset.summary.data_source).toBeUndefined();
    expect(executed.json.changeset.records[0].before).toEqual({ owner_id: liveOwner });
    expect((await crm.get('contacts', c.id))?.properties.owner_id).toBe(proposed);
    expect(fileHash(path)).toBe(replicaBefore);
  });

  // Runs after the test above, which created the replica.
  it('promoting one operation moves that object to live data; until then it stays on the replica', async () => {
    const crm = crmOf(t.gh);
    const c = (await allRecords(crm, 'contacts')).filter(inUsCa)[3]!;
    const snapshot = (await t.gh.connectors.get('crm-snapshot')!.get('contacts', c.id))!.properties.owner_id;
    const live = snapshot === 'u_5' ? 'u_6' : 'u_5';
    await editAsPerson(crm, 'contacts', c.id, { owner_id: live }, 'observe-on-ops-edit');
    const key = t.keys['router-ops'];
    const read = async () =>
      (await t.inject('GET', `/v1/records/crm/contacts/${c.id}`, key)).json.properties.owner_id as unknown;
    expect(await read()).toBe(snapshot);

    const promoted = await promoteAgent(t.gh.pipeline, {
      agentId: 'router-ops',
      to: 'autonomous',
      operation: 'contacts.update',
      personId: 'maria',
      roles: ['admin'],
      overrideReason: 'test: no shadow evidence needed here',
    });
    expect(promoted).toMatchObject({ operation: 'contacts.update', from: 'observe', to: 'autonomous' });
    expect(await read()).toBe(live);
    const w = await write(c.id, 'u_7', 'router-ops');
    expect(w.json.status, w.body).toBe('executed');
    expect(w.json.changeset.summary.data_source).toBeUndefined();
    expect((await crm.get('contacts', c.id))?.properties.owner_id).toBe('u_7');
  });
});

describe('an observe agent with observe_on and pii: hash', () => {
  let t: TestGatehouse;
  beforeAll(async () => {
    const hasher = agentYaml('router-hash').replace('pii: mask', 'pii: hash');
    t = await startTestGatehouse({ configText: configText(hasher + agentYaml('router-mask') + MARK) });
  });
  afterAll(async () => t?.close());

  it('reads the same keyed hash on the replica as on live data after promotion, not a hash of the hash', async () => {
    const crm = crmOf(t.gh);
    const c = (await allRecords(crm, 'contacts')).find((r) => inUsCa(r) && r.properties.email)!;
    const raw = c.properties.email!;
    await refreshReplica({
      source: crm,
      replicaId: 'crm-snapshot',
      path: join(t.dir, 'replica-crm-snapshot.db'),
      kind: 'create',
      grants: t.config.agents.flatMap((a) => a.grants),
      hashSecret: t.gh.pipeline.piiSecret,
      actor: 'system:test',
      now: () => new Date(),
    });
    const email = async (agent: string) => {
      const r = await t.inject('GET', `/v1/records/crm/contacts/${c.id}`, t.keys[agent]);
      expect(r.status, r.body).toBe(200);
      return r.json.properties.email as string;
    };
    // The replica stores the strictest treatment of its grants (hash); read through it, the
    // hash agent gets that stored hash, and the mask agent gets it too (stricter than a mask).
    const onReplica = await email('router-hash');
    expect(onReplica).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(await email('router-mask')).toBe(onReplica);

    await setAgentMode(t.gh.pipeline, { agentId: 'router-hash', mode: 'autonomous', actor: 'person:maria' });
    expect(await email('router-hash')).toBe(onReplica);
    expect(onReplica).not.toContain(raw);
  });
});
