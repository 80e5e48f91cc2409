/**
 * The rate budget is read before planning and taken inside the decision's transaction (with
 * group commit on SQLite): concurrent submissions never exceed `actions_per_minute`, and an
 * exhausted budget refuses without the connector being asked anything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { submitAction, type ActionRequest } from '../../src/core/pipeline/index.js';
import type { Connector, CrmRecord } from '../../src/core/ports/connector.js';
import { exampleConfigText, startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { allRecords, crmOf, inUsCa } from '../helpers/sandbox.js';

const LIMITED = `agents:
  - id: limited
    owner: sam
    mode: autonomous
    grants:
      - connector: crm
        objects: [contacts]
        operations: [read, update]
        write_fields: [owner_id]
    limits: { max_batch: 10, actions_per_minute: 3 }
`;

const clock = createManualClock('2026-03-02T10:00:30.000Z');
let t: TestGatehouse;
let contacts: CrmRecord[];

const update = (id: string, owner: string): ActionRequest => ({
  connector: 'crm',
  object: 'contacts',
  operation: 'update',
  records: [{ id, changes: { owner_id: owner } }],
  reason: 'rate budget test',
});

beforeAll(async () => {
  t = await startTestGatehouse({ configText: exampleConfigText().replace(/^agents:\n/m, LIMITED), clock });
  contacts = (await allRecords(crmOf(t.gh), 'contacts')).filter(inUsCa);
});
afterAll(async () => {
  await t?.close();
});

describe('rate budget', () => {
  it('10 concurrent submissions with a budget of 3: exactly 3 execute, 7 are rate_limited', async () => {
    clock.advance(60_000);
    const results = await Promise.all(
      contacts.slice(0, 10).map((c, i) => submitAction(t.gh.pipeline, 'limited', update(c.id, `u_rate_${i}`))),
    );
    const statuses = results.map((r) => r.action.status);
    expect(statuses.filter((s) => s === 'executed')).toHaveLength(3);
    const refused = results.filter((r) => r.action.status !== 'executed');
    expect(refused).toHaveLength(7);
    for (const r of refused) {
      expect(r.action.status).toBe('denied');
      expect(r.action.error).toMatchObject({ code: 'rate_limited' });
    }
    // Every attempt is recorded, each with its decision in the audit log.
    const decided = (await t.gh.storage.audit.list({ limit: 10_000 })).filter(
      (e) => e.type === 'action.decided' && results.some((r) => r.action.id === e.subject),
    );
    expect(decided).toHaveLength(10);
  });

  it('an exhausted budget refuses before the connector is asked anything; a new minute has a new budget', async () => {
    clock.advance(60_000);
    for (let i = 0; i < 3; i++) {
      const r = await submitAction(t.gh.pipeline, 'limited', update(contacts[20 + i]!.id, `u_rate_b${i}`));
      expect(r.action.status).toBe('executed');
    }
    const calls: string[] = [];
    const crm = crmOf(t.gh);
    const spy: Connector = new Proxy(crm, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          calls.push(String(prop));
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const deps = { ...t.gh.pipeline, connectors: new Map([...t.gh.pipeline.connectors, ['crm', spy]]) };
    const refused = await submitAction(deps, 'limited', update(contacts[30]!.id, 'u_rate_over'));
    expect(refused.action.status).toBe('denied');
    expect(refused.action.error).toMatchObject({ code: 'rate_limited' });
    expect(calls).toEqual([]);

    clock.advance(60_000);
    const again = await submitAction(deps, 'limited', update(contacts[30]!.id, 'u_rate_next'));
    expect(again.action.status).toBe('executed');
    expect(calls).toContain('apply');
  });
});
