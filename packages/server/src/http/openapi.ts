/**
 * The OpenAPI document is generated from the same zod schemas that validate requests, so the
 * published contract cannot drift from what the server enforces.
 */
import { z } from 'zod';
import { ERROR_DESCRIPTIONS, ERROR_STATUS } from './errors.js';

export interface RouteDoc {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  path: string; // Fastify style, e.g. /v1/actions/:id
  summary: string;
  tag: string;
  auth: 'none' | 'agent' | 'person' | 'agent_or_person' | 'ingest';
  body?: z.ZodType;
  query?: z.ZodType;
  response?: z.ZodType;
  responses?: Record<number, string>;
}

export function createApiRegistry() {
  const routes: RouteDoc[] = [];
  return {
    add(doc: RouteDoc) {
      routes.push(doc);
    },
    routes: () => routes as readonly RouteDoc[],
    document(info: { version: string; serverUrl?: string }): Record<string, unknown> {
      const toSchema = (s: z.ZodType, io: 'input' | 'output') =>
        z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' });
      const paths: Record<string, Record<string, unknown>> = {};
      for (const r of routes) {
        const path = r.path.replace(/:([A-Za-z_]+)/g, '{$1}');
        const params = [...r.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => ({
          name: m[1],
          in: 'path',
          required: true,
          schema: { type: 'string' },
        }));
        const query: unknown[] = [];
        if (r.query) {
          const js = toSchema(r.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
          for (const [name, schema] of Object.entries(js.properties ?? {})) {
            query.push({ name, in: 'query', required: js.required?.includes(name) ?? false, schema });
          }
        }
        const responses: Record<string, unknown> = {};
        for (const [status, description] of Object.entries(r.responses ?? { 200: 'OK' })) {
          responses[status] = {
            description,
            ...(r.response && Number(status) < 300
              ? { content: { 'application/json': { schema: toSchema(r.response, 'output') } } }
              : {}),
          };
        }
        responses.default = {
          description: 'Error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        };
        paths[path] ??= {};
        paths[path][r.method.toLowerCase()] = {
          summary: r.summary,
          tags: [r.tag],
          ...(r.auth === 'none' ? { security: [] } : {}),
          parameters: [...params, ...query],
          ...(r.body
            ? {
                requestBody: { required: true, content: { 'application/json': { schema: toSchema(r.body, 'input') } } },
              }
            : {}),
          responses,
        };
      }
      return {
        openapi: '3.1.0',
        info: {
          title: 'Gatehouse API',
          version: info.version,
          description: 'Every agent read and write goes through Gatehouse.',
        },
        ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
        security: [{ bearer: [] }],
        paths,
        components: {
          securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Agent, person or ingest key.' } },
          schemas: {
            Error: {
              type: 'object',
              required: ['error'],
              properties: {
                error: {
                  type: 'object',
                  required: ['code', 'message', 'request_id'],
                  properties: {
                    code: { type: 'string', enum: Object.keys(ERROR_STATUS) },
                    message: { type: 'string' },
                    details: { type: 'object' },
                    request_id: { type: 'string' },
                  },
                },
              },
            },
          },
          'x-error-codes': Object.fromEntries(
            Object.entries(ERROR_STATUS).map(([code, status]) => [
              code,
              { status, description: ERROR_DESCRIPTIONS[code as keyof typeof ERROR_DESCRIPTIONS] ?? '' },
            ]),
          ),
        },
      };
    },
  };
}
export type ApiRegistry = ReturnType<typeof createApiRegistry>;
