/**
 * Gatehouse operations as OpenAI Agents SDK function tools (`@openai/agents` ≥ 0.14):
 *
 * ```ts
 * const agent = new Agent({ name: 'lead-router', tools: gatehouseAgentTools(gh, { connector: 'crm' }) });
 * await run(agent, 'Route the new North American leads');
 * ```
 *
 * Schemas are strict (OpenAI structured function calling): optional inputs are nullable. Every
 * outcome, a denial or a pending approval included, is returned as the tool's output (a JSON
 * string), so the run continues and the model learns what happened. Do not set `needsApproval`
 * for Gatehouse's sake: the approval gate is enforced by the server.
 */
import type { GatehouseClient } from '@gatehouse/sdk';
import { tool, type FunctionTool } from '@openai/agents';
import type { z } from 'zod';
import { gatehouseToolSpecs, type GatehouseToolsOptions } from './tools.js';

export type { GatehouseToolsOptions, ToolResult } from './tools.js';
export { describeAction } from './outcome.js';
export type { ActionOutcome, RecordsResult, ToolChange, ToolError } from './outcome.js';

export function gatehouseAgentTools(
  client: GatehouseClient,
  options: GatehouseToolsOptions,
): FunctionTool<unknown, z.ZodObject>[] {
  return gatehouseToolSpecs(client, options, 'nullable').map((spec) =>
    tool({
      name: spec.name,
      description: spec.description,
      parameters: spec.inputSchema,
      strict: true,
      execute: async (input, _context, details) => JSON.stringify(await spec.execute(input, details?.signal)),
    }),
  );
}
