/**
 * `GET /v1/events` over a real socket: an action, a decision and a breaker change reach a
 * signed-in page within 2 s; Last-Event-ID replays what was missed; a second instance on the same
 * database sees the first one's changes (the tail is read from storage); streams end cleanly when
 * the server closes; auth is the same as every dashboard read.
 */
import { request, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventHub, describeEntry, formatEvent } from '../../src/http/routes/events.js';
import { GATED, startDashboardHarness, submitUpdate, type Browser, type DashboardHarness } from './harness.js';

interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
}

/** An open event stream: parsed events as they arrive, and a way to wait for one. */
function openStream(base: string, headers: Record<string, string>) {
  const events: SseEvent[] = [];
  const waiters: { pred: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }[] = [];
  let res: IncomingMessage | undefined;
  let ended = false;
  let buf = '';
  const ready = new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(`${base}/v1/events`, { headers: { accept: 'text/event-stream', ...headers } }, (r) => {
      res = r;
      r.setEncoding('utf8');
      r.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev: SseEvent = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':') || line === '') continue;
            const c = line.indexOf(':');
            const field = line.slice(0, c);
            const value = line.slice(c + 1).replace(/^ /, '');
            if (field === 'id' || field === 'event' || field === 'data') ev[field] = value;
          }
          if (!ev.event && !ev.data) continue;
          events.push(ev);
          for (const w of [...waiters]) {
            if (w.pred(ev)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve(ev);
            }
          }
        }
      });
      r.on('end', () => {
        ended = true;
      });
      resolve(r);
    });
    req.on('error', reject);
    req.end();
  });
  return {
    ready,
    events,
    get ended() {
      return ended;
    },
    /** Resolves with the first event (already received or coming) matching `pred`, or rejects after `ms`. */
    waitFor(pred: (e: SseEvent) => boolean, ms = 2_000): Promise<SseEvent> {
      const seen = events.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching event within ${ms} ms`)), ms);
        waiters.push({
          pred,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e);
          },
        });
      });
    },
    close() {
      res?.destroy();
    },
  };
}

const data = (e: SseEvent) => JSON.parse(e.data ?? '{}') as Record<string, unknown>;

let t: DashboardHarness;
let base: string;
let lee: Browser;
let sam: Browser;

beforeAll(async () => {
  t = await startDashboardHarness();
  base = await t.gh.listen(0);
  lee = await t.signIn('lee');
  sam = await t.signIn('sam');
}, 60_000);

afterAll(() => t?.close());

describe('GET /v1/events', () => {
  it('delivers an action, its approval and a breaker change within 2 s, without payloads', async () => {
    const s = openStream(base, { cookie: lee.cookie });
    const res = await s.ready;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    try {
      const started = Date.now();
      const r = await submitUpdate(t, GATED, t.nextContact().id, 'u_sse');
      expect(r.status, r.body).toBe(202);
      const action = await s.waitFor((e) => e.event === 'action' && data(e).action_id === r.json.id);
      const latency = Date.now() - started;
      console.log(`action → SSE event: ${latency} ms (poll every 400 ms)`);
      expect(latency).toBeLessThan(2_000);
      expect(Number(action.id)).toBe(data(action).seq);
      expect(data(action)).toEqual({
        seq: expect.any(Number),
        type: 'action.decided',
        agent: GATED,
        action_id: r.json.id,
        approval_id: r.json.approval.id,
        breaker_id: null,
        at: expect.any(String),
      });

      const decided = await t.page(sam, 'POST', `/v1/approvals/${r.json.approval.id}/decision`, {
        decision: 'reject',
        comment: 'not this one',
      });
      expect(decided.status, decided.body).toBe(200);
      const approval = await s.waitFor((e) => e.event === 'approval' && data(e).type === 'approval.decided');
      // Approval entries name only the action; the agent is looked up.
      expect(data(approval)).toMatchObject({ approval_id: r.json.approval.id, agent: GATED });
      expect(approval.data).not.toContain('not this one');

      const forced = await t.page(sam, 'POST', '/v1/breakers/agent-errors/force-open', { comment: 'drill' });
      expect(forced.status, forced.body).toBe(200);
      const breaker = await s.waitFor((e) => e.event === 'breaker');
      expect(data(breaker)).toMatchObject({ breaker_id: 'agent-errors', type: 'breaker.forced_open' });
      await t.page(sam, 'POST', '/v1/breakers/agent-errors/enable', { comment: 'drill over' });

      // Ids increase with the audit seq.
      const ids = s.events.map((e) => Number(e.id));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    } finally {
      s.close();
    }
  });

  it('replays what a reconnecting page missed (Last-Event-ID)', async () => {
    const head = (await t.gh.storage.audit.head())!.seq;
    const r = await submitUpdate(t, 'lead-router', t.nextContact().id, 'u_missed');
    expect(r.status, r.body).toBe(200);
    const s = openStream(base, { cookie: lee.cookie, 'last-event-id': String(head) });
    try {
      await s.ready;
      const missed = await s.waitFor((e) => data(e).action_id === r.json.id);
      expect(Number(missed.id)).toBeGreaterThan(head);
      expect(Number(s.events[0]!.id)).toBe(head + 1);
    } finally {
      s.close();
    }
  });

  it('answers resync for an id the log never reached, then streams from the tail', async () => {
    const s = openStream(base, { cookie: lee.cookie, 'last-event-id': '99999999' });
    try {
      await s.ready;
      const resync = await s.waitFor((e) => e.event === 'resync');
      expect(data(resync)).toMatchObject({ from: 99999999 });
      const r = await submitUpdate(t, 'lead-router', t.nextContact().id, 'u_after_resync');
      await s.waitFor((e) => data(e).action_id === r.json.id);
    } finally {
      s.close();
    }
  });

  it('refuses callers without a session or person key, and agents', async () => {
    for (const headers of [{}, { authorization: `Bearer ${t.keys['lead-router']}` }] as Record<string, string>[]) {
      const s = openStream(base, headers);
      const res = await s.ready;
      expect(res.statusCode).toBeGreaterThanOrEqual(401);
      expect(res.statusCode).toBeLessThanOrEqual(403);
      s.close();
    }
    const bearer = openStream(base, { authorization: `Bearer ${t.keys.ana}` });
    expect((await bearer.ready).statusCode).toBe(200);
    bearer.close();
  });

  it('sees changes made by another instance on the same database', async () => {
    const hub = createEventHub(t.gh.storage, { pollMs: 50 });
    const got: string[] = [];
    const remove = await hub.subscribe({ send: (c) => got.push(c), end: () => undefined });
    try {
      // Written straight to storage, as another process would.
      const r = await submitUpdate(t, 'lead-router', t.nextContact().id, 'u_other');
      const deadline = Date.now() + 2_000;
      while (!got.join('').includes(r.json.id as string) && Date.now() < deadline)
        await new Promise((ok) => setTimeout(ok, 25));
      expect(got.join('')).toContain(r.json.id);
    } finally {
      remove();
      await hub.close();
    }
  });

  it('formats each entry as one SSE event with the audit seq as id', () => {
    const ev = describeEntry(
      {
        seq: 42,
        at: '2026-01-05T09:00:00.000Z',
        type: 'breaker.tripped',
        actor: 'system',
        subject: 'ctr-drop/agent:subject-optimizer',
        data: { breaker_id: 'ctr-drop', scope_key: 'agent:subject-optimizer', secret: 'x' },
        prevHash: 'a',
        hash: 'b',
      },
      new Map(),
    );
    expect(formatEvent(ev)).toBe(
      'id: 42\nevent: breaker\ndata: {"seq":42,"type":"breaker.tripped","agent":"subject-optimizer","action_id":null,' +
        '"approval_id":null,"breaker_id":"ctr-drop","at":"2026-01-05T09:00:00.000Z"}\n\n',
    );
  });

  it('ends open streams cleanly when the server closes', async () => {
    const s = openStream(base, { cookie: lee.cookie });
    await s.ready;
    await t.gh.close();
    const deadline = Date.now() + 2_000;
    while (!s.ended && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 20));
    expect(s.ended).toBe(true);
  });
});
