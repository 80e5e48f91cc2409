/**
 * Turns answers into results or errors, in one place.
 *
 * Rule: an answer whose body is an action (it has an `id` and a `status`) is a result, whatever
 * the HTTP status — 200 executed, 202 pending/shadowed, 403 denied, 423 breaker open. Any other
 * 4xx/5xx is a GatehouseApiError carrying the server's code and request id. The SDK checks
 * shapes only as far as it must to tell these apart; it does not validate every field.
 */
import { GatehouseApiError } from './errors.js';
import type { ApiAnswer, ApiCall } from './transport.js';
import type { ActionView, Page } from './types.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function badResponse(call: ApiCall, answer: ApiAnswer, what: string): GatehouseApiError {
  const snippet = answer.text.length > 200 ? `${answer.text.slice(0, 200)}…` : answer.text;
  return new GatehouseApiError({
    code: 'bad_response',
    message: `${call.method} ${call.path} answered HTTP ${answer.status} with ${what}${snippet ? `: ${snippet}` : ''}`,
    status: answer.status,
    requestId: answer.requestId,
    details: { content_type: answer.contentType },
  });
}

/** The server's error for a refused request, or `bad_response` when the body is not the error shape. */
export function errorFrom(call: ApiCall, answer: ApiAnswer): GatehouseApiError {
  if (!answer.isJson) {
    return badResponse(
      call,
      answer,
      answer.text === '' ? 'an empty body' : `a non-JSON body (${answer.contentType || 'no content-type'})`,
    );
  }
  const err = isObject(answer.json) ? answer.json.error : undefined;
  if (!isObject(err) || typeof err.code !== 'string')
    return badResponse(call, answer, 'a body that is not the error shape');
  return new GatehouseApiError({
    code: err.code,
    message: typeof err.message === 'string' ? err.message : err.code,
    status: answer.status,
    requestId: typeof err.request_id === 'string' ? err.request_id : answer.requestId,
    details: isObject(err.details) ? err.details : {},
  });
}

/** A 2xx JSON body, typed by the caller; anything else throws. */
export function readJson<T>(call: ApiCall, answer: ApiAnswer): T {
  if (answer.status < 200 || answer.status >= 300) throw errorFrom(call, answer);
  if (!answer.isJson) throw badResponse(call, answer, answer.text === '' ? 'an empty body' : 'a non-JSON body');
  return answer.json as T;
}

/** A 2xx answer whose body may be empty (204). */
export function readOptionalJson<T>(call: ApiCall, answer: ApiAnswer): T | undefined {
  if (answer.status >= 200 && answer.status < 300 && answer.text === '') return undefined;
  return readJson<T>(call, answer);
}

export function isActionShaped(v: unknown): v is ActionView {
  return isObject(v) && typeof v.id === 'string' && typeof v.status === 'string' && isObject(v.decision);
}

/** The action view, whatever its outcome; only answers without an action body are errors. */
export function readAction(call: ApiCall, answer: ApiAnswer): ActionView {
  if (answer.isJson && isActionShaped(answer.json) && answer.status < 500) return answer.json;
  if (answer.isJson && answer.status >= 200 && answer.status < 300)
    throw badResponse(call, answer, 'a body that is not an action');
  throw errorFrom(call, answer);
}

/**
 * A list: `{ results, paging? }`. A bare array is accepted and wrapped, so list methods return
 * one predictable shape even from servers that answer collections as arrays.
 */
export function readPage<T>(call: ApiCall, answer: ApiAnswer): Page<T> {
  const body = readJson<unknown>(call, answer);
  if (Array.isArray(body)) return { results: body as T[] };
  if (isObject(body) && Array.isArray(body.results)) return body as unknown as Page<T>;
  throw badResponse(call, answer, 'a body that is not a list ({ results: [...] })');
}
