/**
 * A scripted language model for the AI SDK: it implements the provider interface
 * (`LanguageModelV3`) with a function of the tool calls made so far, so an example agent runs the
 * AI SDK's real tool loop with no model server and no API key. It never sees the prompt text;
 * it decides from the tool results alone.
 */
import type { LanguageModelV3, LanguageModelV3CallOptions, LanguageModelV3GenerateResult } from '@ai-sdk/provider';

export interface ToolEvent {
  readonly name: string;
  readonly input: Readonly<Record<string, unknown>>;
  /** The tool's result (parsed JSON). */
  readonly output: unknown;
}

export type ScriptTurn =
  | { readonly calls: readonly { readonly name: string; readonly input: Record<string, unknown> }[] }
  | { readonly text: string };

/** Decides the next turn from every tool call made so far, oldest first. */
export type Script = (history: readonly ToolEvent[]) => ScriptTurn;

const parse = (v: unknown): unknown => {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
};

function history(options: LanguageModelV3CallOptions): ToolEvent[] {
  const inputs = new Map<string, { name: string; input: Record<string, unknown> }>();
  const events: ToolEvent[] = [];
  for (const m of options.prompt) {
    if (m.role === 'assistant') {
      for (const p of m.content) {
        if (p.type === 'tool-call') inputs.set(p.toolCallId, { name: p.toolName, input: parse(p.input) as never });
      }
    } else if (m.role === 'tool') {
      for (const p of m.content) {
        if (p.type !== 'tool-result') continue;
        const o = p.output;
        const output = o.type === 'json' || o.type === 'error-json' ? o.value : 'value' in o ? parse(o.value) : o;
        events.push({ name: p.toolName, input: inputs.get(p.toolCallId)?.input ?? {}, output });
      }
    }
  }
  return events;
}

const usage = {
  inputTokens: { total: 0, noCache: 0, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 0, text: 0, reasoning: 0 },
};

export function scriptedModel(script: Script, modelId = 'scripted'): LanguageModelV3 {
  let calls = 0;
  const generate = async (options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> => {
    const turn = script(history(options));
    if ('text' in turn) {
      return {
        content: [{ type: 'text', text: turn.text }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage,
        warnings: [],
      };
    }
    return {
      content: turn.calls.map((c) => ({
        type: 'tool-call' as const,
        toolCallId: `scripted_${++calls}`,
        toolName: c.name,
        input: JSON.stringify(c.input),
      })),
      finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
      usage,
      warnings: [],
    };
  };
  return {
    specificationVersion: 'v3',
    provider: 'gatehouse-examples',
    modelId,
    supportedUrls: {},
    doGenerate: generate,
    doStream: () => Promise.reject(new Error('the scripted model does not stream: use generateText')),
  };
}
