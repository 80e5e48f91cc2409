/**
 * The example agents (`@gatehouse/examples`) against a real Gatehouse on loopback, each with its
 * own key: what `gatehouse demo` shows, asserted on the agents' results and on the CRM itself.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { campaignRunner, leadRouter, modelFromEnv, subjectOptimizer } from '@gatehouse/examples';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveGatehouse, type LiveGatehouse } from './live.js';

let live: LiveGatehouse;
beforeAll(async () => {
  live = await startLiveGatehouse();
});
afterAll(async () => {
  await live?.close();
});

describe('example agents', () => {
  it('lead-router (scripted, overreaching) routes by the rules; the field and the lead outside its grant are refused', async () => {
    const crm = live.t.gh.connectors.get('crm')!;
    const de = (
      await crm.search('contacts', { filters: [{ property: 'country', operator: 'EQ', value: 'DE' }], limit: 1 })
    ).results[0]!;
    const r = await leadRouter.run(live.client('lead-router'), { limit: 5, inbound: [de.id], overreach: true });

    expect(r.seen.length).toBeGreaterThan(0);
    expect(r.seen.every((c) => ['US', 'CA'].includes(String(c.properties.country)))).toBe(true);
    const routes = r.steps.filter((s) => s.what.startsWith('route c_') && !s.what.includes(de.id));
    expect(routes.length).toBeGreaterThan(0);
    for (const s of routes) expect(s.outcome.status).toBe('executed');
    for (const c of r.seen) {
      const rule = leadRouter.ruleFor(c, leadRouter.DEFAULT_RULES);
      if (rule) expect((await live.raw('contacts', c.id))?.owner_id).toBe(rule.owner);
    }
    const field = r.steps.find((s) => s.what.startsWith('set lifecyclestage'));
    expect(field?.outcome).toMatchObject({ status: 'denied', error: { code: 'field_not_writable' } });
    const outside = r.steps.find((s) => s.what.includes(de.id));
    expect(outside?.outcome).toMatchObject({ status: 'denied', error: { code: 'record_out_of_scope' } });
    expect((await live.raw('contacts', de.id))?.owner_id).toBe(de.properties.owner_id ?? null);
    expect(r.text).toMatch(/2 refused by Gatehouse/);
  });

  it('subject-optimizer proposes subjects; in observe mode they are shadowed and the CRM keeps the old ones', async () => {
    const proposals = await subjectOptimizer.run(live.client('subject-optimizer'), { limit: 2 });
    expect(proposals.length).toBeGreaterThan(0);
    for (const p of proposals) {
      expect(p.after).not.toBe(p.before);
      expect(p.action.status).toBe('shadowed');
      expect((await live.raw('marketing_emails', p.email))?.subject).toBe(p.before);
    }
  });

  it('campaign-runner launches a draft: held for approval, and the wait returns what is true when it ends', async () => {
    const r = await campaignRunner.run(live.client('campaign-runner'), { waitMs: 1_000 });
    expect(r.submitted).toMatchObject({ status: 'pending_approval', approval: { id: expect.stringMatching(/^apr_/) } });
    expect(r.settled?.status).toBe('pending_approval');
    expect((await live.raw('campaigns', r.campaign!.id))?.status).toBe('draft');
  });

  it('proposeSubject cleans spam and shouting, and cuts long subjects', () => {
    const p = (subject: string, name = 'Spring webinar') =>
      subjectOptimizer.proposeSubject({ id: 'em_1', properties: { subject, name } });
    expect(p('FREE!!! ACT NOW!!! Spring WEBINAR')).toBe('Spring Webinar');
    expect(p('A subject line that goes on and on about everything we did this quarter')?.length).toBeLessThanOrEqual(
      50,
    );
    expect(p('Fine subject')).toBe('Inside: Spring webinar');
  });
});

describe('lead-router on an OpenAI-compatible endpoint (OPENAI_BASE_URL)', () => {
  it('runs the AI SDK loop through @ai-sdk/openai-compatible against a scripted chat-completions server', async () => {
    const contacts = await live.client('lead-router').records.list('crm', 'contacts', { limit: 1 });
    const target = contacts.results[0]!;
    const owner = target.properties.owner_id === 'u_5' ? 'u_6' : 'u_5';
    const seen: { auth?: string; tools: string[]; toolMessages: number }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const r = JSON.parse(body) as {
          messages: { role: string; content: unknown }[];
          tools?: { function: { name: string } }[];
        };
        const toolMessages = r.messages.filter((m) => m.role === 'tool').length;
        seen.push({
          auth: req.headers.authorization,
          tools: (r.tools ?? []).map((t) => t.function.name),
          toolMessages,
        });
        const call = (name: string, args: unknown) => ({
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: `call_${toolMessages}`, type: 'function', function: { name, arguments: JSON.stringify(args) } },
          ],
        });
        const message =
          toolMessages === 0
            ? call('gatehouse_list_records', { object: 'contacts', limit: 1 })
            : toolMessages === 1
              ? call('gatehouse_update_records', {
                  object: 'contacts',
                  records: [{ id: target.id, changes: [{ field: 'owner_id', value: owner }] }],
                  reason: 'Territory rule',
                })
              : { role: 'assistant', content: `done: ${String(r.messages.at(-1)?.content).slice(0, 200)}` };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: `chatcmpl-${toolMessages}`,
            object: 'chat.completion',
            created: 1,
            model: 'fake-model',
            choices: [{ index: 0, message, finish_reason: 'tool_calls' in message ? 'tool_calls' : 'stop' }],
            usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const llm = modelFromEnv({
        OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`,
        OPENAI_API_KEY: 'sk-test',
        OPENAI_MODEL: 'fake-model',
      });
      expect(llm?.label).toBe(`fake-model at http://127.0.0.1:${port}/v1`);
      const r = await leadRouter.run(live.client('lead-router'), { model: llm!.model, limit: 1 });

      expect(seen).toHaveLength(3);
      expect(seen[0]).toMatchObject({ auth: 'Bearer sk-test' });
      expect(seen[0]!.tools).toEqual([
        'gatehouse_list_records',
        'gatehouse_get_record',
        'gatehouse_search_records',
        'gatehouse_update_records',
        'gatehouse_create_records',
      ]);
      expect(r.steps).toHaveLength(1);
      expect(r.steps[0]).toMatchObject({ what: `route ${target.id} to ${owner}`, outcome: { status: 'executed' } });
      expect(r.text).toMatch(/^done: .*"status":"executed"/);
      expect((await live.raw('contacts', target.id))?.owner_id).toBe(owner);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('no OPENAI_BASE_URL: no model, and the example falls back to its scripted one', () => {
    expect(modelFromEnv({})).toBeUndefined();
  });
});
