/**
 * `@gatehouse/agent-tools/testing`: a scripted language model for the AI SDK. It implements the
 * provider interface (`LanguageModelV3`) with a function of the tool calls made so far, so an
 * agent runs the AI SDK's real tool loop with no model server and no API key. It never sees the
 * prompt text; it decides from the tool results alone. The example agents fall back to it, and
 * the framework tests wrap `scriptedGenerate` in the AI SDK's own `MockLanguageModelV3`.
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

/** Tool inputs and outputs travel as JSON text; anything else is passed through. */
export const parseJson = (v: unknown): unknown => {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
};

/** The tool calls and their results, oldest first, as the model receives them in its prompt. */
export function historyFromPrompt(options: LanguageModelV3CallOptions): ToolEvent[] {
  const inputs = new Map<string, { name: string; input: Record<string, unknown> }>();
  const events: ToolEvent[] = [];
  for (const m of options.prompt) {
    if (m.role === 'assistant') {
      for (const p of m.content) {
        if (p.type === 'tool-call') inputs.set(p.toolCallId, { name: p.toolName, input: parseJson(p.input) as never });
      }
    } else if (m.role === 'tool') {
      for (const p of m.content) {
        if (p.type !== 'tool-result') continue;
        const o = p.output;
        const output = o.type === 'json' || o.type === 'error-json' ? o.value : 'value' in o ? parseJson(o.value) : o;
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

/** A `doGenerate` that answers each turn from the script: tool calls, or the final text. */
export function scriptedGenerate(
  script: Script,
): (options: LanguageModelV3CallOptions) => Promise<LanguageModelV3GenerateResult> {
  let calls = 0;
  return async (options) => {
    const turn = script(historyFromPrompt(options));
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
}

export function scriptedModel(script: Script, modelId = 'scripted'): LanguageModelV3 {
  return {
    specificationVersion: 'v3',
    provider: 'gatehouse-scripted',
    modelId,
    supportedUrls: {},
    doGenerate: scriptedGenerate(script),
    doStream: () => Promise.reject(new Error('the scripted model does not stream: use generateText')),
  };
}
