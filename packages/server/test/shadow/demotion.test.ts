/**
 * A breaker trip demotes: an autonomous agent (and its autonomous operations) comes back from a
 * reset as gated, not autonomous; what the breaker wrote survives a config re-baseline; a person
 * lifting a pause chooses the mode. Plus the pure resolution rules of per-operation modes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeBreaker, evaluateBreakers } from '../../src/core/breakers/service.js';
import { createManualClock } from '../../src/core/clock.js';
import { operationModeOf, type StoredModes } from '../../src/core/pipeline/gates.js';
import type { AgentDefinition } from '../../src/core/pipeline/types.js';
import type { AgentStateRow, OperationModeRow } from '../../src/core/ports/storage.js';
import { exampleConfigText, startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { allRecords, crmOf, inUsCa } from '../helpers/sandbox.js';

describe('operationModeOf: per-operation mode resolution', () => {
  const agent: AgentDefinition = {
    id: 'a',
    owner: 'o',
    mode: 'gated',
    version: 'v1',
    grants: [],
    operationModes: { 'contacts.update': 'autonomous', 'lists.update': 'observe' },
  };
  const state = (mode: AgentStateRow['mode'], at: string, over: Partial<AgentStateRow> = {}): AgentStateRow => ({
    id: 'a',
    mode,
    configVersion: 'v1',
    updatedAt: at,
    updatedBy: 'person:kim',
    reason: null,
    ...over,
  });
  const op = (operation: string, mode: OperationModeRow['mode'], at: string, over: Partial<OperationModeRow> = {}) => ({
    agentId: 'a',
    operation,
    mode,
    configVersion: 'v1',
    updatedAt: at,
    updatedBy: 'person:kim',
    reason: null,
    ...over,
  });
  const resolve = (stored: StoredModes, operation: string) => operationModeOf(agent, stored, operation);
  const T1 = '2026-03-02T09:00:00.000Z';
  const T2 = '2026-03-02T10:00:00.000Z';

  it('config operation_modes apply while the agent runs on the file', () => {
    const none = { state: undefined, operations: [] };
    expect(resolve(none, 'contacts.update')).toEqual({ mode: 'autonomous', source: 'operation_config' });
    expect(resolve(none, 'lists.update')).toEqual({ mode: 'observe', source: 'operation_config' });
    expect(resolve(none, 'deals.update')).toEqual({ mode: 'gated', source: 'agent_config' });
  });

  it('a run-time change of the whole agent is newer than the file', () => {
    const s = { state: state('observe', T1), operations: [] };
    expect(resolve(s, 'contacts.update')).toEqual({ mode: 'observe', source: 'agent_runtime' });
  });

  it('a newer per-operation row wins; an older one yields to the agent row', () => {
    expect(
      resolve({ state: state('observe', T1), operations: [op('deals.update', 'autonomous', T2)] }, 'deals.update'),
    ).toEqual({
      mode: 'autonomous',
      source: 'operation_runtime',
    });
    expect(
      resolve({ state: state('observe', T2), operations: [op('deals.update', 'autonomous', T1)] }, 'deals.update'),
    ).toEqual({
      mode: 'observe',
      source: 'agent_runtime',
    });
  });

  it('a pause covers every operation; a stale row (config edited) is ignored unless a breaker wrote it', () => {
    expect(
      resolve({ state: state('paused', T1), operations: [op('deals.update', 'autonomous', T2)] }, 'deals.update').mode,
    ).toBe('paused');
    const stale = op('deals.update', 'autonomous', T2, { configVersion: 'old' });
    expect(resolve({ state: undefined, operations: [stale] }, 'deals.update').mode).toBe('gated');
    const byBreaker = op('contacts.update', 'gated', T2, { configVersion: 'old', updatedBy: 'breaker:x' });
    expect(resolve({ state: undefined, operations: [byBreaker] }, 'contacts.update')).toEqual({
      mode: 'gated',
      source: 'operation_runtime',
    });
  });
});

describe('a breaker trip demotes autonomous agents to gated', () => {
  let t: TestGatehouse;
  const clock = createManualClock('2026-03-02T09:00:00.000Z');

  beforeAll(async () => {
    // lead-router is autonomous in the example; its own error breaker does not pause it.
    const text = exampleConfigText().replace(
      /breakers:\n/,
      `breakers:\n  - id: router-denials\n    metric: agent.denial_rate\n    window: 10m\n    trip_when: { above: 0.5, min_events: 5 }\n    scope: { agents: [lead-router] }\n    on_trip: { pause: false, notify: [{ role: responder }] }\n\n`,
    );
    t = await startTestGatehouse({ configText: text, clock });
  }, 60_000);
  afterAll(async () => t?.close());

  it('after the reset the agent is gated, its writes wait for a person, and the demotion is audited', async () => {
    const [contact] = (await allRecords(crmOf(t.gh), 'contacts')).filter(inUsCa);
    const write = (changes: Record<string, string>) =>
      t.inject('POST', '/v1/actions', t.keys['lead-router'], {
        connector: 'crm',
        object: 'contacts',
        operation: 'update',
        records: [{ id: contact!.id, changes }],
        reason: 'route',
      });
    expect((await write({ owner_id: 'u_1' })).json.status).toBe('executed');
    for (let i = 0; i < 8; i++) expect((await write({ lifecyclestage: 'customer' })).status).toBe(403);
    clock.advance(60_000);
    const deps = { ...t.gh.pipeline, breakers: t.config.breakers };
    const tripped = (await evaluateBreakers(deps)).find((e) => e.breakerId === 'router-denials');
    expect(tripped).toMatchObject({ to: 'open', tripped: true });

    const agents = await t.inject('GET', '/v1/agents', t.keys.maria);
    const router = agents.json.results.find((a: { id: string }) => a.id === 'lead-router');
    expect(router).toMatchObject({ mode: 'gated', mode_set_by: 'breaker:router-denials' });
    const audit = await t.inject('GET', '/v1/audit?limit=1000', t.keys.ana);
    const demoted = audit.json.results.find((e: { type: string }) => e.type === 'agent.demoted');
    expect(demoted.data).toMatchObject({
      agent_id: 'lead-router',
      to: 'gated',
      demoted: [{ operation: null, from: 'autonomous' }],
    });
    const inc = await t.inject('GET', '/v1/breakers/router-denials/incidents', t.keys.sam);
    expect(inc.json.results[0].evidence.demoted).toEqual(['lead-router']);

    await changeBreaker(deps, {
      breakerId: 'router-denials',
      event: 'reset',
      comment: 'fixed the prompt',
      actor: 'person:sam',
      roles: ['responder'],
    });
    const after = await write({ owner_id: 'u_2' });
    expect(after.json.status).toBe('pending_approval');
    expect(after.json.decision).toMatchObject({ mode: 'gated' });
  });
});
