/**
 * The Gatehouse operations every framework adapter exposes, described once: name, description,
 * input schema and what a call does. `ai.ts` and `openai-agents.ts` only wrap these specs in
 * their framework's `tool()`.
 *
 * Invariants:
 * - A tool only ever calls the Gatehouse HTTP API through the SDK with the agent's own key. The
 *   server decides what is allowed; no tool checks a grant, and no input can change a decision:
 *   there is no "confirmed", "approved" or "force" parameter, and unknown input keys are dropped.
 * - Outcomes are results (see outcome.ts): a denied write returns `status: "denied"` with its
 *   code and reason, and nothing was written because the server refused it.
 */
import type { GatehouseClient, PropertyValue, RecordChange } from '@gatehouse/sdk';
import { z } from 'zod';
import { describeAction, describeError, type ActionOutcome, type RecordsResult, type ToolError } from './outcome.js';

export interface GatehouseToolsOptions {
  /** The connector id the tools act on (e.g. `crm`). */
  readonly connector: string;
  /**
   * Objects the model may name (e.g. `['contacts']`); they become an enum in the input schema.
   * Default: any object name (the server still enforces the grant).
   */
  readonly objects?: readonly string[];
  /** Include the read tools (list, get, search). Default true. */
  readonly read?: boolean;
  /** Include `update_records` and `create_records`. Default true. */
  readonly write?: boolean;
  /**
   * Target operations `run_operation` offers (e.g. `['launch', 'pause']`). Default
   * `['launch', 'pause']`; an empty list leaves the tool out.
   */
  readonly operations?: readonly string[];
  /** Longest wait the wait tool accepts, in seconds. Default 120; 0 leaves the tool out. */
  readonly maxWaitSeconds?: number;
  /** Most records one write may carry. Default 50. */
  readonly maxRecords?: number;
  /** Prefix of every tool name. Default `gatehouse_`. */
  readonly prefix?: string;
}

/**
 * How optional fields are spelled in the input schema. The AI SDK takes optional keys; OpenAI's
 * strict function calling requires every key and spells "absent" as null.
 */
export type SchemaFlavor = 'optional' | 'nullable';

export type ToolResult = ActionOutcome | RecordsResult | ToolError | { readonly record: unknown };

export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: z.ZodObject;
  /** Validates `input` against the schema again (defence in depth), then calls Gatehouse. */
  execute(input: unknown, signal?: AbortSignal): Promise<ToolResult>;
}

interface Compiled {
  readonly connector: string;
  readonly objects: readonly string[] | undefined;
  readonly read: boolean;
  readonly write: boolean;
  readonly operations: readonly string[];
  readonly maxWaitSeconds: number;
  readonly maxRecords: number;
  readonly prefix: string;
}

const NAME = /^[A-Za-z0-9_-]*$/;

function compile(options: GatehouseToolsOptions): Compiled {
  const fail = (field: string, why: string): never => {
    throw new TypeError(`gatehouse tools: options.${field} ${why}`);
  };
  if (typeof options.connector !== 'string' || options.connector.length === 0) fail('connector', 'is required');
  if (options.objects !== undefined && options.objects.length === 0) fail('objects', 'must name at least one object');
  const maxWaitSeconds = options.maxWaitSeconds ?? 120;
  if (!Number.isInteger(maxWaitSeconds) || maxWaitSeconds < 0) fail('maxWaitSeconds', 'must be an integer ≥ 0');
  const maxRecords = options.maxRecords ?? 50;
  if (!Number.isInteger(maxRecords) || maxRecords < 1) fail('maxRecords', 'must be an integer ≥ 1');
  const prefix = options.prefix ?? 'gatehouse_';
  if (!NAME.test(prefix)) fail('prefix', 'may contain only letters, digits, _ and -');
  return Object.freeze({
    connector: options.connector,
    objects: options.objects ? [...options.objects] : undefined,
    read: options.read ?? true,
    write: options.write ?? true,
    operations: [...(options.operations ?? ['launch', 'pause'])],
    maxWaitSeconds,
    maxRecords,
    prefix,
  });
}

function schemaKit(flavor: SchemaFlavor, objects: readonly string[] | undefined) {
  const opt = <T extends z.ZodType>(t: T) => (flavor === 'optional' ? t.optional() : t.nullable());
  const object = (objects ? z.enum(objects as [string, ...string[]]) : z.string().min(1).max(200)).describe(
    'The CRM object, e.g. contacts, marketing_emails, campaigns.',
  );
  const id = z.string().min(1).max(200);
  const reason = z
    .string()
    .min(1)
    .max(2000)
    .describe('Why you want this change, for the people who review it and the audit log.');
  const properties = opt(z.array(z.string().min(1).max(200)).max(100)).describe(
    'Properties to return; omit for every property you may read.',
  );
  const limit = opt(z.number().int().min(1).max(100)).describe('Page size, 1–100 (default 20).');
  const after = opt(z.string().max(500)).describe('The next_after of the previous page.');
  const change = z.object({
    field: z.string().min(1).max(200).describe('The property to set.'),
    value: z.string().max(65_536).nullable().describe('The new value; null clears the property.'),
  });
  return { opt, object, id, reason, properties, limit, after, change };
}

/** `[{ field, value }]` → `{ field: value }`; a field named twice is the model's mistake, not a merge. */
function changesOf(list: readonly { field: string; value: PropertyValue }[]): Record<string, PropertyValue> {
  const out: Record<string, PropertyValue> = {};
  for (const { field, value } of list) {
    if (Object.hasOwn(out, field)) throw new InputError(`the field ${field} is named twice in one record`);
    out[field] = value;
  }
  return out;
}

class InputError extends Error {}

const nonNull = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

/** Runs a call; a request error the model can fix, or a bad input, comes back as a result. */
async function guarded(run: () => Promise<ToolResult>): Promise<ToolResult> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof InputError) {
      return {
        status: 'error',
        error: { code: 'invalid_input', message: e.message },
        next_step: 'Fix the input and call the tool again.',
      };
    }
    return describeError(e);
  }
}

export function gatehouseToolSpecs(
  client: GatehouseClient,
  options: GatehouseToolsOptions,
  flavor: SchemaFlavor,
): ToolSpec[] {
  const o = compile(options);
  const k = schemaKit(flavor, o.objects);
  const specs: ToolSpec[] = [];
  const define = <S extends z.ZodObject>(
    name: string,
    description: string,
    schema: S,
    run: (input: z.output<S>, signal: AbortSignal | undefined) => Promise<ToolResult>,
  ) => {
    specs.push({
      name: o.prefix + name,
      description,
      inputSchema: schema,
      execute: (input, signal) => guarded(async () => run(schema.parse(input), signal)),
    });
  };
  const where = `connector "${o.connector}"`;

  if (o.read) {
    define(
      'list_records',
      `List records of an object in ${where}. You only see the records and fields your grant allows; ` +
        'personal data may be masked. Results are paged: pass next_after as after for the next page.',
      z.object({ object: k.object, limit: k.limit, after: k.after, properties: k.properties }),
      async (i, signal) => {
        const page = await client.records.list(o.connector, i.object, {
          limit: nonNull(i.limit) ?? 20,
          after: nonNull(i.after),
          properties: nonNull(i.properties),
          signal,
        });
        const next = page.paging?.next.after;
        return { results: page.results, ...(next ? { next_after: next } : {}) };
      },
    );
    define(
      'get_record',
      `Read one record by id in ${where}. A record outside your grant reads as not found.`,
      z.object({ object: k.object, id: k.id, properties: k.properties }),
      async (i, signal) => ({
        record: await client.records.get(o.connector, i.object, i.id, { properties: nonNull(i.properties), signal }),
      }),
    );
    define(
      'search_records',
      `Search records of an object in ${where}; every filter must hold. Operators: EQ, NEQ, LT, LTE, GT, GTE, ` +
        'IN and NOT_IN (use values), HAS_PROPERTY, NOT_HAS_PROPERTY, CONTAINS_TOKEN.',
      z.object({
        object: k.object,
        filters: z
          .array(
            z.object({
              property: z.string().min(1).max(200),
              operator: z.enum([
                'EQ',
                'NEQ',
                'LT',
                'LTE',
                'GT',
                'GTE',
                'IN',
                'NOT_IN',
                'HAS_PROPERTY',
                'NOT_HAS_PROPERTY',
                'CONTAINS_TOKEN',
              ]),
              value: k.opt(z.string().max(2000)),
              values: k.opt(z.array(z.string().max(2000)).max(500)),
            }),
          )
          .min(1)
          .max(20),
        limit: k.limit,
        after: k.after,
      }),
      async (i, signal) => {
        const filters = i.filters.map((f) => ({
          property: f.property,
          operator: f.operator,
          ...(nonNull(f.value) !== undefined ? { value: f.value } : {}),
          ...(nonNull(f.values) !== undefined ? { values: f.values ?? [] } : {}),
        }));
        const page = await client.records.search(o.connector, i.object, {
          filters,
          limit: nonNull(i.limit) ?? 20,
          after: nonNull(i.after),
          signal,
        });
        const next = page.paging?.next.after;
        return { results: page.results, ...(next ? { next_after: next } : {}) };
      },
    );
  }

  if (o.write) {
    define(
      'update_records',
      `Change properties of existing records in ${where}. Gatehouse checks the change against your grant and ` +
        'its policies: it may execute, hold it for a person to approve, record it without writing (observe mode) ' +
        'or refuse it. The result says which, and what to do next.',
      z.object({
        object: k.object,
        records: z
          .array(z.object({ id: k.id, changes: z.array(k.change).min(1).max(100) }))
          .min(1)
          .max(o.maxRecords),
        reason: k.reason,
      }),
      async (i, signal) => {
        const records: RecordChange[] = i.records.map((r) => ({ id: r.id, changes: changesOf(r.changes) }));
        const view = await client.actions.submit(
          { connector: o.connector, object: i.object, operation: 'update', records, reason: i.reason },
          { signal },
        );
        return describeAction(view);
      },
    );
    define(
      'create_records',
      `Create records in ${where}. Same checks and outcomes as update_records.`,
      z.object({
        object: k.object,
        records: z
          .array(z.object({ changes: z.array(k.change).min(1).max(100) }))
          .min(1)
          .max(o.maxRecords),
        reason: k.reason,
      }),
      async (i, signal) => {
        // Placeholder ids name the new records inside the change set; the CRM assigns the real ones.
        const records: RecordChange[] = i.records.map((r, n) => ({
          id: `new_${n + 1}`,
          changes: changesOf(r.changes),
        }));
        const view = await client.actions.submit(
          { connector: o.connector, object: i.object, operation: 'create', records, reason: i.reason },
          { signal },
        );
        return describeAction(view);
      },
    );
  }

  if (o.operations.length > 0) {
    define(
      'run_operation',
      `Run an operation on one record in ${where} (${o.operations.join(', ')}), e.g. launch a campaign. ` +
        'Such operations often need a person to approve them: a result with status pending_approval is ' +
        'expected and final for now; use the wait tool to learn the outcome.',
      z.object({
        object: k.object,
        operation: z.enum(o.operations as [string, ...string[]]),
        target: k.id.describe('The id of the record to act on.'),
        params: k.opt(
          z
            .array(z.object({ name: z.string().min(1).max(200), value: z.string().max(2000) }))
            .max(20)
            .describe('Operation parameters, if any.'),
        ),
        reason: k.reason,
      }),
      async (i, signal) => {
        const params = nonNull(i.params);
        const view = await client.actions.submit(
          {
            connector: o.connector,
            object: i.object,
            operation: i.operation,
            target: i.target,
            ...(params && params.length > 0
              ? { params: Object.fromEntries(params.map((p) => [p.name, p.value])) }
              : {}),
            reason: i.reason,
          },
          { signal },
        );
        return describeAction(view);
      },
    );
  }

  if (o.maxWaitSeconds > 0) {
    define(
      'wait_for_action',
      'Wait for an action held for approval (or still running) to settle, up to timeout_seconds, and return its ' +
        'current outcome. If it is still pending afterwards, the result says so; nothing is lost.',
      z.object({
        action_id: k.id.describe('The action_id from an earlier result.'),
        timeout_seconds: k
          .opt(z.number().int().min(0).max(o.maxWaitSeconds))
          .describe(`How long to wait, 0–${o.maxWaitSeconds} s (default 30).`),
      }),
      async (i, signal) => {
        const seconds = nonNull(i.timeout_seconds) ?? Math.min(30, o.maxWaitSeconds);
        const view = await client.actions.wait(i.action_id, {
          timeoutMs: seconds * 1000,
          pollSeconds: Math.max(1, Math.min(30, seconds)),
          signal,
        });
        return describeAction(view);
      },
    );
  }

  return specs;
}
