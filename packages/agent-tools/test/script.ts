/**
 * A scripted "model" for tool-calling loops: each turn looks at the tool calls made so far (with
 * their results) and answers either more tool calls or the final text. The same script drives
 * the AI SDK (through `MockLanguageModelV3`) and the OpenAI Agents SDK (through a `Model`), so
 * both loops do exactly the same thing.
 */
import type { AgentInputItem, Model, ModelRequest, ModelResponse, StreamEvent } from '@openai/agents';
import { Usage } from '@openai/agents';
import { MockLanguageModelV3 } from 'ai/test';
import { parseJson as parse, scriptedGenerate } from '@gatehouse/agent-tools/testing';

export interface ToolEvent {
  readonly name: string;
  readonly input: Record<string, unknown>;
  /** The tool's result as the model saw it, parsed from JSON when it is JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly output: any;
}

export type Turn = { calls: { name: string; input: Record<string, unknown> }[] } | { text: string };
export type Script = (history: readonly ToolEvent[]) => Turn;

/** The AI SDK's own mock language model, answering from the script. */
export function scriptedAiModel(script: Script): MockLanguageModelV3 {
  return new MockLanguageModelV3({ doGenerate: scriptedGenerate(script) });
}

/** OpenAI Agents SDK: the history as the model receives it in its input items. */
function historyFromItems(input: string | AgentInputItem[]): ToolEvent[] {
  if (typeof input === 'string') return [];
  const inputs = new Map<string, { name: string; input: Record<string, unknown> }>();
  const events: ToolEvent[] = [];
  for (const item of input) {
    if (item.type === 'function_call')
      inputs.set(item.callId, { name: item.name, input: parse(item.arguments) as never });
    if (item.type === 'function_call_result') {
      const o = item.output;
      const text = typeof o === 'string' ? o : !Array.isArray(o) && o.type === 'text' ? o.text : JSON.stringify(o);
      events.push({ name: item.name, input: inputs.get(item.callId)?.input ?? {}, output: parse(text) });
    }
  }
  return events;
}

/**
 * Strict function calling sends every key of the schema, null for "absent": the script names
 * only what it means, and the missing top-level keys are filled in as a strict model would.
 */
function strictArguments(request: ModelRequest, name: string, input: Record<string, unknown>): Record<string, unknown> {
  const tool = request.tools.find((t) => t.type === 'function' && t.name === name);
  if (!tool || tool.type !== 'function') throw new Error(`the model was not offered a tool named ${name}`);
  const keys = Object.keys((tool.parameters as { properties?: Record<string, unknown> }).properties ?? {});
  return { ...Object.fromEntries(keys.map((k) => [k, null])), ...input };
}

/** A `Model` for `@openai/agents` that answers from the script: no network, no API key. */
export class ScriptedAgentsModel implements Model {
  #n = 0;
  /** Every request the runner sent, to check what the model was offered. */
  readonly requests: ModelRequest[] = [];
  constructor(private readonly script: Script) {}

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    const turn = this.script(historyFromItems(request.input));
    if ('text' in turn) {
      return {
        usage: new Usage(),
        output: [
          {
            type: 'message',
            role: 'assistant',
            status: 'completed',
            content: [{ type: 'output_text', text: turn.text }],
          },
        ],
      };
    }
    return {
      usage: new Usage(),
      output: turn.calls.map((c) => ({
        type: 'function_call' as const,
        callId: `call_${++this.#n}`,
        name: c.name,
        status: 'completed' as const,
        arguments: JSON.stringify(strictArguments(request, c.name, c.input)),
      })),
    };
  }

  // eslint-disable-next-line require-yield
  async *getStreamedResponse(): AsyncIterable<StreamEvent> {
    throw new Error('the scripted model does not stream; use run(agent, input) without stream: true');
  }
}
