/**
 * The SDK against a real `node:http` server on loopback: real sockets, real fetch, real
 * connection loss. The server listens on an ephemeral port and is closed (with its open
 * connections) after the suite, and is unref'd so it can never hold the process open.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGatehouseClient, GatehouseApiError, type GatehouseClient } from './index.js';
import { fakeAction } from './testing.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server;
let baseUrl: string;
let handler: Handler;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => handler(req, res, body));
  });
  server.unref();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  handler = (_req, res) =>
    send(res, 500, { error: { code: 'internal', message: 'no handler', request_id: 'req_none' } });
});

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const client = (extra: Partial<Parameters<typeof createGatehouseClient>[0]> = {}): GatehouseClient =>
  createGatehouseClient({
    baseUrl,
    key: 'gh_agent_test',
    retries: { attempts: 3, baseDelayMs: 5 },
    timeoutMs: 5_000,
    ...extra,
  });

const update = {
  connector: 'crm',
  object: 'contacts',
  operation: 'update',
  records: [{ id: 'c_123', changes: { owner_id: 'u_7' } }],
  reason: 'Route to the EMEA rep',
} as const;

describe('against a real HTTP server', () => {
  it('a retry after a destroyed connection reuses the idempotency key, so only one action exists', async () => {
    const seenKeys: string[] = [];
    const actionsByKey = new Map<string, { id: string }>();
    handler = (req, res, body) => {
      const key = (JSON.parse(body) as { idempotency_key: string }).idempotency_key;
      seenKeys.push(key);
      // The server acts the first time, then the connection dies before the answer arrives.
      const action = actionsByKey.get(key) ?? { id: `act_${actionsByKey.size + 1}` };
      actionsByKey.set(key, action);
      if (seenKeys.length === 1) {
        req.socket.destroy();
        return;
      }
      send(res, 200, { ...fakeAction('executed'), id: action.id, idempotency_key: key });
    };
    const view = await client().actions.submit(update);
    expect(seenKeys).toHaveLength(2);
    expect(seenKeys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(seenKeys[1]).toBe(seenKeys[0]);
    expect(actionsByKey.size).toBe(1);
    expect([view.id, view.status]).toEqual(['act_1', 'executed']);
  });

  it('403 denied is a result carrying error.code, not a thrown error', async () => {
    handler = (_req, res) =>
      send(
        res,
        403,
        fakeAction('denied', {
          error: { code: 'field_not_writable', message: 'lead-router may not write contacts.lifecyclestage' },
        }),
      );
    const view = await client().actions.submit(update);
    expect(view.status).toBe('denied');
    expect(view.error?.code).toBe('field_not_writable');
  });

  it('wait() long-polls with ?wait=N until the action is executed', async () => {
    const polls: string[] = [];
    handler = (req, res) => {
      const url = new URL(req.url ?? '/', baseUrl);
      polls.push(url.search);
      if (!url.searchParams.has('wait')) return send(res, 200, fakeAction('pending_approval', { id: 'act_7' }));
      // The server holds the long-poll until a human approves, then answers with the change.
      setTimeout(
        () => send(res, 200, fakeAction('executed', { id: 'act_7', updated_at: new Date().toISOString() })),
        150,
      );
    };
    const started = Date.now();
    const view = await client().actions.wait('act_7', { pollSeconds: 2, timeoutMs: 10_000 });
    expect(view.status).toBe('executed');
    expect(polls).toEqual(['', '?wait=2']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('errors carry the server code, status and request id', async () => {
    handler = (_req, res) =>
      send(
        res,
        404,
        { error: { code: 'record_not_found', message: 'no record c_404', request_id: 'req_abc' } },
        { 'x-request-id': 'req_abc' },
      );
    const err = await client()
      .records.get('crm', 'contacts', 'c_404')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatehouseApiError);
    expect(err).toMatchObject({
      code: 'record_not_found',
      status: 404,
      requestId: 'req_abc',
      message: 'no record c_404',
    });
  });

  it('a non-JSON answer is bad_response naming the status, with the request id header', async () => {
    handler = (_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain', 'x-request-id': 'req_plain' });
      res.end('Internal Server Error');
    };
    const err = await client()
      .agents.list()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'bad_response', status: 500, requestId: 'req_plain' });
    expect((err as Error).message).toContain('HTTP 500');
  });

  it('a server that never answers times out after the bounded attempts', async () => {
    let requests = 0;
    handler = () => {
      requests += 1; // never answers; afterAll closes the connection
    };
    const err = await client({ timeoutMs: 100, retries: { attempts: 2, baseDelayMs: 1 } })
      .records.list('crm', 'contacts')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'timeout' });
    expect(requests).toBe(2);
  });

  it('an unreachable server is network_error after the retries', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const gh = createGatehouseClient({
      baseUrl: `http://127.0.0.1:${port}`,
      key: 'k',
      retries: { attempts: 2, baseDelayMs: 1 },
    });
    const err = await gh.approvals.decide('apr_1', { decision: 'approve', comment: 'ok' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'network_error' });
    // A refused connection never reached a server, so even a decision is retried.
    expect((err as GatehouseApiError).details).toMatchObject({ attempts: 2 });
  });
});
