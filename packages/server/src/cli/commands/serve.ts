import type { Command } from 'commander';
import type { Gatehouse } from '../../create-gatehouse.js';
import { loadConfigOrExit } from '../context.js';
import { action, logLevel, portNumber, print } from '../io.js';

/** Closes cleanly on SIGINT/SIGTERM: stop taking requests, write the final signed audit checkpoint. */
export function closeOnSignals(gh: Gatehouse): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      print(`\n${signal}: shutting down (final audit checkpoint)…`);
      gh.close().then(resolve, (e: unknown) => {
        process.stderr.write(`shutdown failed: ${String(e)}\n`);
        process.exitCode = 1;
        resolve();
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description(
      'Run the Gatehouse server with the given config: the HTTP API (/v1, OpenAPI at /v1/openapi.json), the dashboard at /, MCP at /mcp, /metrics, Slack interactions, and the background work (approval deadlines, breaker evaluation, notification delivery, audit checkpoints).',
    )
    .option('-c, --config <file>', 'config file')
    .option('-p, --port <port>', 'listen on this port instead of server.listen', portNumber)
    .option('--log-level <level>', 'pino log level (fatal, error, warn, info, debug, trace, silent)', logLevel, 'info')
    .action(
      action(async (opts: { config?: string; port?: number; logLevel: string }) => {
        const config = loadConfigOrExit(opts.config);
        // Loaded on use: `gatehouse --help` and `check` need not load the server.
        const { createGatehouse } = await import('../../create-gatehouse.js');
        const gh = await createGatehouse({ config, logger: { level: opts.logLevel } });
        const address = await gh.listen(opts.port);
        print(`Gatehouse listening on ${address} (storage: ${gh.storage.dialect}, config: ${config.sourcePath})`);
        await closeOnSignals(gh);
      }),
    );

  program
    .command('demo')
    .description(
      'Start Gatehouse on embedded SQLite with a seeded sandbox CRM, run the demo agents from examples/ over the SDK (an executed change, a denied out-of-scope write, a shadowed write, a change waiting for approval; then a CTR collapse that trips a breaker and rolls back; then lead-router observing on a replica, scored against simulated reps and promoted on that evidence), print a summary with the audit verification and a dashboard password, and keep serving until Ctrl-C.',
    )
    .option('--dir <dir>', 'where the demo keeps its config, database and keys (wiped at start)', './data/demo')
    .option('-p, --port <port>', 'port to serve on (0 = any free port)', portNumber, 4100)
    .option('--contacts <n>', 'sandbox size in contacts', (v) => Number.parseInt(v, 10), 5000)
    .option('--exit', 'exit after the summary instead of serving')
    .action(
      action(async (opts: { dir: string; port: number; contacts: number; exit?: boolean }) => {
        const { runDemo } = await import('../demo.js');
        const gh = await runDemo({ dir: opts.dir, port: opts.port, contacts: opts.contacts, out: print });
        if (opts.exit) {
          await gh.close();
          return 0;
        }
        print('\nServing until Ctrl-C.');
        await closeOnSignals(gh);
      }),
    );
}
