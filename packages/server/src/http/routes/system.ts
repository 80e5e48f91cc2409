import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { GatehouseError } from '../../core/errors.js';
import type { ApiRegistry } from '../openapi.js';

export interface ReadyReport {
  ok: boolean;
  checks: Record<string, { ok: boolean; detail: string }>;
}

export interface SystemRouteDeps {
  registry: ApiRegistry;
  version: string;
  publicUrl?: string;
  ready(): Promise<ReadyReport>;
  /** Built dashboard files (packages/dashboard/dist); absent in a bare checkout. */
  dashboardDir?: string;
}

/** Liveness, readiness, the OpenAPI document and the dashboard's static files. */
export async function registerSystemRoutes(app: FastifyInstance, deps: SystemRouteDeps): Promise<void> {
  deps.registry.add({
    method: 'GET',
    path: '/healthz',
    summary: 'Liveness: the process answers.',
    tag: 'system',
    auth: 'none',
  });
  app.get('/healthz', async () => ({ ok: true, version: deps.version }));

  deps.registry.add({
    method: 'GET',
    path: '/readyz',
    summary: 'Readiness: storage and connectors answer.',
    tag: 'system',
    auth: 'none',
    responses: { 200: 'Ready', 503: 'Not ready; the body says which check failed' },
  });
  app.get('/readyz', async (_req, reply) => {
    const report = await deps.ready();
    return reply.status(report.ok ? 200 : 503).send(report);
  });

  deps.registry.add({
    method: 'GET',
    path: '/v1/openapi.json',
    summary: 'This API, as OpenAPI 3.1.',
    tag: 'system',
    auth: 'none',
  });
  let doc: Record<string, unknown> | undefined;
  app.get('/v1/openapi.json', async () => {
    doc ??= deps.registry.document({ version: deps.version, ...(deps.publicUrl ? { serverUrl: deps.publicUrl } : {}) });
    return doc;
  });

  // The dashboard's pages may not be framed (clickjacking of the decision buttons) or sniffed.
  // Callback style, not async: every response passes here, and a promise per response costs more than the check.
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
      void reply.header('x-frame-options', 'DENY');
      void reply.header('content-security-policy', "frame-ancestors 'none'");
      void reply.header('x-content-type-options', 'nosniff');
      void reply.header('referrer-policy', 'same-origin');
    }
    done(null, payload);
  });

  const built = deps.dashboardDir !== undefined && existsSync(join(deps.dashboardDir, 'index.html'));
  if (built) {
    await app.register(fastifyStatic, {
      root: deps.dashboardDir!,
      prefix: '/',
      index: ['index.html'],
      wildcard: false,
    });
  } else {
    app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(NOT_BUILT_PAGE));
  }

  // SPA fallback: the dashboard routes in the browser (/approvals/apr_1, /breakers/ctr-drop…), so a
  // reload or a shared link of such a path gets index.html. API paths, missing files (a name with
  // an extension) and callers that do not want HTML keep the JSON 404.
  app.get('/*', async (req, reply) => {
    const path = req.url.split('?')[0] ?? '/';
    const last = path.slice(path.lastIndexOf('/') + 1);
    const wantsHtml = (req.headers.accept ?? '').includes('text/html');
    if (path === '/v1' || path.startsWith('/v1/') || last.includes('.') || !wantsHtml) {
      throw new GatehouseError('route_not_found', `no route ${req.method} ${path}`);
    }
    void reply.header('cache-control', 'no-cache');
    return built ? reply.sendFile('index.html') : reply.type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
  });
}

const NOT_BUILT_PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Gatehouse</title></head><body><main><h1>Gatehouse</h1>' +
  '<p>The dashboard is not built in this checkout (run <code>npm run build</code>). The API is described at ' +
  '<a href="/v1/openapi.json">/v1/openapi.json</a>; health at <a href="/healthz">/healthz</a>.</p></main></body></html>';
