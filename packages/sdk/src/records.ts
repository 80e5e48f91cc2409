/**
 * `records`: reads through the agent's grants. The server returns only the records and fields
 * the grant allows, PII handled as the grant says. A record outside the grant is indistinct from
 * a missing one (404), so `get` throws `record_not_found` in both cases rather than returning
 * undefined: "not visible to you" must not read as "does not exist, go create it".
 */
import { GatehouseApiError } from './errors.js';
import { readJson, readPage } from './decode.js';
import type { CallOptions, Transport } from './transport.js';
import type { RecordPage, RecordSearchFilter, RecordView } from './types.js';

export interface RecordListOptions extends CallOptions {
  /** Page size, 1–500 (server default 100). */
  readonly limit?: number;
  /** The cursor from the previous page's `paging.next.after`. */
  readonly after?: string;
  /** The server's filter expression (see its OpenAPI document). */
  readonly filter?: string;
  /** Properties to return; an array is sent comma-separated. */
  readonly properties?: string | readonly string[];
}

export interface RecordSearchOptions extends CallOptions {
  readonly filters: readonly RecordSearchFilter[];
  readonly limit?: number;
  readonly after?: string;
}

export interface RecordGetOptions extends CallOptions {
  readonly properties?: string | readonly string[];
}

export interface RecordsClient {
  /** One page: `{ results, paging? }`; no `paging` on the last page. */
  list(connector: string, object: string, options?: RecordListOptions): Promise<RecordPage>;
  /** One record. Missing or outside the grant → GatehouseApiError (status 404, the server's code). */
  get(connector: string, object: string, id: string, options?: RecordGetOptions): Promise<RecordView>;
  /** `POST /v1/records/{connector}/{object}/search` with `{ filters, limit, after }`. */
  search(connector: string, object: string, options: RecordSearchOptions): Promise<RecordPage>;
  /** Every record of every page, in order, following `paging.next.after` until the last page. */
  iterate(connector: string, object: string, options?: Omit<RecordListOptions, 'after'>): AsyncIterable<RecordView>;
}

const collectionPath = (connector: string, object: string) =>
  `/v1/records/${encodeURIComponent(connector)}/${encodeURIComponent(object)}`;

const joinProperties = (p: string | readonly string[] | undefined) =>
  typeof p === 'string' || p === undefined ? p : p.join(',');

export function createRecordsClient(transport: Transport): RecordsClient {
  async function list(connector: string, object: string, options: RecordListOptions = {}): Promise<RecordPage> {
    const call = {
      method: 'GET',
      path: collectionPath(connector, object),
      query: {
        limit: options.limit,
        after: options.after,
        filter: options.filter,
        properties: joinProperties(options.properties),
      },
      retry: 'idempotent',
      signal: options.signal,
    } as const;
    return readPage(call, await transport.send(call));
  }

  return {
    list,

    async get(connector, object, id, options = {}) {
      const call = {
        method: 'GET',
        path: `${collectionPath(connector, object)}/${encodeURIComponent(id)}`,
        query: { properties: joinProperties(options.properties) },
        retry: 'idempotent',
        signal: options.signal,
      } as const;
      return readJson<RecordView>(call, await transport.send(call));
    },

    async search(connector, object, options) {
      const body = { filters: options.filters, limit: options.limit, after: options.after };
      // A search reads; resending it is as safe as resending a GET.
      const call = {
        method: 'POST',
        path: `${collectionPath(connector, object)}/search`,
        body,
        retry: 'idempotent',
        signal: options.signal,
      } as const;
      return readPage(call, await transport.send(call));
    },

    async *iterate(connector, object, options = {}) {
      const seen = new Set<string>();
      let after: string | undefined;
      for (;;) {
        const page = await list(connector, object, { ...options, after });
        yield* page.results;
        const next = page.paging?.next.after;
        if (next === undefined) return;
        // A server that hands back a cursor it already gave would loop forever.
        if (seen.has(next)) {
          throw new GatehouseApiError({
            code: 'bad_response',
            message: `GET ${collectionPath(connector, object)} repeated the paging cursor ${JSON.stringify(next)}`,
          });
        }
        seen.add(next);
        after = next;
      }
    },
  };
}
