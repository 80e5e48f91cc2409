import type { Command } from 'commander';
import { loadConfigOrExit } from '../context.js';
import { action, fail, logLevel } from '../io.js';

export const AGENT_KEY_ENV = 'GATEHOUSE_AGENT_KEY';

/**
 * `gatehouse mcp`: an MCP server on stdin/stdout for one agent, in process (nothing listens).
 * stdout is the protocol stream: everything else (logs, warnings, errors) goes to stderr.
 */
export function registerMcpCommands(program: Command): void {
  program
    .command('mcp')
    .description(
      "Serve the Model Context Protocol on stdin/stdout for one agent (for Claude Desktop and other MCP clients that start a command). The tools are generated from the agent's grants; every call goes through the same pipeline as the HTTP API.",
    )
    .option('-c, --config <file>', 'config file')
    .option(
      '-k, --key <key>',
      `the agent key (default: $${AGENT_KEY_ENV}; prefer the variable: arguments show up in process lists)`,
    )
    .option('--log-level <level>', 'pino log level on stderr (fatal, error, warn, info, debug)', logLevel, 'warn')
    .addHelpText(
      'after',
      `
The agent key comes from 'gatehouse keys create --agent <id>'. Example client config (Claude Desktop):

  { "mcpServers": { "gatehouse": {
      "command": "npx", "args": ["gatehouse", "mcp", "--config", "/path/to/gatehouse.yaml"],
      "env": { "${AGENT_KEY_ENV}": "gh_agent_…" } } } }

Tools: <object>_list, <object>_get, <object>_search (reads, masked as granted), <object>_<operation>
(writes: update, create, launch, pause, enroll — only the fields and operations granted),
gatehouse_action_status and gatehouse_wait_for_action (wait for an approval decision).
A refusal is a tool error with its code (field_not_writable, record_out_of_scope, policy_denied, …).
The process runs the background work (approval deadlines, audit checkpoints) like 'serve'; it ends
when the client closes stdin, or on SIGTERM/SIGINT, after a final audit checkpoint.
Over HTTP, the same tools are at POST /mcp of 'gatehouse serve'. See docs/connect/mcp.md.`,
    )
    .action(
      action(async (opts: { config?: string; key?: string; logLevel: string }) => {
        const token = (opts.key ?? process.env[AGENT_KEY_ENV] ?? '').trim();
        if (!token) {
          fail(
            `no agent key: pass --key or set ${AGENT_KEY_ENV} (create one with 'gatehouse keys create --agent <id>')`,
          );
        }
        // Anything that would print to stdout would corrupt the protocol stream.
        console.log = console.error;
        console.info = console.error;
        const config = loadConfigOrExit(opts.config);
        const { createGatehouse, VERSION } = await import('../../create-gatehouse.js');
        const { agentForKey, serveStdio } = await import('../../mcp/stdio.js');
        const gh = await createGatehouse({ config, logger: { level: opts.logLevel } });
        let agent;
        try {
          agent = await agentForKey({ agents: gh.pipeline.agents, storage: gh.storage }, token);
        } catch (e) {
          await gh.close();
          throw e;
        }
        const session = await serveStdio(
          {
            pipeline: gh.pipeline,
            version: VERSION,
            logError: (e) => gh.http.log.error({ err: e }, 'mcp: a tool call or an input line failed'),
          },
          agent,
        );
        process.stderr.write(
          `gatehouse mcp: serving ${agent.id} on stdio (storage: ${gh.storage.dialect}, config: ${config.sourcePath})\n`,
        );
        const onTerm = () => void session.close('SIGTERM');
        const onInt = () => void session.close('SIGINT');
        process.once('SIGTERM', onTerm);
        process.once('SIGINT', onInt);
        const reason = await session.closed;
        process.off('SIGTERM', onTerm);
        process.off('SIGINT', onInt);
        process.stderr.write(`gatehouse mcp: ${reason}; shutting down (final audit checkpoint)\n`);
        // close() writes the final signed audit checkpoint.
        await gh.close();
        // Open handles (stdin, pino's destination) must not keep a finished server alive.
        process.exit(process.exitCode ?? 0);
      }),
    );
}
