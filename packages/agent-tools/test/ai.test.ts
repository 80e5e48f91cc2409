/**
 * The AI SDK's own tool-calling loop (`generateText` + `MockLanguageModelV3`) against a real
 * Gatehouse on loopback, through the SDK with each agent's own key: the task completes, a write
 * outside the grant comes back to the model as a denial and changes nothing, and a launch waits
 * for a person whatever the model claims.
 */
import { generateText, stepCountIs } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatehouseTools } from '../src/ai.js';
import { startLiveGatehouse, type LiveGatehouse } from './live.js';
import { leadRouterScript } from './scenarios.js';
import { scriptedAiModel, type ToolEvent } from './script.js';

let live: LiveGatehouse;
beforeAll(async () => {
  live = await startLiveGatehouse();
});
afterAll(async () => {
  await live?.close();
});

describe('gatehouseTools in generateText', () => {
  it('lead-router reassigns an in-scope contact; a lifecyclestage write comes back as a denial and nothing is written', async () => {
    const seen: ToolEvent[] = [];
    const script = leadRouterScript({ newOwnerFor: (o) => (o === 'u_7' ? 'u_8' : 'u_7') });
    const model = scriptedAiModel((h) => {
      seen.splice(0, seen.length, ...h);
      return script(h);
    });
    const tools = gatehouseTools(live.client('lead-router'), { connector: 'crm', objects: ['contacts'] });
    expect(Object.keys(tools).sort()).toEqual([
      'gatehouse_create_records',
      'gatehouse_get_record',
      'gatehouse_list_records',
      'gatehouse_run_operation',
      'gatehouse_search_records',
      'gatehouse_update_records',
      'gatehouse_wait_for_action',
    ]);

    const result = await generateText({ model, tools, stopWhen: stepCountIs(8), prompt: 'Route the new leads.' });

    expect(result.finishReason).toBe('stop');
    expect(result.text).toBe('routed: executed; lifecyclestage: denied (field_not_writable)');
    const contact = seen[0]!.output.results[0] as { id: string; properties: Record<string, string | null> };
    // Masked PII: the model never sees a raw address.
    expect(contact.properties.email).toMatch(/^\w\*\*\*@/);
    const [routed, staged] = seen.filter((e) => e.name === 'gatehouse_update_records').map((e) => e.output);
    expect(routed).toMatchObject({ status: 'executed', action_id: expect.stringMatching(/^act_/) });
    expect(staged).toMatchObject({
      status: 'denied',
      error: { code: 'field_not_writable', message: expect.stringContaining('lifecyclestage') },
      next_step: expect.stringContaining('nothing was written'),
    });

    const raw = await live.raw('contacts', contact.id);
    expect(raw?.owner_id).toBe(routed.changes[0].after.owner_id);
    expect(raw?.lifecyclestage).toBe(contact.properties.lifecyclestage);
    expect(raw?.lifecyclestage).not.toBe('customer');
  });

  it('a record outside the grant reads as not found, as a result the model can act on', async () => {
    const germans = await live.t.gh.connectors
      .get('crm')!
      .search('contacts', { filters: [{ property: 'country', operator: 'EQ', value: 'DE' }], limit: 1 });
    const de = germans.results[0]!;
    const model = scriptedAiModel((h) =>
      h.length === 0
        ? { calls: [{ name: 'gatehouse_get_record', input: { object: 'contacts', id: de.id } }] }
        : { text: JSON.stringify(h[0]!.output) },
    );
    const tools = gatehouseTools(live.client('lead-router'), { connector: 'crm', objects: ['contacts'] });
    const result = await generateText({ model, tools, stopWhen: stepCountIs(3), prompt: 'Read it.' });
    expect(JSON.parse(result.text)).toMatchObject({ status: 'error', error: { code: 'record_not_found' } });
  });

  it('campaign-runner: a launch is held for approval (a "confirmed" flag changes nothing) and executes after a person approves', async () => {
    const drafts = await live
      .client('campaign-runner')
      .records.list('crm', 'campaigns', { filter: 'status:EQ:draft', limit: 1 });
    const draft = drafts.results[0]!;
    let approvalId: string | undefined;
    const model = scriptedAiModel((h) => {
      if (h.length === 0) {
        return {
          calls: [
            {
              name: 'gatehouse_run_operation',
              input: {
                object: 'campaigns',
                operation: 'launch',
                target: draft.id,
                reason: 'Spring nurture',
                confirmed: true,
              },
            },
          ],
        };
      }
      if (h.length === 1) {
        approvalId = h[0]!.output.approval?.id;
        return {
          calls: [
            { name: 'gatehouse_wait_for_action', input: { action_id: h[0]!.output.action_id, timeout_seconds: 10 } },
          ],
        };
      }
      return { text: `${h[0]!.output.status} → ${h[1]!.output.status}` };
    });
    const tools = gatehouseTools(live.client('campaign-runner'), {
      connector: 'crm',
      objects: ['campaigns'],
      write: false,
    });

    // A person approves while the model waits, through the SDK's approvals sub-client (sam: an
    // approver who does not own campaign-runner).
    const sam = live.client('sam');
    const approver = (async () => {
      for (let i = 0; i < 100 && approvalId === undefined; i++) await new Promise((r) => setTimeout(r, 50));
      if (!approvalId) throw new Error('the model never saw an approval id');
      const pending = await sam.approvals.list({ status: 'pending' });
      expect(pending.results.map((a) => a.id)).toContain(approvalId);
      return sam.approvals.decide(approvalId, {
        decision: 'approve',
        comment: 'Looks right',
        checklist: { 'brand-tone': true, 'unsubscribe-link': true, 'segment-correct': true },
      });
    })().catch((e: unknown) => e);
    const result = await generateText({ model, tools, stopWhen: stepCountIs(4), prompt: 'Launch the draft.' });
    expect(await approver).toMatchObject({ result: 'approved', approval: { status: 'approved' } });
    expect(result.text).toBe('pending_approval → executed');
    expect((await live.raw('campaigns', draft.id))?.status).not.toBe('draft');
  });
});
