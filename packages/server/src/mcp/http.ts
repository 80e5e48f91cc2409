/**
 * MCP over streamable HTTP at /mcp, stateless: every POST carries the agent's Bearer key, is
 * authenticated like any /v1 request, and gets a fresh server and transport for that agent (no
 * session to hijack, any instance behind a load balancer can answer). GET (a server-initiated
 * stream) and DELETE (ending a session) have no meaning without sessions: 405.
 *
 * Errors before the MCP exchange (no key, a person's key, malformed JSON) answer the one JSON
 * error shape; from `reply.hijack()` on, the SDK's transport owns the response.
 */
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { GatehouseError } from '../core/errors.js';
import { agentFor } from '../core/pipeline/index.js';
import { requirePrincipal } from '../http/app.js';
import type { RouteContext } from '../http/context.js';
import { createMcpServer } from './server.js';

export const MCP_PATH = '/mcp';

const JsonRpcMessage = z
  .looseObject({
    jsonrpc: z.literal('2.0'),
    method: z.string().optional(),
    id: z.union([z.string(), z.number()]).optional(),
    params: z.record(z.string(), z.unknown()).optional(),
  })
  .describe('A JSON-RPC 2.0 message of the Model Context Protocol (initialize, tools/list, tools/call, …).');

export function registerMcpRoutes(app: FastifyInstance, ctx: RouteContext, opts: { version: string }): void {
  ctx.registry.add({
    method: 'POST',
    path: MCP_PATH,
    summary:
      "Model Context Protocol over streamable HTTP (stateless). Tools are generated from the calling agent's grants; send the agent key on every request. See docs/connect/mcp.md.",
    tag: 'mcp',
    auth: 'agent',
    body: JsonRpcMessage,
    responses: { 200: 'A JSON-RPC response', 202: 'A notification was accepted', 403: 'Not an agent key' },
  });
  for (const method of ['GET', 'DELETE'] as const) {
    ctx.registry.add({
      method,
      path: MCP_PATH,
      summary: 'Not supported: /mcp is stateless (no server-initiated streams, no sessions to end). Answers 405.',
      tag: 'mcp',
      auth: 'agent',
      responses: { 405: 'Method not allowed' },
    });
  }

  app.post(MCP_PATH, async (req, reply) => {
    const principal = await requirePrincipal(ctx.auth, req);
    if (principal.kind !== 'agent') {
      throw new GatehouseError(
        'forbidden',
        `/mcp takes an agent key (this is a ${principal.kind} key): the tools are generated from the agent's grants`,
      );
    }
    const agent = agentFor(ctx.deps, principal.id);
    const server = createMcpServer(
      { pipeline: ctx.deps, version: opts.version, logError: (e) => req.log.error({ err: e }, 'mcp tool failed') },
      agent,
    );
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    reply.hijack();
    // Hijacked replies skip Fastify's hooks: the request id header is set here.
    reply.raw.setHeader('x-request-id', req.id);
    reply.raw.on('close', () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req.raw, reply.raw, req.body);
    } catch (e) {
      req.log.error({ err: e }, 'mcp request failed');
      if (!reply.raw.headersSent) {
        reply.raw.writeHead(500, { 'content-type': 'application/json' });
        reply.raw.end(JSON.stringify({ error: { code: 'internal', message: 'internal error', request_id: req.id } }));
      }
    }
  });

  const notAllowed = async () => {
    throw new GatehouseError(
      'method_not_allowed',
      `${MCP_PATH} is stateless: POST JSON-RPC messages with the agent key; GET streams and DELETE of sessions are not supported`,
    );
  };
  app.get(MCP_PATH, async (_req, reply) => {
    void reply.header('allow', 'POST');
    return notAllowed();
  });
  app.delete(MCP_PATH, async (_req, reply) => {
    void reply.header('allow', 'POST');
    return notAllowed();
  });
}
