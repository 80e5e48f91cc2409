/**
 * Gatehouse operations as Vercel AI SDK tools (`ai` ≥ 6):
 *
 * ```ts
 * const tools = gatehouseTools(gh, { connector: 'crm', objects: ['contacts'] });
 * await generateText({ model, tools, stopWhen: stepCountIs(8), prompt });
 * ```
 *
 * Every outcome (executed, pending approval, shadowed, denied, breaker open) is the tool's
 * result, so the model reads it and the loop goes on. Do not add `needsApproval` for Gatehouse's
 * sake: the gate is enforced by the server, whatever the framework does.
 */
import type { GatehouseClient } from '@gatehouse/sdk';
import { tool, type Tool } from 'ai';
import { gatehouseToolSpecs, type GatehouseToolsOptions, type ToolResult } from './tools.js';

export type { GatehouseToolsOptions, ToolResult } from './tools.js';
export { describeAction } from './outcome.js';
export type { ActionOutcome, RecordsResult, ToolChange, ToolError } from './outcome.js';

/** A tool set keyed by tool name (`gatehouse_update_records`, …), ready for `generateText`/`streamText`. */
export function gatehouseTools(
  client: GatehouseClient,
  options: GatehouseToolsOptions,
): Record<string, Tool<Record<string, unknown>, ToolResult>> {
  const tools: Record<string, Tool<Record<string, unknown>, ToolResult>> = {};
  for (const spec of gatehouseToolSpecs(client, options, 'optional')) {
    tools[spec.name] = tool({
      description: spec.description,
      inputSchema: spec.inputSchema,
      execute: (input, { abortSignal }) => spec.execute(input, abortSignal),
    });
  }
  return tools;
}
