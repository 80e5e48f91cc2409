/**
 * The one MCP server factory: an agent's tools over the core pipeline. Both transports (stdio in
 * `gatehouse mcp`, streamable HTTP at /mcp) build their server here, after authenticating the
 * agent's key; nothing in this file trusts anything the model says about itself.
 *
 * The low-level `Server` (not `McpServer`) because the tool list is generated per agent and a
 * schema violation must come back as a coded tool error (`field_not_writable`, `invalid_request`)
 * rather than the SDK's generic validation text.
 */
import { ActionRequest as ActionRequestSchema } from '@gatehouse/contract';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { Filter, FilterOperator } from '../core/ports/connector.js';
import { getRecord, listRecords } from '../core/reads.js';
import {
  actionView,
  loadAction,
  submitAction,
  type ActionRequest,
  type AgentDefinition,
  type PipelineDeps,
} from '../core/pipeline/index.js';
import { describeIssues } from '../http/validate.js';
import { ownActionView, waitForAction } from './actions.js';
import { actionResult, dataResult, errorResult, thrownResult } from './results.js';
import { inputJsonSchema, toolsFor, toWireValue, type ToolSpec } from './tools.js';

export interface McpDeps {
  readonly pipeline: PipelineDeps;
  readonly version: string;
  /** Where unexpected errors go (stderr / the server log); never the protocol stream. */
  readonly logError?: (e: unknown) => void;
}

interface Catalog {
  readonly specs: ReadonlyMap<string, ToolSpec>;
  readonly tools: readonly Tool[];
}

// Agents are immutable for the life of a config, so each agent's catalog is built once.
const catalogs = new WeakMap<AgentDefinition, Catalog>();

export function catalogFor(agent: AgentDefinition, pipeline: Pick<PipelineDeps, 'connectors'>): Catalog {
  let c = catalogs.get(agent);
  if (!c) {
    const specs = toolsFor(agent, pipeline);
    c = {
      specs: new Map(specs.map((s) => [s.name, s])),
      tools: specs.map((s) => ({
        name: s.name,
        title: s.title,
        description: s.description,
        inputSchema: inputJsonSchema(s),
        annotations: {
          title: s.title,
          readOnlyHint: s.readOnly,
          // Writes change the CRM (and may send email); none is idempotent without a key.
          ...(s.readOnly ? {} : { destructiveHint: true, idempotentHint: false }),
          openWorldHint: false,
        },
      })),
    };
    catalogs.set(agent, c);
  }
  return c;
}

function instructions(agent: AgentDefinition): string {
  return [
    `You act as the agent '${agent.id}' through Gatehouse, which holds the CRM credentials.`,
    'The tools are exactly what your grants allow. Every write is diffed and judged by policy:',
    'it may execute, wait for a person (status pending_approval: call gatehouse_wait_for_action),',
    'be recorded without executing (observe mode: shadowed) or be refused (a tool error with a code).',
    'No argument can approve or confirm a write; only the people named in the policy can.',
  ].join(' ');
}

/** A schema violation as a coded tool error; an unknown key in `changes` is a field the grant does not allow. */
function invalidInput(agent: AgentDefinition, spec: ToolSpec, error: z.ZodError): CallToolResult {
  const message = describeIssues(error.issues);
  const notWritable = error.issues.find(
    (i) => i.code === 'unrecognized_keys' && i.path.at(-1) === 'changes' && spec.kind === 'write',
  );
  const issues = error.issues.map((i) => ({ path: i.path.map(String), message: i.message, code: i.code }));
  if (notWritable && notWritable.code === 'unrecognized_keys') {
    const fields = notWritable.keys.map((k) => `${spec.object}.${k}`).join(', ');
    const writable = (spec.writable ?? []).join(', ') || 'none';
    return errorResult('field_not_writable', `${agent.id} may not write ${fields} (writable: ${writable})`, {
      fields: notWritable.keys,
      writable: spec.writable ?? [],
      issues,
    });
  }
  return errorResult('invalid_request', `invalid arguments for ${spec.name}: ${message}`, { issues });
}

type Args = Record<string, unknown>;

/**
 * A write whose only fault is a field outside the grant, as the action POST /v1/actions would
 * have submitted: the pipeline refuses it with field_not_writable and records the attempt in the
 * audit log, as it does over HTTP. The tool's connector, object and operation win over anything
 * in the arguments. Undefined when anything else is wrong with the arguments.
 */
function notWritableRequest(spec: ToolSpec, raw: unknown, error: z.ZodError): ActionRequest | undefined {
  if (spec.kind !== 'write' || typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  // Unknown keys in `changes` (plus "must name at least one property" when every key is unknown), nothing else.
  const inChanges = (i: z.core.$ZodIssue) => i.path.at(-1) === 'changes';
  if (!error.issues.every(inChanges) || !error.issues.some((i) => i.code === 'unrecognized_keys')) return undefined;
  const body = ActionRequestSchema.safeParse({
    ...raw,
    connector: spec.connector,
    object: spec.object,
    operation: spec.operation,
  });
  if (!body.success || !body.data.records) return undefined;
  const b = body.data;
  return {
    connector: b.connector,
    object: b.object,
    operation: b.operation,
    records: b.records!,
    reason: b.reason,
    ...(b.idempotency_key !== undefined ? { idempotencyKey: b.idempotency_key } : {}),
  };
}

async function submitAndView(deps: McpDeps, agent: AgentDefinition, request: ActionRequest) {
  const r = await submitAction(deps.pipeline, agent.id, request);
  const changeset = r.changeset ?? (await loadAction(deps.pipeline.storage, r.action.id, 100))?.changeset;
  const approval = r.action.approvalId ? await deps.pipeline.storage.approvals.get(r.action.approvalId) : undefined;
  return actionView(r.action, changeset, approval);
}

async function runWrite(deps: McpDeps, agent: AgentDefinition, spec: ToolSpec, args: Args): Promise<CallToolResult> {
  const records = args.records as
    { id: string; changes: Record<string, string | number | boolean | null | undefined> }[] | undefined;
  const request: ActionRequest = {
    connector: spec.connector!,
    object: spec.object!,
    operation: spec.operation!,
    ...(records
      ? {
          records: records.map((r) => ({
            id: r.id,
            changes: Object.fromEntries(Object.entries(r.changes).map(([k, v]) => [k, toWireValue(v)])),
          })),
        }
      : {}),
    ...(args.target !== undefined ? { target: args.target as string } : {}),
    ...(args.params !== undefined ? { params: args.params as Record<string, unknown> } : {}),
    reason: args.reason as string,
    ...(args.idempotency_key !== undefined ? { idempotencyKey: args.idempotency_key as string } : {}),
  };
  return actionResult(await submitAndView(deps, agent, request));
}

async function run(
  deps: McpDeps,
  agent: AgentDefinition,
  spec: ToolSpec,
  args: Args,
  signal: AbortSignal,
): Promise<CallToolResult> {
  const where = { connector: spec.connector!, object: spec.object! };
  const props = args.properties as string[] | undefined;
  const page = (p: Awaited<ReturnType<typeof listRecords>>) => {
    const data = { results: p.results, ...(p.next ? { paging: { next: { after: p.next } } } : {}) };
    const more = p.next ? ` More: pass after=${p.next}.` : '';
    return dataResult(`${p.results.length} ${spec.object} record${p.results.length === 1 ? '' : 's'}.${more}`, data);
  };
  switch (spec.kind) {
    case 'list':
      return page(
        await listRecords(deps.pipeline, agent, {
          ...where,
          limit: args.limit as number,
          ...(args.after ? { after: args.after as string } : {}),
          ...(props ? { properties: props } : {}),
        }),
      );
    case 'search': {
      const filters = (args.filters as { property: string; operator: string; value?: string; values?: string[] }[]).map(
        (f): Filter => ({
          property: f.property,
          operator: f.operator as FilterOperator,
          ...(f.value !== undefined ? { value: f.value } : {}),
          ...(f.values ? { values: f.values } : {}),
        }),
      );
      return page(
        await listRecords(deps.pipeline, agent, {
          ...where,
          limit: args.limit as number,
          filters,
          ...(args.after ? { after: args.after as string } : {}),
          ...(props ? { properties: props } : {}),
        }),
      );
    }
    case 'get': {
      const record = await getRecord(deps.pipeline, agent, {
        ...where,
        id: args.id as string,
        ...(props ? { properties: props } : {}),
      });
      return dataResult(`${spec.object} ${record.id}.`, { ...record });
    }
    case 'write':
      return runWrite(deps, agent, spec, args);
    case 'status':
      return actionResult(await ownActionView(deps.pipeline, agent.id, args.action_id as string));
    case 'wait': {
      const { view, settled } = await waitForAction(deps.pipeline, agent.id, args.action_id as string, {
        timeoutMs: (args.timeout_seconds as number) * 1000,
        signal,
      });
      return actionResult(view, { settled });
    }
  }
}

/** A fresh MCP server for one authenticated agent; connect it to a transport. */
export function createMcpServer(deps: McpDeps, agent: AgentDefinition): Server {
  const catalog = catalogFor(agent, deps.pipeline);
  const server = new Server(
    { name: 'gatehouse', title: 'Gatehouse', version: deps.version },
    { capabilities: { tools: {} }, instructions: instructions(agent) },
  );
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [...catalog.tools] }));
  server.setRequestHandler(CallToolRequestSchema, async (req, extra): Promise<CallToolResult> => {
    const spec = catalog.specs.get(req.params.name);
    if (!spec) {
      return errorResult(
        'unknown_tool',
        `${agent.id} has no tool '${req.params.name}'; list the tools to see what its grants allow`,
      );
    }
    const parsed = spec.input.safeParse(req.params.arguments ?? {});
    if (!parsed.success) {
      const refused = invalidInput(agent, spec, parsed.error);
      const request = notWritableRequest(spec, req.params.arguments, parsed.error);
      if (!request) return refused;
      try {
        // Refused either way; through the pipeline the attempt is audited like an HTTP one.
        const view = await submitAndView(deps, agent, request);
        const details = (refused.structuredContent?.error as { details?: Record<string, unknown> } | undefined)
          ?.details;
        return actionResult(
          view,
          details && view.error?.code === 'field_not_writable' ? { errorDetails: details } : {},
        );
      } catch (e) {
        return thrownResult(e, deps.logError);
      }
    }
    try {
      return await run(deps, agent, spec, parsed.data as Args, extra.signal);
    } catch (e) {
      return thrownResult(e, deps.logError);
    }
  });
  return server;
}
