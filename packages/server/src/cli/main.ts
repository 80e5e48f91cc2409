#!/usr/bin/env node
/**
 * `gatehouse`: the command line. Every command that changes something goes through the same core
 * functions as the HTTP API, and every change lands in the audit log.
 */
import { Command } from 'commander';
import { registerAdminCommands } from './commands/admin.js';
import { registerApprovalCommands } from './commands/approvals.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerBreakerCommands } from './commands/breakers.js';
import { registerConfigCommands } from './commands/config.js';
import { registerMcpCommands } from './commands/mcp.js';
import { registerPeopleCommands } from './commands/people.js';
import { registerReplicaCommands } from './commands/replica.js';
import { registerServeCommands } from './commands/serve.js';
import { registerShadowCommands } from './commands/shadow.js';

const program = new Command();
program
  .name('gatehouse')
  .description(
    'Gatehouse: the control point between AI agents and your CRM.\nEvery agent read and write goes through it: boundaries, policy, approvals, staging diffs, audit.',
  )
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .configureHelp({ sortSubcommands: false });

registerServeCommands(program);
registerConfigCommands(program);
registerAdminCommands(program);
registerShadowCommands(program);
registerApprovalCommands(program);
registerPeopleCommands(program);
registerAuditCommands(program);
registerBreakerCommands(program);
registerReplicaCommands(program);
registerMcpCommands(program);

program.addHelpText(
  'after',
  `
Configuration: --config FILE, else $GATEHOUSE_CONFIG, else ./gatehouse.yaml.
Docs: README.md and docs/ (pipeline, approval lifecycle, breakers, audit log format, notifications, authentication).`,
);

await program.parseAsync(process.argv);
