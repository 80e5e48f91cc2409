/**
 * The OpenAI Agents SDK's own loop (`run(agent, input)`) driven by a scripted `Model`, against a
 * real Gatehouse on loopback through the SDK: the task completes, a write outside the grant
 * comes back to the model as a denial (the run goes on) and nothing is written.
 */
import { Agent, run, setTracingDisabled } from '@openai/agents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatehouseAgentTools } from '../src/openai-agents.js';
import { startLiveGatehouse, type LiveGatehouse } from './live.js';
import { leadRouterScript } from './scenarios.js';
import { ScriptedAgentsModel, type ToolEvent } from './script.js';

// No trace export: the run must not reach for the network.
setTracingDisabled(true);

let live: LiveGatehouse;
beforeAll(async () => {
  live = await startLiveGatehouse();
});
afterAll(async () => {
  await live?.close();
});

describe('gatehouseAgentTools in run()', () => {
  it('lead-router reassigns an in-scope contact; a lifecyclestage write comes back as a denial and nothing is written', async () => {
    const seen: ToolEvent[] = [];
    const script = leadRouterScript({ newOwnerFor: (o) => (o === 'u_3' ? 'u_4' : 'u_3') });
    const model = new ScriptedAgentsModel((h) => {
      seen.splice(0, seen.length, ...h);
      return script(h);
    });
    const agent = new Agent({
      name: 'lead-router',
      instructions: 'Route leads by territory.',
      model,
      tools: gatehouseAgentTools(live.client('lead-router'), {
        connector: 'crm',
        objects: ['contacts'],
        operations: [],
      }),
    });

    const result = await run(agent, 'Route the new leads.', { maxTurns: 8 });

    expect(result.finalOutput).toBe('routed: executed; lifecyclestage: denied (field_not_writable)');
    // The model was offered strict schemas, with only the tools asked for.
    const offered = model.requests[0]!.tools.map((t) => (t.type === 'function' ? t.name : t.type));
    expect(offered).not.toContain('gatehouse_run_operation');
    expect(model.requests[0]!.tools.every((t) => t.type !== 'function' || t.strict)).toBe(true);

    const contact = seen[0]!.output.results[0] as { id: string; properties: Record<string, string | null> };
    const [routed, staged] = seen.filter((e) => e.name === 'gatehouse_update_records').map((e) => e.output);
    expect(routed).toMatchObject({ status: 'executed' });
    expect(staged).toMatchObject({ status: 'denied', error: { code: 'field_not_writable' } });

    const raw = await live.raw('contacts', contact.id);
    expect(raw?.owner_id).toBe(routed.changes[0].after.owner_id);
    expect(raw?.lifecyclestage).toBe(contact.properties.lifecyclestage);
  });

  it('subject-optimizer (observe mode): the rewrite is shadowed, reported as a normal result, and the subject is unchanged', async () => {
    const model = new ScriptedAgentsModel((h) => {
      if (h.length === 0)
        return { calls: [{ name: 'gatehouse_list_records', input: { object: 'marketing_emails', limit: 1 } }] };
      if (h.length === 1) {
        const email = h[0]!.output.results[0];
        return {
          calls: [
            {
              name: 'gatehouse_update_records',
              input: {
                object: 'marketing_emails',
                records: [{ id: email.id, changes: [{ field: 'subject', value: 'Your spring playbook is here' }] }],
                reason: 'Shorter subjects lift CTR',
              },
            },
          ],
        };
      }
      return { text: `${h[1]!.output.status}: ${h[1]!.output.next_step}` };
    });
    const agent = new Agent({
      name: 'subject-optimizer',
      model,
      tools: gatehouseAgentTools(live.client('subject-optimizer'), { connector: 'crm', operations: [] }),
    });
    const result = await run(agent, 'Improve a subject line.', { maxTurns: 5 });
    expect(result.finalOutput).toMatch(/^shadowed: .*NOT written/);
    const email = (await live.client('subject-optimizer').records.list('crm', 'marketing_emails', { limit: 1 }))
      .results[0]!;
    expect(email.properties.subject).not.toBe('Your spring playbook is here');
    expect((await live.raw('marketing_emails', email.id))?.subject).toBe(email.properties.subject);
  });
});
