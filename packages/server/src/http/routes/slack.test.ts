import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { slackSignature } from '../../adapters/notifiers/signature.js';
import { createManualClock } from '../../core/clock.js';
import { GatehouseError } from '../../core/errors.js';
import { createHttpApp } from '../app.js';
import { createApiRegistry } from '../openapi.js';
import { registerSlackRoutes, slackUserMap, type SlackDecisionInput, type SlackReply } from './slack.js';

const SECRET = 'slack-signing-secret';
const NOW = '2026-01-05T09:00:00.000Z';
const nowS = Math.floor(Date.parse(NOW) / 1000);

function clickPayload(overrides: Record<string, unknown> = {}) {
  return {
    type: 'block_actions',
    user: { id: 'U_KIM', username: 'kim', team_id: 'T1' },
    response_url: 'https://hooks.slack.com/actions/T1/1/abc',
    actions: [{ type: 'button', action_id: 'gatehouse.approve', block_id: 'gatehouse.decision', value: 'apr_1' }],
    state: {
      values: {
        'gatehouse.checklist.0': {
          'gatehouse.checklist': { type: 'checkboxes', selected_options: [{ value: 'brand-tone', text: {} }] },
        },
      },
    },
    message: { ts: '1.2', blocks: [] },
    ...overrides,
  };
}

const form = (payload: unknown) =>
  `payload=${encodeURIComponent(typeof payload === 'string' ? payload : JSON.stringify(payload))}`;

function signed(body: string, opts: { ts?: number; secret?: string } = {}) {
  const ts = String(opts.ts ?? nowS);
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': ts,
    'x-slack-signature': slackSignature(opts.secret ?? SECRET, ts, body),
  };
}

describe('POST /v1/slack/interactions', () => {
  let app: FastifyInstance;
  let decided: SlackDecisionInput[];
  let responded: { url: string; reply: SlackReply }[];
  let decide: (input: SlackDecisionInput) => Promise<unknown>;
  const registry = createApiRegistry();

  beforeEach(async () => {
    decided = [];
    responded = [];
    decide = async () => ({ type: 'recorded' });
    app = createHttpApp({
      logger: false,
      bodyLimit: 1_048_576,
      registry,
      authenticate: async () => ({ error: 'key_invalid' }),
    });
    app.post('/v1/json-only', async () => ({ ok: true }));
    await registerSlackRoutes(app, {
      registry,
      signingSecret: SECRET,
      people: slackUserMap([{ id: 'kim', slack_user_id: 'U_KIM' }, { id: 'lee' }]),
      clock: createManualClock(NOW),
      decide: async (input) => {
        decided.push(input);
        return decide(input);
      },
      respond: async (url, reply) => {
        responded.push({ url, reply });
      },
    });
    await app.ready();
  });
  afterEach(async () => {
    await app.close();
  });

  const post = (body: string, headers: Record<string, string>) =>
    app.inject({ method: 'POST', url: '/v1/slack/interactions', payload: body, headers });

  it('decides exactly once, as the linked person, with the ticked checklist', async () => {
    const body = form(clickPayload());
    const res = await post(body, signed(body));
    expect(res.statusCode).toBe(200);
    expect(decided).toEqual([
      {
        approvalId: 'apr_1',
        personId: 'kim',
        decision: 'approve',
        checklist: { 'brand-tone': true },
        channel: 'slack',
        channelUser: 'U_KIM',
      },
    ]);
    expect(res.json()).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('approved apr_1') });
    expect(responded).toEqual([{ url: 'https://hooks.slack.com/actions/T1/1/abc', reply: res.json() }]);
  });

  it('maps Reject to a rejection', async () => {
    const body = form(clickPayload({ actions: [{ action_id: 'gatehouse.reject', value: 'apr_1' }] }));
    expect((await post(body, signed(body))).statusCode).toBe(200);
    expect(decided.map((d) => d.decision)).toEqual(['reject']);
  });

  it('refuses a forged signature with 401 in the error shape, deciding nothing', async () => {
    const body = form(clickPayload());
    const res = await post(body, signed(body, { secret: 'not-the-secret' }));
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: { code: 'unauthenticated', details: { reason: 'mismatch' } } });
    expect(res.json().error.request_id).toEqual(expect.any(String));
    expect(decided).toEqual([]);
  });

  it('refuses a body altered after signing', async () => {
    const body = form(clickPayload());
    const tampered = form(clickPayload({ actions: [{ action_id: 'gatehouse.approve', value: 'apr_2' }] }));
    const res = await post(tampered, signed(body));
    expect(res.statusCode).toBe(401);
    expect(decided).toEqual([]);
  });

  it('refuses replays older than five minutes and timestamps from the future', async () => {
    const body = form(clickPayload());
    for (const ts of [nowS - 301, nowS + 301]) {
      const res = await post(body, signed(body, { ts }));
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: { code: 'unauthenticated', details: { reason: 'stale' } } });
    }
    // Just inside the window still works.
    expect((await post(body, signed(body, { ts: nowS - 299 }))).statusCode).toBe(200);
    expect(decided).toHaveLength(1);
  });

  it('refuses requests without the Slack headers', async () => {
    const body = form(clickPayload());
    const res = await post(body, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: { details: { reason: 'missing' } } });
  });

  it('tells an unlinked Slack user so, and decides nothing', async () => {
    const body = form(clickPayload({ user: { id: 'U_STRANGER' } }));
    const res = await post(body, signed(body));
    expect(res.statusCode).toBe(200);
    expect(res.json().text).toContain('not linked to a Gatehouse person');
    expect(decided).toEqual([]);
  });

  it("answers the core's refusals as a message to the person, with a 200", async () => {
    decide = async () => {
      throw new GatehouseError('checklist_incomplete', 'tick unsubscribe-link before approving');
    };
    const body = form(clickPayload());
    const res = await post(body, signed(body));
    expect(res.statusCode).toBe(200);
    expect(res.json().text).toContain('checklist_incomplete');
    expect(res.json().text).toContain('tick unsubscribe-link before approving');
  });

  it('never shows an unexpected error or its stack to the person', async () => {
    decide = async () => {
      throw new Error('connect ECONNREFUSED /var/secret/db.sock');
    };
    const body = form(clickPayload());
    const res = await post(body, signed(body));
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('ECONNREFUSED');
    expect(res.body).not.toContain('secret');
    expect(res.json().text).toContain(res.headers['x-request-id']);
  });

  it('ignores checkbox ticks and link clicks', async () => {
    for (const action of [
      { action_id: 'gatehouse.checklist', type: 'checkboxes' },
      { action_id: 'gatehouse.open', type: 'button' },
    ]) {
      const body = form(clickPayload({ actions: [action] }));
      const res = await post(body, signed(body));
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe('');
    }
    expect(decided).toEqual([]);
  });

  it.each([
    ['no payload field', 'token=x', 'invalid_request'],
    ['payload that is not JSON', form('{not json'), 'invalid_json'],
    ['payload of the wrong shape', form({ type: 'block_actions', user: 'kim' }), 'invalid_request'],
    [
      'approve without an approval id',
      form(clickPayload({ actions: [{ action_id: 'gatehouse.approve' }] })),
      'invalid_request',
    ],
  ])('answers 400 for a signed %s, never 500', async (_name, body, code) => {
    const res = await post(body, signed(body));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code } });
    expect(decided).toEqual([]);
  });

  it('refuses JSON bodies, and keeps form bodies away from the rest of the API', async () => {
    const json = JSON.stringify(clickPayload());
    const res = await post(json, { ...signed(json), 'content-type': 'application/json' });
    expect(res.statusCode).toBe(415);
    const other = await app.inject({
      method: 'POST',
      url: '/v1/json-only',
      payload: 'a=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(other.statusCode).toBe(415);
    expect(other.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
  });

  it('is in the OpenAPI document', () => {
    const doc = registry.document({ version: 't' }) as { paths: Record<string, Record<string, unknown>> };
    expect(doc.paths['/v1/slack/interactions']?.post).toMatchObject({ security: [], tags: ['slack'] });
  });
});
