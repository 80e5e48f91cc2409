/**
 * Replicas in process: the read contract on a replica, PII in the file, read-only writes, refresh
 * semantics, and an observe-mode agent acting on a replica through the real pipeline.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeReadContract } from '../../src/adapters/connectors/connector.case.js';
import {
  createReplicaConnector,
  refreshReplica,
  replicaPiiPlan,
  type ReplicaConnector,
} from '../../src/adapters/connectors/replica/index.js';
import {
  createPeopleSimulator,
  createSandboxConnector,
  SANDBOX_SCHEMA,
  type SandboxConnector,
} from '../../src/adapters/connectors/sandbox/index.js';
import { openSandboxStore } from '../../src/adapters/connectors/sandbox/store.js';
import { createManualClock } from '../../src/core/clock.js';
import { maskValue } from '../../src/core/boundary/index.js';
import type { Connector, CrmRecord } from '../../src/core/ports/connector.js';
import { exampleConfigText, startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';

const SMALL = { contacts: 60, companies: 10, deals: 15 };
const SECRET = 'test-pii-secret';
const NOW = () => new Date('2026-02-01T00:00:00.000Z');

async function all(c: Connector, object: string): Promise<CrmRecord[]> {
  const out: CrmRecord[] = [];
  let after: string | undefined;
  do {
    const page = await c.list(object, { limit: 1000, ...(after ? { after } : {}) });
    out.push(...page.results);
    after = page.nextAfter;
  } while (after);
  return out;
}

/** SHA-256 over the replica file's records and history, read without writing. */
function fileHash(path: string): string {
  const store = openSandboxStore(path, { readonly: true });
  try {
    return store.dumpHash();
  } finally {
    store.close();
  }
}

describeReadContract('replica of a sandbox', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-replica-contract-'));
  const clock = createManualClock();
  const source = await createSandboxConnector({ id: 'crm', seed: 7, size: SMALL, clock });
  const path = join(dir, 'replica.db');
  // Raw values (every grant allows PII) so the contract's email searches see real addresses.
  await refreshReplica({
    source,
    replicaId: 'copy',
    path,
    kind: 'create',
    grants: [{ connector: 'crm', objects: ['contacts', 'owners'], pii: 'allow' }],
    hashSecret: SECRET,
    actor: 'system:test',
    now: NOW,
  });
  await source.close();
  const connector = createReplicaConnector({ id: 'copy', from: 'crm', path });
  return {
    connector,
    clock,
    cleanup: async () => {
      await connector.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('replica adapter', () => {
  let dir: string;
  let source: SandboxConnector;
  let replica: ReplicaConnector;
  let path: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-replica-'));
    source = await createSandboxConnector({ id: 'crm', seed: 11, size: { contacts: 400, companies: 60, deals: 80 } });
    createPeopleSimulator(source, { seed: 2 }).work('2026-01-05T00:00:00.000Z', 5);
    path = join(dir, 'crm-us.db');
    replica = createReplicaConnector({ id: 'crm-us', from: 'crm', path, sourceSchema: source.schema() });
  });
  afterAll(async () => {
    await replica.close();
    await source.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('before it is created: unhealthy, every call names the command that creates it', async () => {
    expect(await replica.health()).toMatchObject({
      ok: false,
      detail: expect.stringContaining('gatehouse replica create --from crm --name crm-us'),
    });
    await expect(replica.list('contacts', { limit: 1 })).rejects.toMatchObject({ code: 'connector_unavailable' });
    expect(replica.schema().map((o) => o.name)).toContain('contacts');
    await expect(
      refreshReplica({
        source,
        replicaId: 'crm-us',
        path,
        kind: 'refresh',
        grants: [],
        hashSecret: SECRET,
        actor: 'system:test',
        now: NOW,
      }),
    ).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('gatehouse replica create') });
  });

  it('copies a filtered subset with its history, PII masked as the grants say, raw emails absent from the file', async () => {
    const refresh = await refreshReplica({
      source,
      replicaId: 'crm-us',
      path,
      kind: 'create',
      selection: {
        objects: ['contacts', 'owners'],
        filters: { contacts: [{ property: 'country', operator: 'EQ', value: 'US' }] },
      },
      grants: [
        { connector: 'crm', objects: ['contacts'], pii: 'allow' },
        { connector: 'crm-us', objects: ['contacts'], pii: 'mask' },
      ],
      hashSecret: SECRET,
      actor: 'person:maria',
      now: NOW,
    });
    const sourceContacts = await all(source, 'contacts');
    const us = sourceContacts.filter((r) => r.properties['country'] === 'US');
    expect(refresh.counts['contacts']?.records).toBe(us.length);
    expect(refresh.counts['owners']?.records).toBeGreaterThan(0);
    expect(refresh.pii['contacts']).toMatchObject({ email: 'mask', firstname: 'mask', phone: 'mask' });
    expect(refresh).toMatchObject({ kind: 'create', source: 'crm', sourceType: 'sandbox', actor: 'person:maria' });

    const copy = await all(replica, 'contacts');
    expect(copy.map((r) => r.id)).toEqual(us.map((r) => r.id));
    const first = us[0]!;
    const mirrored = copy[0]!;
    expect(mirrored.properties['email']).toBe(maskValue(first.properties['email']!));
    expect(mirrored.properties['owner_id']).toBe(first.properties['owner_id']);
    expect(mirrored.properties['country']).toBe('US');
    expect(
      await replica.get('contacts', sourceContacts.find((r) => r.properties['country'] !== 'US')!.id),
    ).toBeUndefined();
    // History and changes are served from the copy, persons included, PII masked there too.
    const history = await replica.history('contacts', first.id, 'email');
    expect(history.length).toBeGreaterThan(0);
    expect(history.every((e) => e.value === null || e.value.includes('***'))).toBe(true);
    const people = await replica.changes({
      from: '2026-01-05T00:00:00.000Z',
      to: '2026-01-10T00:00:00.000Z',
      actorKinds: ['person'],
      object: 'contacts',
      limit: 1000,
    });
    const sourcePeople = await source.changes({
      from: '2026-01-05T00:00:00.000Z',
      to: '2026-01-10T00:00:00.000Z',
      actorKinds: ['person'],
      object: 'contacts',
      limit: 1000,
    });
    const usIds = new Set(us.map((r) => r.id));
    expect(people.results).toEqual(sourcePeople.results.filter((e) => usIds.has(e.id)));
    expect(people.results.length).toBeGreaterThan(0);

    // The file itself: no raw email of any contact.
    for (const f of [path, `${path}-wal`].filter((x) => existsSync(x))) {
      const bytes = readFileSync(f).toString('latin1');
      for (const r of sourceContacts.slice(0, 200)) expect(bytes.includes(r.properties['email']!)).toBe(false);
    }
    expect(await replica.health()).toMatchObject({ ok: true });
  });

  it('plans against the copy, but never writes: apply fails replica_read_only, revert throws it', async () => {
    const before = fileHash(path);
    const [c] = (await replica.list('contacts', { limit: 1 })).results;
    const plan = await replica.plan({
      object: 'contacts',
      operation: 'update',
      records: [{ id: c!.id, changes: { owner_id: 'u_1' } }],
    });
    expect(plan.records[0]).toMatchObject({
      id: c!.id,
      before: { owner_id: c!.properties['owner_id'] },
      after: { owner_id: 'u_1' },
    });
    expect(plan.records[0]!.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    const result = await replica.apply(plan, {
      idempotencyKey: 'k1',
      actor: { kind: 'agent', id: 'a' },
      source: 'gatehouse',
    });
    expect(result).toMatchObject({ type: 'failed', code: 'replica_read_only', retryable: false });
    await expect(
      replica.revert(
        [
          {
            object: 'contacts',
            id: c!.id,
            property: 'owner_id',
            wrote: 'u_1',
            restore: null,
            appliedAt: NOW().toISOString(),
          },
        ],
        { idempotencyKey: 'k2', actor: { kind: 'system', id: 'x' }, source: 'rollback' },
      ),
    ).rejects.toMatchObject({ code: 'replica_read_only' });
    expect(fileHash(path)).toBe(before);
  });

  it('refresh re-copies with the stored selection and logs every refresh; create again is refused', async () => {
    const sourceUs = (await all(source, 'contacts')).filter((r) => r.properties['country'] === 'US');
    createPeopleSimulator(source, { seed: 2 }).work('2026-01-10T00:00:00.000Z', 3);
    const refresh = await refreshReplica({
      source,
      replicaId: 'crm-us',
      path,
      kind: 'refresh',
      grants: [{ connector: 'crm', objects: ['contacts'], pii: 'hash' }],
      hashSecret: SECRET,
      actor: 'cli:ops',
      now: () => new Date('2026-02-02T00:00:00.000Z'),
    });
    expect(refresh.kind).toBe('refresh');
    expect(refresh.selection.filters['contacts']).toEqual([{ property: 'country', operator: 'EQ', value: 'US' }]);
    expect(refresh.pii['contacts']?.['email']).toBe('hash');
    expect(refresh.counts['contacts']?.records).toBe(sourceUs.length);
    const info = replica.info();
    expect(info?.refreshes.map((r) => [r.kind, r.at])).toEqual([
      ['create', '2026-02-01T00:00:00.000Z'],
      ['refresh', '2026-02-02T00:00:00.000Z'],
    ]);
    const [c] = (await replica.list('contacts', { limit: 1 })).results;
    expect(c!.properties['email']).toMatch(/^sha256:[0-9a-f]{16}$/);
    await expect(
      refreshReplica({
        source,
        replicaId: 'crm-us',
        path,
        kind: 'create',
        grants: [],
        hashSecret: SECRET,
        actor: 'cli:ops',
        now: NOW,
      }),
    ).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('gatehouse replica refresh crm-us') });
  });

  it('refuses to overwrite a file that holds other data (a sandbox database)', async () => {
    const sandboxPath = join(dir, 'sandbox.db');
    const other = await createSandboxConnector({ id: 'x', seed: 1, size: SMALL, path: sandboxPath });
    await other.close();
    await expect(
      refreshReplica({
        source,
        replicaId: 'oops',
        path: sandboxPath,
        kind: 'create',
        grants: [],
        hashSecret: SECRET,
        actor: 'cli:ops',
        now: NOW,
      }),
    ).rejects.toMatchObject({ code: 'conflict' });
  });

  it('PII plan: strictest of the covering grants; mask when no grant covers the object', () => {
    const plan = replicaPiiPlan(
      SANDBOX_SCHEMA,
      ['contacts', 'owners', 'deals'],
      [
        { connector: 'crm', objects: ['contacts'], pii: 'allow' },
        { connector: 'copy', objects: ['contacts'], pii: 'hash' },
        { connector: 'elsewhere', objects: ['owners'], pii: 'allow' },
      ],
      ['crm', 'copy'],
    );
    expect(plan['contacts']?.['email']).toBe('hash');
    expect(plan['owners']?.['email']).toBe('mask');
    expect(plan['deals']).toBeUndefined(); // no PII fields
  });
});

describe('an observe-mode agent on a replica (pipeline)', () => {
  let t: TestGatehouse;
  const configText = () => {
    let text = exampleConfigText({ contacts: 300 });
    text = text.replace(
      '\npeople:',
      '\n  crm-us:\n    type: replica\n    from: crm\n    path: "{{dir}}/replica-crm-us.db"\n\npeople:',
    );
    text = text.replace(
      '\n# Policies are checked',
      [
        '',
        '  - id: router-shadow',
        '    owner: sam',
        '    mode: observe',
        '    grants:',
        '      - connector: crm-us',
        '        objects: [contacts]',
        '        operations: [read, update]',
        '        write_fields: [owner_id]',
        '        pii: mask',
        '  - id: router-live',
        '    owner: sam',
        '    mode: autonomous',
        '    grants:',
        '      - connector: crm-us',
        '        objects: [contacts]',
        '        operations: [read, update]',
        '        write_fields: [owner_id]',
        '',
        '# Policies are checked',
      ].join('\n'),
    );
    return text;
  };

  beforeAll(async () => {
    t = await startTestGatehouse({ configText: configText() });
  });
  afterAll(async () => t?.close());

  it('reads fail clearly until the replica is created; then a write is shadowed with a change set and the replica is unchanged', async () => {
    const key = t.keys['router-shadow'];
    const early = await t.inject('GET', '/v1/records/crm-us/contacts?limit=5', key);
    expect(early.status, early.body).toBe(502);
    expect(early.json.error.message).toContain('gatehouse replica create --from crm --name crm-us');

    const crm = t.gh.pipeline.connectors.get('crm')!;
    await refreshReplica({
      source: crm,
      replicaId: 'crm-us',
      path: join(t.dir, 'replica-crm-us.db'),
      kind: 'create',
      selection: {
        objects: ['contacts'],
        filters: { contacts: [{ property: 'country', operator: 'EQ', value: 'US' }] },
      },
      grants: t.config.agents.flatMap((a) => a.grants),
      hashSecret: t.gh.pipeline.piiSecret,
      actor: 'system:test',
      now: NOW,
    });
    const before = fileHash(join(t.dir, 'replica-crm-us.db'));
    const replica = t.gh.pipeline.connectors.get('crm-us')!;
    const [c] = (await replica.list('contacts', { limit: 1 })).results;
    const historyBefore = await replica.history('contacts', c!.id);

    const read = await t.inject('GET', '/v1/records/crm-us/contacts?limit=5', key);
    expect(read.status, read.body).toBe(200);
    expect(read.json.results[0].properties.email).toContain('***');

    const target = c!.properties['owner_id'] === 'u_1' ? 'u_2' : 'u_1';
    const r = await t.inject('POST', '/v1/actions', key, {
      connector: 'crm-us',
      object: 'contacts',
      operation: 'update',
      records: [{ id: c!.id, changes: { owner_id: target } }],
      reason: 'route by territory',
    });
    expect(r.status, r.body).toBe(202);
    expect(r.json.status).toBe('shadowed');
    expect(r.json.changeset.records[0]).toMatchObject({
      id: c!.id,
      before: { owner_id: c!.properties['owner_id'] },
      after: { owner_id: target },
    });
    expect(fileHash(join(t.dir, 'replica-crm-us.db'))).toBe(before);
    expect(await replica.history('contacts', c!.id)).toEqual(historyBefore);
    expect((await replica.get('contacts', c!.id))?.properties['owner_id']).toBe(c!.properties['owner_id']);

    // An autonomous agent pointed at the replica: the write is judged, then fails read-only at execution.
    const live = await t.inject('POST', '/v1/actions', t.keys['router-live'], {
      connector: 'crm-us',
      object: 'contacts',
      operation: 'update',
      records: [{ id: c!.id, changes: { owner_id: target } }],
      reason: 'route by territory',
    });
    expect(live.json.status, live.body).toBe('failed');
    expect(live.json.error).toMatchObject({ code: 'replica_read_only', message: expect.stringContaining('crm') });
    expect(fileHash(join(t.dir, 'replica-crm-us.db'))).toBe(before);
  });
});
