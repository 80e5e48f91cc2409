/**
 * The boundary, end to end: random grants (read/write fields, a `where` over country, pii) and
 * random actions go through the real pipeline (`submitAction`) against one shared sandbox.
 *
 * Properties, per run:
 * - every action's outcome is what the grants say (executed, or denied with the first failing
 *   check's code), and
 * - the CRM's own history holds no write by the agent outside a grant: every property the agent
 *   wrote is in the write_fields of a grant whose `where` covers the record, and
 * - reads return exactly the in-scope records, exactly the readable fields, PII as the strictest
 *   covering grant says; everything else is "not found".
 *
 * Country is never writable here, so a record's scope is fixed and checkable after the fact.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configOrThrow, loadConfigFromString } from '../../src/config/index.js';
import { hashValue, maskValue } from '../../src/core/boundary/index.js';
import { isGatehouseError } from '../../src/core/errors.js';
import { submitAction, type PipelineDeps } from '../../src/core/pipeline/index.js';
import type { CrmRecord, PropertyHistoryEntry } from '../../src/core/ports/connector.js';
import { getRecord, listRecords } from '../../src/core/reads.js';
import { agentDefinitions } from '../../src/wiring.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { allRecords, crmOf } from '../helpers/sandbox.js';

const COUNTRIES = ['US', 'CA', 'GB', 'DE', 'FR', 'AU'] as const;
const READABLE = ['email', 'firstname', 'jobtitle', 'country', 'city', 'lifecyclestage', 'owner_id', 'lead_score'];
const WRITABLE = ['owner_id', 'lifecyclestage', 'lead_score', 'jobtitle', 'city', 'email'] as const;
/** Fields an action may name: the writable candidates plus country (never granted for writing). */
const CHANGEABLE = [...WRITABLE, 'country'] as const;
const PII = new Set(['email', 'firstname', 'lastname', 'phone']);
const STRICTNESS = { allow: 0, mask: 1, hash: 2 } as const;

type Pii = keyof typeof STRICTNESS;
interface GrantSpec {
  operations: string[];
  read_fields?: string[];
  write_fields?: string[];
  where?: { negate: boolean; countries: string[] };
  pii: Pii;
}
interface ActionSpec {
  records: { id: string; changes: Record<string, string | null> }[];
}

const grantArb: fc.Arbitrary<GrantSpec> = fc.record(
  {
    operations: fc.oneof(fc.constant<string[]>(['read', 'update']), fc.subarray(['read', 'update'], { minLength: 1 })),
    read_fields: fc.subarray(READABLE),
    write_fields: fc.subarray<string>([...WRITABLE], { minLength: 3 }),
    where: fc.record({
      negate: fc.boolean(),
      countries: fc.subarray([...COUNTRIES], { minLength: 1 }),
    }),
    pii: fc.constantFrom<Pii>('allow', 'mask', 'hash'),
  },
  { requiredKeys: ['operations', 'pii'] },
);

const valueFor = (field: string): fc.Arbitrary<string | null> => {
  switch (field) {
    case 'owner_id':
      return fc.oneof(
        fc.integer({ min: 1, max: 9 }).map((n) => `u_${n}`),
        fc.constant(null),
      );
    case 'lifecyclestage':
      return fc.constantFrom('subscriber', 'lead', 'customer', 'other');
    case 'lead_score':
      return fc.integer({ min: 0, max: 100 }).map(String);
    case 'country':
      return fc.constantFrom(...COUNTRIES);
    default:
      return fc.string({ minLength: 1, maxLength: 12 });
  }
};

const changesArb = fc
  .oneof(
    { weight: 3, arbitrary: fc.constantFrom(...WRITABLE).map((f) => [f]) },
    { weight: 1, arbitrary: fc.uniqueArray(fc.constantFrom(...CHANGEABLE), { minLength: 1, maxLength: 2 }) },
  )
  .chain((fields) => fc.tuple(...fields.map((f) => valueFor(f).map((v) => [f, v] as const))))
  .map((pairs) => Object.fromEntries(pairs));

let t: TestGatehouse;
let contacts: CrmRecord[];
let sampleIds: string[];
let runNo = 0;

beforeAll(async () => {
  t = await startTestGatehouse();
  contacts = await allRecords(crmOf(t.gh), 'contacts');
  // A sample that spans every generated country and some outside them.
  sampleIds = contacts.slice(0, 40).map((c) => c.id);
});
afterAll(async () => {
  await t?.close();
});

const whereSource = (w: NonNullable<GrantSpec['where']>) => {
  const list = `record.country in [${w.countries.map((c) => `'${c}'`).join(', ')}]`;
  return w.negate ? `!(${list})` : list;
};
const inWhere = (g: GrantSpec, r: CrmRecord) => {
  if (!g.where) return true;
  const hit = g.where.countries.includes(r.properties.country ?? '');
  return g.where.negate ? !hit : hit;
};

/** A pipeline for one generated agent, sharing the test Gatehouse's storage and sandbox. */
function deploy(agentId: string, grants: GrantSpec[]): PipelineDeps {
  const doc = {
    version: 1,
    storage: { url: 'sqlite::memory:' },
    connectors: { crm: { type: 'sandbox', size: { contacts: 0, companies: 0, deals: 0 }, path: ':memory:' } },
    people: [{ id: 'maria', name: 'Maria', email: 'maria@example.com', roles: ['admin'] }],
    agents: [
      {
        id: agentId,
        owner: 'maria',
        mode: 'autonomous',
        grants: grants.map((g) => ({
          connector: 'crm',
          objects: ['contacts'],
          operations: g.operations,
          ...(g.read_fields ? { read_fields: g.read_fields } : {}),
          ...(g.write_fields ? { write_fields: g.write_fields } : {}),
          ...(g.where ? { where: whereSource(g.where) } : {}),
          pii: g.pii,
        })),
        limits: { max_batch: 50, actions_per_minute: 100_000 },
      },
    ],
  };
  // JSON is YAML: the generated config goes through the same loader as a real file.
  const config = configOrThrow(loadConfigFromString(JSON.stringify(doc), 'generated.yaml', {}));
  return { ...t.gh.pipeline, agents: agentDefinitions(config), policies: [] };
}

/** The expected outcome of an action under the grants (no policies, autonomous mode). */
function oracle(grants: GrantSpec[], action: ActionSpec, byId: Map<string, CrmRecord>): string {
  const writers = grants.filter((g) => g.operations.includes('update'));
  if (writers.length === 0) return 'operation_not_granted';
  const fields = [...new Set(action.records.flatMap((r) => Object.keys(r.changes)))];
  const permitting = writers.filter((g) => fields.every((f) => g.write_fields?.includes(f)));
  if (permitting.length === 0) return 'field_not_writable';
  for (const r of action.records) {
    const rec = byId.get(r.id);
    if (!rec || !permitting.some((g) => inWhere(g, rec))) return 'record_out_of_scope';
  }
  return 'executed';
}

const expectedView = (grants: GrantSpec[], rec: CrmRecord, secret: string) => {
  const covering = grants.filter((g) => g.operations.includes('read') && inWhere(g, rec));
  if (covering.length === 0) return undefined;
  const all = covering.some((g) => g.read_fields === undefined);
  const readable = new Set(covering.flatMap((g) => g.read_fields ?? []));
  const pii = covering.map((g) => g.pii).reduce((a, b) => (STRICTNESS[b] > STRICTNESS[a] ? b : a), 'allow' as Pii);
  const present = (f: string, v: string | null) => {
    if (v === null || !PII.has(f) || pii === 'allow') return v;
    return pii === 'mask' ? maskValue(v) : hashValue(v, secret);
  };
  return Object.fromEntries(
    Object.entries(rec.properties)
      .filter(([f]) => all || readable.has(f))
      .map(([f, v]) => [f, present(f, v)]),
  );
};

describe('property: nothing outside a grant is executed or read', () => {
  it('random grants × random actions', async () => {
    const crm = crmOf(t.gh);
    const scenario = fc.record({
      grants: fc.array(grantArb, { minLength: 1, maxLength: 2 }),
      actions: fc.array(
        fc.record({
          records: fc.uniqueArray(fc.record({ id: fc.constantFrom(...sampleIds), changes: changesArb }), {
            minLength: 1,
            maxLength: 2,
            selector: (r) => r.id,
          }),
        }),
        { minLength: 1, maxLength: 4 },
      ),
    });
    let executed = 0;
    let refused = 0;
    let observedWrites = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async ({ grants, actions }) => {
        const agentId = `prop-${++runNo}`;
        const runStarted = new Date(Date.now() - 1_000).toISOString();
        const deps = deploy(agentId, grants);

        for (const action of actions) {
          const byId = new Map(
            (
              await crm.getMany(
                'contacts',
                action.records.map((r) => r.id),
              )
            ).entries(),
          );
          const expected = oracle(grants, action, byId);
          const result = await submitAction(deps, agentId, {
            connector: 'crm',
            object: 'contacts',
            operation: 'update',
            records: action.records,
            reason: 'property test',
          });
          const code = (result.action.error as { code?: string } | null)?.code;
          if (expected === 'executed') {
            expect(result.action.status, JSON.stringify({ grants, action, code })).toBe('executed');
            executed++;
          } else {
            expect(result.action.status, JSON.stringify({ grants, action })).toBe('denied');
            expect(code).toBe(expected);
            refused++;
          }
        }

        // What the CRM itself recorded: every write by this agent lies inside one grant.
        const writes: PropertyHistoryEntry[] = [];
        let cursor: string | undefined;
        do {
          const page = await crm.changes({
            from: runStarted,
            to: '2999-01-01T00:00:00.000Z',
            object: 'contacts',
            actorKinds: ['agent'],
            limit: 1000,
            ...(cursor ? { after: cursor } : {}),
          });
          writes.push(...page.results);
          cursor = page.nextAfter;
        } while (cursor);
        const mine = writes.filter((e) => e.actor.id === agentId);
        observedWrites += mine.length;
        for (const w of mine) {
          if (w.property === 'lastmodifieddate') continue; // maintained by the CRM on every write
          const rec = contacts.find((c) => c.id === w.id);
          const allowed = grants.some(
            (g) =>
              g.operations.includes('update') &&
              (g.write_fields ?? []).includes(w.property) &&
              !!rec &&
              inWhere(g, rec),
          );
          expect(allowed, `${agentId} wrote ${w.id}.${w.property} outside its grants ${JSON.stringify(grants)}`).toBe(
            true,
          );
        }

        // Reads: exactly the covered records, projected as the covering grants say.
        const agent = deps.agents.get(agentId)!;
        const current = await allRecords(crm, 'contacts');
        if (!grants.some((g) => g.operations.includes('read'))) {
          await expect(
            listRecords(deps, agent, { connector: 'crm', object: 'contacts', limit: 10 }),
          ).rejects.toMatchObject({ code: 'object_not_granted' });
          return;
        }
        const seen = new Map<string, Record<string, string | null>>();
        let after: string | undefined;
        do {
          const page = await listRecords(deps, agent, {
            connector: 'crm',
            object: 'contacts',
            limit: 500,
            ...(after ? { after } : {}),
          });
          for (const v of page.results) seen.set(v.id, v.properties);
          after = page.next;
        } while (after);
        const expected = new Map(
          current.flatMap((r) => {
            const v = expectedView(grants, r, deps.piiSecret);
            return v ? [[r.id, v] as const] : [];
          }),
        );
        expect([...seen.keys()].sort()).toEqual([...expected.keys()].sort());
        for (const [id, props] of seen) expect(props, id).toEqual(expected.get(id));

        const hidden = current.find((r) => !expected.has(r.id));
        if (hidden) {
          const err = await getRecord(deps, agent, { connector: 'crm', object: 'contacts', id: hidden.id }).catch(
            (e: unknown) => e,
          );
          expect(isGatehouseError(err) && err.code).toBe('record_not_found');
        }
      }),
      { numRuns: 50, seed: 424242 },
    );
    // The generators must reach both sides, or the property proves little.
    expect(executed).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(10);
    expect(observedWrites).toBeGreaterThan(10);
  });
});
