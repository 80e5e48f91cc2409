/**
 * The SPA fallback with a built dashboard: files are served as files, browser routes get
 * index.html, and API paths, missing files and non-HTML callers keep the JSON 404.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../src/http/app.js';
import { createApiRegistry } from '../../src/http/openapi.js';
import { registerSystemRoutes } from '../../src/http/routes/system.js';

const INDEX =
  '<!doctype html><html lang="en"><head><title>Gatehouse</title></head><body><div id="root"></div></body></html>';
let dir: string;
let app: FastifyInstance;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gh-dist-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
  const registry = createApiRegistry();
  app = createHttpApp({
    logger: false,
    bodyLimit: 1024,
    registry,
    authenticate: () => Promise.resolve({ error: 'key_invalid' as const }),
  });
  await registerSystemRoutes(app, {
    registry,
    version: 'test',
    dashboardDir: dir,
    ready: () => Promise.resolve({ ok: true, checks: {} }),
  });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (url: string, accept = 'text/html,*/*') => app.inject({ method: 'GET', url, headers: { accept } });

describe('SPA fallback with a built dashboard', () => {
  it('serves index.html at / and for browser routes, files as files', async () => {
    for (const url of ['/', '/approvals', '/breakers/ctr-drop', '/agents/lead-router?tab=grants']) {
      const r = await get(url);
      expect(r.statusCode, url).toBe(200);
      expect(r.body, url).toBe(INDEX);
      expect(r.headers['content-type'], url).toContain('text/html');
    }
    const js = await get('/assets/app.js', '*/*');
    expect(js.statusCode).toBe(200);
    expect(js.body).toBe('console.log(1)');
  });

  it('keeps the JSON 404 for API paths, missing files and callers that do not want HTML', async () => {
    for (const [url, accept] of [
      ['/v1/nothing', 'text/html'],
      ['/assets/missing.js', 'text/html'],
      ['/approvals', 'application/json'],
    ] as const) {
      const r = await get(url, accept);
      expect(r.statusCode, url).toBe(404);
      expect(r.json().error.code, url).toBe('route_not_found');
    }
    const post = await app.inject({ method: 'POST', url: '/approvals', headers: { accept: 'text/html' } });
    expect(post.statusCode).toBe(404);
  });
});
