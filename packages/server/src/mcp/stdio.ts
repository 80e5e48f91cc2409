/**
 * MCP over stdio, for desktop agents that start `gatehouse mcp` as a child process. The key is
 * checked once at start (stdio has no per-request credentials); stdout carries MCP frames only.
 */
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { GatehouseError } from '../core/errors.js';
import { hashKey, isWellFormedKey } from '../core/keys.js';
import { agentFor, type AgentDefinition, type PipelineDeps } from '../core/pipeline/index.js';
import type { Storage } from '../core/ports/storage.js';
import { createMcpServer, type McpDeps } from './server.js';

/** The agent a key belongs to; a missing, malformed, unknown, revoked or non-agent key is a coded error. */
export async function agentForKey(
  deps: Pick<PipelineDeps, 'agents'> & { storage: Storage },
  token: string,
): Promise<AgentDefinition> {
  if (!isWellFormedKey(token)) {
    throw new GatehouseError('key_invalid', 'the agent key is malformed (keys look like gh_agent_…)');
  }
  const row = await deps.storage.keys.findByHash(hashKey(token), { includeRevoked: true });
  if (!row)
    throw new GatehouseError('key_invalid', 'the agent key is not known to this Gatehouse (wrong config or database?)');
  if (row.revokedAt) throw new GatehouseError('key_revoked', `the key ${row.id} was revoked`);
  if (row.kind !== 'agent') {
    throw new GatehouseError(
      'forbidden',
      `the key ${row.id} is a ${row.kind} key; gatehouse mcp needs an agent key (gatehouse keys create --agent <id>)`,
    );
  }
  return agentFor(deps, row.subject);
}

export interface StdioSession {
  /** Settles with the reason when the client goes away (stdin ends) or `close(reason)` is called. */
  readonly closed: Promise<string>;
  close(reason: string): Promise<void>;
}

/** Serves one agent's MCP tools on the given streams (default: this process's stdin/stdout). */
export async function serveStdio(
  deps: McpDeps,
  agent: AgentDefinition,
  streams: { stdin?: Readable; stdout?: Writable } = {},
): Promise<StdioSession> {
  const stdin = streams.stdin ?? process.stdin;
  const server = createMcpServer(deps, agent);
  const transport = new StdioServerTransport(stdin, streams.stdout ?? process.stdout);
  let done!: (reason: string) => void;
  const closed = new Promise<string>((resolve) => (done = resolve));
  let closing: Promise<void> | undefined;
  const close = (reason: string): Promise<void> => {
    if (closing) return closing;
    // Settled first: server.close() re-enters here synchronously through `onclose`.
    done(reason);
    closing = server.close().catch((e: unknown) => deps.logError?.(e));
    return closing;
  };
  // The SDK's stdio transport does not watch for end of input: a client that exits closes stdin.
  stdin.once('end', () => void close('the client closed stdin'));
  stdin.once('close', () => void close('the client closed stdin'));
  server.onclose = () => void close('the transport closed');
  // A line that is not JSON-RPC gets no answer from the SDK; say so on stderr instead of nothing.
  server.onerror = (e) => deps.logError?.(e);
  await server.connect(transport);
  return { closed, close };
}
