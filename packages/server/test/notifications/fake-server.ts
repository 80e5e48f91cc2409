/**
 * A loopback HTTP server for notification tests: records every request and answers with what
 * the test's handler says. Bounded (small bodies, short timeouts) and closed by the test.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface FakeAnswer {
  readonly status: number;
  readonly body?: string | object;
  readonly headers?: Record<string, string>;
}

export interface FakeServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly received: Received[];
  /** Replaces the handler; `n` counts requests from 1. */
  answer(handler: (req: Received, n: number) => FakeAnswer): void;
  close(): Promise<void>;
}

const MAX_BODY = 1_048_576;

export async function startFakeServer(
  handler: (req: Received, n: number) => FakeAnswer = () => ({ status: 200 }),
): Promise<FakeServer> {
  let current = handler;
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      const r: Received = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(r);
      const a = current(r, received.length);
      const body = a.body === undefined ? '' : typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
      res.writeHead(a.status, {
        'content-type': typeof a.body === 'object' ? 'application/json' : 'text/plain',
        ...a.headers,
      });
      res.end(body);
    });
  });
  server.requestTimeout = 5_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answer(h) {
      current = h;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
