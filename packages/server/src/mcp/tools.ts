/**
 * The MCP tool catalog of one agent, generated from its grants and the connector's schema.
 *
 * Invariants a reader must not break:
 * - An agent sees a tool only for an object and operation some grant gives it; a read tool lists
 *   only readable fields; a write tool's `changes` allows only granted write fields, typed from the
 *   connector schema. Every object schema is closed (additionalProperties: false).
 * - The schema is a courtesy to the model, not the boundary: every call still goes through
 *   `submitAction` / the core read functions, which enforce the grants again.
 * - No input carries a "confirmed" or "approved" flag: whether a write runs is the pipeline's
 *   decision alone, whatever the model claims.
 */
import { z } from 'zod';
import type { Grant } from '../core/boundary/index.js';
import type { AgentDefinition, PipelineDeps } from '../core/pipeline/index.js';
import { FILTER_OPERATORS, type ObjectSchema, type PropertySchema } from '../core/ports/connector.js';

/** Identifiers as on the HTTP wire (`@gatehouse/contract`). */
export const Id = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_.:@-]+$/, 'must be letters, digits or _ . : @ -');

export type ToolKind = 'list' | 'get' | 'search' | 'write';

export interface ToolSpec {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly input: z.ZodType;
  readonly readOnly: boolean;
  readonly kind: ToolKind | 'status' | 'wait';
  readonly connector?: string;
  readonly object?: string;
  readonly operation?: string;
  /** For write tools: the fields `changes` may name (the grants' write_fields), for error messages. */
  readonly writable?: readonly string[];
}

/** Record edits carry `records`; every other operation names a `target` (API.md). */
const RECORD_OPERATIONS = new Set(['update', 'create']);
const NUMERIC = /^-?\d+(\.\d+)?$/;
const MAX_PAGE = 100;
export const MAX_WAIT_SECONDS = 60;

/** What each non-edit operation takes as `params`; an operation not listed takes a free-form object. */
const OPERATION_PARAMS: Readonly<Record<string, z.ZodType | null>> = {
  launch: null,
  pause: null,
  enroll: z.strictObject({
    contact_ids: z.array(Id).min(1).max(500).describe('The contacts to enroll.'),
  }),
};

/** A property value as the model may send it; `toWireValue` turns it into the CRM's string form. */
function valueSchema(p: PropertySchema): z.ZodType {
  let s: z.ZodType;
  switch (p.type) {
    case 'number':
      s = z.union([z.number(), z.string().regex(NUMERIC, 'must be a number')]);
      break;
    case 'bool':
      s = z.union([z.boolean(), z.enum(['true', 'false'])]);
      break;
    case 'enumeration':
      s = p.options && p.options.length > 0 ? z.enum(p.options as [string, ...string[]]) : z.string().max(65_536);
      break;
    case 'datetime':
      s = z.string().max(64).describe('ISO 8601 timestamp');
      break;
    default:
      s = z.string().max(65_536);
  }
  const described = p.label ? s.describe(p.label) : s;
  return z.union([described, z.null()]).describe(`${p.label ?? p.name} (null clears it)`);
}

/** HubSpot semantics: every property value is a string, null means unset. */
export function toWireValue(v: string | number | boolean | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? v : String(v);
}

interface ObjectGrants {
  readonly connector: string;
  readonly object: string;
  readonly schema: ObjectSchema;
  readonly grants: Grant[];
}

/** Groups the agent's grants by (connector, object), skipping objects the connector does not have. */
function objectsOf(agent: AgentDefinition, deps: Pick<PipelineDeps, 'connectors'>): ObjectGrants[] {
  const out = new Map<string, ObjectGrants>();
  for (const g of agent.grants) {
    const connector = deps.connectors.get(g.connector);
    if (!connector) continue;
    const schemas = connector.schema();
    for (const object of g.objects) {
      const schema = schemas.find((o) => o.name === object);
      if (!schema) continue;
      const key = `${g.connector}\u0000${object}`;
      const entry = out.get(key) ?? { connector: g.connector, object, schema, grants: [] };
      entry.grants.push(g);
      out.set(key, entry);
    }
  }
  return [...out.values()];
}

/** Tool names: `[a-zA-Z0-9_-]{1,64}`, as MCP clients expect. */
function toolName(prefix: string, object: string, verb: string): string {
  return `${prefix}${object}_${verb}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
}

function readTools(o: ObjectGrants, prefix: string, agentId: string): ToolSpec[] {
  const readGrants = o.grants.filter((g) => g.operations.includes('read'));
  if (readGrants.length === 0) return [];
  const all = o.schema.properties.map((p) => p.name);
  const readable = readGrants.some((g) => g.readFields === undefined)
    ? all
    : all.filter((f) => readGrants.some((g) => g.readFields?.includes(f)));
  if (readable.length === 0) return [];
  const pii = o.schema.properties.filter((p) => p.pii && readable.includes(p.name)).map((p) => p.name);
  // Filtering on personal data would leak it one query at a time (core/reads.ts refuses it too).
  const filterable = readable.filter((f) => !pii.includes(f));
  const modes = [...new Set(readGrants.map((g) => g.pii))];
  const piiNote =
    pii.length === 0
      ? ''
      : ` Personal data (${pii.join(', ')}) is ${modes.includes('allow') && modes.length === 1 ? 'shown as stored' : `${modes.filter((m) => m !== 'allow').join('/')}ed`} as the grant says.`;
  const scopeNote = readGrants.some((g) => g.where)
    ? ' Only records inside your segment are visible; a record outside it reads as not found.'
    : '';
  const where = `${o.connector}.${o.object}`;
  const properties = z
    .array(z.enum(readable as [string, ...string[]]))
    .min(1)
    .optional()
    .describe('Only these properties (default: every readable one).');
  const limit = z.number().int().min(1).max(MAX_PAGE).default(20).describe(`Records per page (1-${MAX_PAGE}).`);
  const after = z
    .string()
    .min(1)
    .max(500)
    .optional()
    .describe('The paging cursor from a previous page (paging.next.after).');
  const base = { readOnly: true, connector: o.connector, object: o.object, operation: 'read' } as const;
  const tools: ToolSpec[] = [
    {
      ...base,
      name: toolName(prefix, o.object, 'list'),
      title: `List ${o.object}`,
      kind: 'list',
      description: `List ${where} records ${agentId} may read (readable: ${readable.join(', ')}).${piiNote}${scopeNote} Answers { results: [{ id, properties }], paging?: { next: { after } } }.`,
      input: z.strictObject({ limit, after, properties }),
    },
    {
      ...base,
      name: toolName(prefix, o.object, 'get'),
      title: `Get one of ${o.object}`,
      kind: 'get',
      description: `Get one ${where} record by id (readable: ${readable.join(', ')}).${piiNote}${scopeNote}`,
      input: z.strictObject({ id: Id.describe('The record id.'), properties }),
    },
  ];
  if (filterable.length > 0) {
    tools.push({
      ...base,
      name: toolName(prefix, o.object, 'search'),
      title: `Search ${o.object}`,
      kind: 'search',
      description: `Search ${where} records with HubSpot-style filters (all must hold). Filterable: ${filterable.join(', ')}. IN/NOT_IN take values; HAS_PROPERTY/NOT_HAS_PROPERTY take neither; the rest take value.${piiNote}${scopeNote}`,
      input: z.strictObject({
        filters: z
          .array(
            z.strictObject({
              property: z.enum(filterable as [string, ...string[]]),
              operator: z.enum(FILTER_OPERATORS as [string, ...string[]]),
              value: z.string().max(2_000).optional(),
              values: z.array(z.string().max(2_000)).min(1).max(500).optional(),
            }),
          )
          .min(1)
          .max(20),
        limit,
        after,
        properties,
      }),
    });
  }
  return tools;
}

const reason = z.string().min(1).max(2_000).describe('Why: shown to approvers and kept in the audit log.');
const idempotencyKey = z
  .string()
  .min(1)
  .max(200)
  .optional()
  .describe('Same key, same action: a retry with it is never judged or executed twice.');

function writeTool(o: ObjectGrants, prefix: string, agent: AgentDefinition, operation: string): ToolSpec | undefined {
  const grants = o.grants.filter((g) => g.operations.includes(operation));
  const where = `${o.connector}.${o.object}`;
  const base = {
    name: toolName(prefix, o.object, operation),
    title: `${operation[0]?.toUpperCase() ?? ''}${operation.slice(1)} ${o.object}`,
    readOnly: false,
    kind: 'write',
    connector: o.connector,
    object: o.object,
    operation,
  } as const;
  const outcome =
    'Gatehouse diffs the change, judges it by policy and then executes it, holds it for a person (status pending_approval: call gatehouse_wait_for_action with the action_id), records it without executing (observe mode: shadowed) or refuses it (a tool error with the code and reason). Answers the action: status, decision, change set, approval.';
  if (RECORD_OPERATIONS.has(operation)) {
    const props = new Map(o.schema.properties.map((p) => [p.name, p]));
    const writable = [...new Set(grants.flatMap((g) => g.writeFields ?? []))].filter(
      (f) => props.has(f) && !props.get(f)?.readOnly,
    );
    // A grant with the operation but no write_fields can write nothing: no tool.
    if (writable.length === 0) return undefined;
    const changes = z
      .strictObject(Object.fromEntries(writable.map((f) => [f, valueSchema(props.get(f)!).optional()])))
      .refine((c) => Object.keys(c).length > 0, 'must name at least one property')
      .describe(`Property → new value. Writable: ${writable.join(', ')}.`);
    const scope = grants.some((g) => g.where) ? ' Every record must be inside your segment.' : '';
    const max = agent.limits?.maxBatch ?? 1_000;
    return {
      ...base,
      writable,
      description: `${operation === 'create' ? 'Create' : 'Change'} ${where} records (at most ${max} per call; writable fields: ${writable.join(', ')}).${scope} ${outcome}`,
      input: z.strictObject({
        records: z
          .array(
            z.strictObject({
              id: Id.describe(operation === 'create' ? 'Your reference for the new record.' : 'The record id.'),
              changes,
            }),
          )
          .min(1)
          .max(max),
        reason,
        idempotency_key: idempotencyKey,
      }),
    };
  }
  const params = OPERATION_PARAMS[operation];
  const shape: Record<string, z.ZodType> = {
    target: Id.describe(`The ${o.object} record to ${operation}.`),
    reason,
    idempotency_key: idempotencyKey,
  };
  if (params) shape.params = params;
  else if (params === undefined) shape.params = z.record(z.string(), z.unknown()).optional();
  return {
    ...base,
    description: `${operation[0]?.toUpperCase() ?? ''}${operation.slice(1)} one ${where} record (the target). ${outcome}`,
    input: z.strictObject(shape),
  };
}

function statusTools(): ToolSpec[] {
  const actionId = Id.describe('The action id (action_id) a write tool answered.');
  return [
    {
      name: 'gatehouse_action_status',
      title: 'Action status',
      kind: 'status',
      readOnly: true,
      description:
        'The current state of one of your actions: status (executed, pending_approval, shadowed, denied, rejected, expired, failed, …), decision, change set and approval.',
      input: z.strictObject({ action_id: actionId }),
    },
    {
      name: 'gatehouse_wait_for_action',
      title: 'Wait for an action',
      kind: 'wait',
      readOnly: true,
      description: `Wait (up to timeout_seconds, at most ${MAX_WAIT_SECONDS}) until one of your actions is settled: a pending approval decided and the change executed, rejected or expired. Answers the action; when it is still pending, call again.`,
      input: z.strictObject({
        action_id: actionId,
        timeout_seconds: z
          .number()
          .min(0)
          .max(MAX_WAIT_SECONDS)
          .default(30)
          .describe(`How long to wait, in seconds (0-${MAX_WAIT_SECONDS}).`),
      }),
    },
  ];
}

/** Every tool the agent may use: reads and writes per granted object and operation, plus the action tools. */
export function toolsFor(agent: AgentDefinition, deps: Pick<PipelineDeps, 'connectors'>): ToolSpec[] {
  const objects = objectsOf(agent, deps);
  // One connector: `contacts_update`. Several: `crm_contacts_update`, so names never collide.
  const several = new Set(objects.map((o) => o.connector)).size > 1;
  const tools: ToolSpec[] = [];
  for (const o of objects) {
    const prefix = several ? `${o.connector}_` : '';
    tools.push(...readTools(o, prefix, agent.id));
    const operations = new Set(o.grants.flatMap((g) => g.operations));
    for (const op of o.schema.operations) {
      if (op === 'read' || !operations.has(op)) continue;
      const t = writeTool(o, prefix, agent, op);
      if (t) tools.push(t);
    }
  }
  tools.push(...statusTools());
  return tools;
}

/** The JSON Schema an MCP client sees: closed objects, no `$schema` (some clients reject it). */
export function inputJsonSchema(t: ToolSpec): { type: 'object'; [k: string]: unknown } {
  const { $schema: _drop, ...schema } = z.toJSONSchema(t.input, {
    target: 'draft-7',
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return { ...schema, type: 'object' };
}
