/**
 * `GET /v1/events`: live updates for the dashboard as Server-Sent Events.
 *
 * Every change that matters is an audit entry, and the audit log lives in the shared database,
 * so tailing it sees what every instance did: one poll loop per process (not per client) reads
 * the entries after the last one it dispatched, every {@link POLL_MS}, while anyone listens, and
 * hands each subscriber the entries after its own cursor. A client that reconnects with
 * `Last-Event-ID` (the audit seq) gets what it missed, up to {@link CATCH_UP_LIMIT} entries; a
 * longer gap answers one `resync` event (reload everything) and continues from the tail.
 *
 * Events carry ids and types only, never payloads: `id: <seq>`, `event: action|approval|breaker|
 * agent|audit`, `data: {"seq","type","agent","action_id","approval_id","breaker_id","at"}`.
 * A comment line every {@link HEARTBEAT_MS} keeps proxies from closing an idle stream. On server
 * shutdown every stream is ended (preClose), so clients see a clean end and reconnect elsewhere.
 */
import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { GatehouseError } from '../../core/errors.js';
import type { AuditEntry, Storage } from '../../core/ports/storage.js';
import { requirePerson, type RouteContext } from '../context.js';
import { parseInput } from '../validate.js';

export const POLL_MS = 400;
export const HEARTBEAT_MS = 15_000;
const PAGE = 500;
export const CATCH_UP_LIMIT = 2_000;
/** Subscribers one process serves at most; more answer 503 so a leak cannot exhaust the process. */
const MAX_SUBSCRIBERS = 1_000;
/** Action → agent, for approval events (whose entries name the action only). */
const AGENT_CACHE = 10_000;

const READ_ROLES = ['admin', 'approver', 'auditor', 'responder'];

const EventsQuery = z.strictObject({
  /** For clients that cannot set the Last-Event-ID header on their first connection. */
  last_event_id: z.coerce.number().int().min(0).optional(),
});

export type EventKind = 'action' | 'approval' | 'breaker' | 'agent' | 'audit';

export interface DashboardEvent {
  readonly seq: number;
  readonly kind: EventKind;
  readonly type: string;
  readonly agent: string | null;
  readonly action_id: string | null;
  readonly approval_id: string | null;
  readonly breaker_id: string | null;
  readonly at: string;
}

export function kindOf(type: string): EventKind {
  const family = type.slice(0, type.indexOf('.'));
  return family === 'action' || family === 'approval' || family === 'breaker' || family === 'agent' ? family : 'audit';
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The ids an entry is about, read from where the pipeline writes them (never the payload itself). */
export function describeEntry(e: AuditEntry, agentOfAction: ReadonlyMap<string, string>): DashboardEvent {
  const d = e.data;
  const kind = kindOf(e.type);
  const actionId = str(d.action_id) ?? (kind === 'action' ? str(e.subject) : null);
  const approvalId = str(d.approval_id) ?? (kind === 'approval' ? str(e.subject) : null);
  const scope = str(d.scope_key);
  const agent =
    (e.actor.startsWith('agent:') ? e.actor.slice('agent:'.length) : null) ??
    str(d.agent_id) ??
    (scope?.startsWith('agent:') ? scope.slice('agent:'.length) : null) ??
    (actionId ? (agentOfAction.get(actionId) ?? null) : null);
  return {
    seq: e.seq,
    kind,
    type: e.type,
    agent,
    action_id: actionId,
    approval_id: approvalId,
    breaker_id: str(d.breaker_id),
    at: e.at,
  };
}

export function formatEvent(ev: DashboardEvent): string {
  const { kind, ...data } = ev;
  return `id: ${ev.seq}\nevent: ${kind}\ndata: ${JSON.stringify(data)}\n\n`;
}

interface Subscriber {
  cursor: number;
  /** Entries that arrived while catching up, sent after it. */
  pending: DashboardEvent[] | undefined;
  send(chunk: string): void;
  end(): void;
}

/** The one poll loop of this process and its subscribers. */
export function createEventHub(storage: Pick<Storage, 'audit' | 'actions'>, opts: { pollMs?: number } = {}) {
  const pollMs = opts.pollMs ?? POLL_MS;
  const subscribers = new Set<Subscriber>();
  const agentOfAction = new Map<string, string>();
  let tail: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  let closed = false;

  async function describeAll(entries: readonly AuditEntry[]): Promise<DashboardEvent[]> {
    // Approval entries name their action; the agent comes from the action (cached, bounded).
    for (const e of entries) {
      const id = str(e.data.action_id);
      if (!id || agentOfAction.has(id)) continue;
      if (e.actor.startsWith('agent:')) agentOfAction.set(id, e.actor.slice('agent:'.length));
      else {
        const row = await storage.actions.get(id);
        if (row) agentOfAction.set(id, row.agentId);
      }
      if (agentOfAction.size > AGENT_CACHE) agentOfAction.delete(agentOfAction.keys().next().value!);
    }
    return entries.map((e) => describeEntry(e, agentOfAction));
  }

  function deliver(sub: Subscriber, events: readonly DashboardEvent[]): void {
    if (sub.pending) {
      sub.pending.push(...events);
      return;
    }
    let out = '';
    for (const ev of events) {
      if (ev.seq <= sub.cursor) continue;
      out += formatEvent(ev);
      sub.cursor = ev.seq;
    }
    if (out) sub.send(out);
  }

  async function pollOnce(): Promise<void> {
    if (tail === undefined) tail = (await storage.audit.head())?.seq ?? 0;
    for (;;) {
      const entries = await storage.audit.list({ afterSeq: tail, limit: PAGE });
      if (entries.length === 0) return;
      const events = await describeAll(entries);
      tail = entries[entries.length - 1]!.seq;
      for (const sub of subscribers) deliver(sub, events);
      if (entries.length < PAGE) return;
    }
  }

  function schedule(): void {
    if (closed || timer || subscribers.size === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      polling = pollOnce()
        .catch(() => undefined) // storage hiccup: the next tick retries from the same tail
        .finally(() => {
          polling = undefined;
          schedule();
        });
    }, pollMs);
    timer.unref();
  }

  return {
    get size() {
      return subscribers.size;
    },
    /**
     * Adds a subscriber from `lastEventId` (what it already has) or from the current tail.
     * Answers the function that removes it.
     */
    async subscribe(out: { send(chunk: string): void; end(): void }, lastEventId?: number): Promise<() => void> {
      if (closed) throw new Error('the event hub is closed');
      if (tail === undefined) tail = (await storage.audit.head())?.seq ?? 0;
      if (lastEventId !== undefined && lastEventId > tail && lastEventId > ((await storage.audit.head())?.seq ?? 0)) {
        // An id this log never reached (another database, a restored backup): start over.
        out.send(`event: resync\ndata: ${JSON.stringify({ from: lastEventId, to: tail })}\n\n`);
        lastEventId = undefined;
      }
      const sub: Subscriber = { cursor: lastEventId ?? tail, pending: undefined, ...out };
      const remove = () => {
        subscribers.delete(sub);
        if (subscribers.size === 0 && timer) {
          clearTimeout(timer);
          timer = undefined;
        }
      };
      if (lastEventId !== undefined && lastEventId < tail) {
        sub.pending = [];
        subscribers.add(sub);
        const caughtUp: DashboardEvent[] = [];
        let after = lastEventId;
        while (caughtUp.length < CATCH_UP_LIMIT) {
          const page = await storage.audit.list({ afterSeq: after, limit: PAGE });
          caughtUp.push(...(await describeAll(page)));
          if (page.length < PAGE) break;
          after = page[page.length - 1]!.seq;
        }
        const pending = sub.pending;
        sub.pending = undefined;
        if (caughtUp.length >= CATCH_UP_LIMIT) {
          // Too far behind to replay: tell the page to reload, then go on from the tail.
          sub.cursor = tail;
          sub.send(`event: resync\ndata: ${JSON.stringify({ from: lastEventId, to: tail })}\n\n`);
          deliver(sub, pending);
        } else {
          deliver(sub, [...caughtUp, ...pending]);
        }
      } else {
        subscribers.add(sub);
      }
      schedule();
      return remove;
    },
    /** Ends every stream and stops polling. */
    async close(): Promise<void> {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await polling;
      for (const sub of subscribers) sub.end();
      subscribers.clear();
    },
    /** Test hook: one poll now. */
    pollOnce,
  };
}
export type EventHub = ReturnType<typeof createEventHub>;

function writeTo(res: ServerResponse) {
  return {
    send(chunk: string) {
      if (!res.destroyed && !res.writableEnded) res.write(chunk);
    },
    end() {
      if (!res.destroyed && !res.writableEnded) res.end();
    },
  };
}

export function registerEventRoutes(app: FastifyInstance, ctx: RouteContext, opts: { pollMs?: number } = {}): EventHub {
  const hub = createEventHub(ctx.deps.storage, opts);
  // Before the server stops accepting: end the streams so clients see a clean end.
  app.addHook('preClose', async () => {
    await hub.close();
  });

  ctx.registry.add({
    method: 'GET',
    path: '/v1/events',
    summary:
      'Live updates as Server-Sent Events: one event per audit entry (id = audit seq; event = action, approval, breaker, agent or audit); Last-Event-ID resumes.',
    tag: 'dashboard',
    auth: 'person',
    query: EventsQuery,
    responses: { 200: 'text/event-stream' },
  });
  app.get('/v1/events', async (req, reply) => {
    await requirePerson(ctx, req, READ_ROLES);
    const q = parseInput(EventsQuery, req.query, 'query');
    const header = req.headers['last-event-id'];
    let lastEventId = q.last_event_id;
    if (typeof header === 'string' && header.trim() !== '') {
      const n = Number(header.trim());
      if (Number.isInteger(n) && n >= 0) lastEventId = n;
    }
    if (hub.size >= MAX_SUBSCRIBERS) {
      throw new GatehouseError('not_ready', 'too many live event streams on this instance; retry shortly');
    }

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': req.id,
    });
    res.flushHeaders();
    const out = writeTo(res);
    out.send(`retry: 2000\n: connected\n\n`);
    const heartbeat = setInterval(() => out.send(': heartbeat\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    let remove: (() => void) | undefined;
    let stopped = false;
    const stop = () => {
      stopped = true;
      clearInterval(heartbeat);
      remove?.();
    };
    // The response closes when the client goes away (or we end it): stop its timer and cursor.
    res.on('close', stop);
    try {
      remove = await hub.subscribe(
        {
          send: (chunk) => out.send(chunk),
          end: () => {
            clearInterval(heartbeat);
            out.end();
          },
        },
        lastEventId,
      );
      // The client may have gone while we subscribed: `close` already fired, so remove here.
      if (stopped || res.destroyed) stop();
    } catch (e) {
      req.log.error({ err: e }, 'event stream failed to start');
      stop();
      out.end();
    }
  });
  return hub;
}
