/**
 * What the runnable entries read from the environment:
 *
 * - `GATEHOUSE_URL` (default `http://127.0.0.1:4100`) and `GATEHOUSE_AGENT_KEY` (required): the
 *   Gatehouse server and the agent's key (`gatehouse keys create --agent <id>`).
 * - `OPENAI_BASE_URL` (optional): any OpenAI-compatible endpoint (OpenAI, a local llama.cpp,
 *   Ollama or vLLM server, …), with `OPENAI_API_KEY` and `OPENAI_MODEL` (default `gpt-4o-mini`).
 *   Without it the model-driven example falls back to its scripted model.
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { createGatehouseClient, type GatehouseClient } from '@gatehouse/sdk';
import type { LanguageModel } from 'ai';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function clientFromEnv(env: NodeJS.ProcessEnv = process.env): GatehouseClient {
  const key = env.GATEHOUSE_AGENT_KEY;
  if (!key) {
    throw new ConfigError(
      'GATEHOUSE_AGENT_KEY is not set: create a key with `gatehouse keys create --agent <id>` and export it',
    );
  }
  const baseUrl = env.GATEHOUSE_URL ?? 'http://127.0.0.1:4100';
  return createGatehouseClient({ baseUrl, key, userAgent: 'gatehouse-examples/0.1.0' });
}

/** A language model from `OPENAI_BASE_URL`, or undefined when none is configured. */
export function modelFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): { model: LanguageModel; label: string } | undefined {
  const baseURL = env.OPENAI_BASE_URL;
  if (!baseURL) return undefined;
  const modelId = env.OPENAI_MODEL ?? 'gpt-4o-mini';
  const provider = createOpenAICompatible({
    name: 'openai-compatible',
    baseURL,
    ...(env.OPENAI_API_KEY ? { apiKey: env.OPENAI_API_KEY } : {}),
  });
  return { model: provider.chatModel(modelId), label: `${modelId} at ${baseURL}` };
}

/** Runs `main`, printing a ConfigError or a Gatehouse error as one line and exiting 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    const err = e as { name?: string; code?: string; message?: string; requestId?: string };
    const code = err.code ? ` ${err.code}` : '';
    const rid = err.requestId ? ` (request ${err.requestId})` : '';
    console.error(`error${code}: ${err.message ?? String(e)}${rid}`);
    process.exitCode = 1;
  });
}
