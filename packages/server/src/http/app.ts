/**
 * The Fastify application: transport concerns only (request ids, body limits, authentication,
 * the one error shape). Business decisions happen in the pipeline the routes call.
 *
 * Invariant: no caller mistake produces a 500. Malformed JSON, wrong content types, oversized
 * bodies, unknown routes and schema violations all answer 4xx with `{ error: { code, … } }`.
 */
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyBaseLogger } from 'fastify';
import { randomFillSync } from 'node:crypto';
import { GatehouseError, isGatehouseError } from '../core/errors.js';
import { isWellFormedKey, type Principal } from '../core/keys.js';
import { statusForCode, wireError } from './errors.js';
import type { ApiRegistry } from './openapi.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export interface HttpAppOptions {
  logger: FastifyBaseLogger | boolean;
  bodyLimit: number;
  registry: ApiRegistry;
  /** Resolves a well-formed bearer token to its principal, or undefined when unknown/revoked (with the code). */
  authenticate(token: string): Promise<Principal | { error: 'key_invalid' | 'key_revoked' }>;
}

/** Maps Fastify's own errors (thrown before our handlers run) onto stable codes. */
function fastifyErrorCode(err: { code?: string; statusCode?: number }): string | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'invalid_json';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'body_too_large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'unsupported_media_type';
    default:
      if (err.statusCode === 400 || (err as Error).name === 'SyntaxError') return 'invalid_json';
      if (err.statusCode === 404) return 'route_not_found';
      if (err.statusCode === 405) return 'method_not_allowed';
      if (err.statusCode === 413) return 'body_too_large';
      if (err.statusCode === 415) return 'unsupported_media_type';
      return undefined;
  }
}

/**
 * Request ids: `req_` and 20 random hex digits. Random bytes are drawn a pool at a time (one
 * getrandom call per 409 ids) and hex-encoded straight from it; randomUUID() and string surgery on
 * its answer cost several times more per request.
 */
const ID_BYTES = 10;
const idPool = Buffer.alloc(ID_BYTES * 409);
let idOffset = idPool.length;

export function newRequestId(): string {
  if (idOffset === idPool.length) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  const id = `req_${idPool.toString('hex', idOffset, idOffset + ID_BYTES)}`;
  idOffset += ID_BYTES;
  return id;
}

export function createHttpApp(opts: HttpAppOptions): FastifyInstance {
  const app = Fastify({
    // Fastify 5 takes a ready pino instance as `loggerInstance`, options/booleans as `logger`.
    ...(typeof opts.logger === 'boolean' ? { logger: opts.logger } : { loggerInstance: opts.logger }),
    bodyLimit: opts.bodyLimit,
    requestIdHeader: 'x-request-id',
    genReqId: newRequestId,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    forceCloseConnections: true,
  });

  // Callback style, not async: no promise and no microtask turn per response.
  app.addHook('onSend', (req, reply, payload, done) => {
    void reply.header('x-request-id', req.id);
    done(null, payload);
  });

  app.setErrorHandler((err: unknown, req, reply) => {
    const requestId = req.id;
    if (isGatehouseError(err)) {
      return reply.status(statusForCode(err.code)).send(wireError(err, requestId));
    }
    const e = err as Error & { code?: string; statusCode?: number };
    const code = fastifyErrorCode(e);
    if (code) {
      const message =
        code === 'invalid_json'
          ? `the request body is not valid JSON: ${e.message}`
          : code === 'body_too_large'
            ? `the request body exceeds the limit of ${opts.bodyLimit} bytes`
            : e.message;
      return reply.status(statusForCode(code)).send(wireError(new GatehouseError(code, message), requestId));
    }
    req.log.error({ err }, 'unhandled error');
    return reply
      .status(500)
      .send(
        wireError(
          new GatehouseError('internal', 'internal error; the request id identifies it in the server log'),
          requestId,
        ),
      );
  });

  app.setNotFoundHandler((req, reply) => {
    const err = new GatehouseError('route_not_found', `no route ${req.method} ${req.url.split('?')[0]}`);
    return reply.status(404).send(wireError(err, req.id));
  });

  return app;
}

/** Reads and checks the bearer token; answers 401 with a stable code when missing, malformed, unknown or revoked. */
export async function requirePrincipal(opts: HttpAppOptions, req: FastifyRequest): Promise<Principal> {
  if (req.principal) return req.principal;
  const header = req.headers.authorization;
  if (!header) throw new GatehouseError('unauthenticated', 'send Authorization: Bearer <key>');
  // The usual `Bearer <well-formed key>` needs no header regex (a well-formed key has no whitespace).
  let token = header.startsWith('Bearer ') ? header.slice(7) : '';
  if (!isWellFormedKey(token)) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m?.[1]) throw new GatehouseError('key_invalid', 'the Authorization header must be "Bearer <key>"');
    token = m[1];
    if (!isWellFormedKey(token)) throw new GatehouseError('key_invalid', 'the key is malformed');
  }
  const r = await opts.authenticate(token);
  if ('error' in r) {
    throw new GatehouseError(r.error, r.error === 'key_revoked' ? 'the key was revoked' : 'the key is not known');
  }
  req.principal = r;
  return r;
}
