import type { Command } from 'commander';
import { systemClock } from '../../core/clock.js';
import { setAgentMode } from '../../core/governance.js';
import { createKey, revokeKey } from '../../core/key-admin.js';
import type { KeyKind } from '../../core/keys.js';
import { effectiveMode } from '../../core/pipeline/index.js';
import type { AgentMode } from '../../core/ports/storage.js';
import { agentDefinitions } from '../../wiring.js';
import { cliActor, keyAdminDeps, loadConfigOrExit, withStorage } from '../context.js';
import { action, fail, print } from '../io.js';

const MODES = ['observe', 'gated', 'autonomous', 'paused'] as const;

export function registerAdminCommands(program: Command): void {
  const keys = program
    .command('keys')
    .description('API keys for agents, people and KPI feeds (stored hashed; shown once).');
  keys
    .command('create')
    .description('Create a key and print it once. Exactly one of --agent, --person, --ingest.')
    .option('--agent <id>', 'an agent from the config')
    .option('--person <id>', 'a person from the config')
    .option('--ingest <name>', 'a KPI feed name (any name)')
    .option('--label <text>', 'a note shown in listings')
    .option('--as <person>', 'who is creating it (for the audit log)')
    .option('--json', 'print { id, token } as JSON')
    .option('-c, --config <file>', 'config file')
    .action(
      action(
        async (opts: {
          agent?: string;
          person?: string;
          ingest?: string;
          label?: string;
          as?: string;
          json?: boolean;
          config?: string;
        }) => {
          const given = (['agent', 'person', 'ingest'] as const).filter((k) => opts[k] !== undefined);
          if (given.length !== 1) fail('give exactly one of --agent ID, --person ID, --ingest NAME', 2);
          const kind: KeyKind = given[0]!;
          const config = loadConfigOrExit(opts.config);
          const { token, key } = await withStorage(config, (storage) =>
            createKey(keyAdminDeps(config, storage), {
              kind,
              subject: opts[kind]!,
              actor: cliActor(opts.as, config),
              ...(opts.label ? { label: opts.label } : {}),
            }),
          );
          if (opts.json) print(JSON.stringify({ id: key.id, kind: key.kind, subject: key.subject, token }));
          else
            print(
              `${token}\n\nKey ${key.id} for ${kind} ${key.subject}. This is the only time the key is shown; store it as a secret.`,
            );
        },
      ),
    );
  keys
    .command('list')
    .description('List keys (prefixes only; tokens are never stored).')
    .option('-c, --config <file>', 'config file')
    .action(
      action(async (opts: { config?: string }) => {
        const config = loadConfigOrExit(opts.config);
        const rows = await withStorage(config, (s) => s.keys.list());
        if (rows.length === 0) return print('No keys yet. Create one with: gatehouse keys create --agent ID');
        for (const k of rows)
          print(
            `${k.id}  ${k.kind.padEnd(6)}  ${k.subject.padEnd(20)}  ${k.prefix}…  created ${k.createdAt}${k.revokedAt ? `  REVOKED ${k.revokedAt}` : ''}${k.label ? `  (${k.label})` : ''}`,
          );
      }),
    );
  keys
    .command('revoke')
    .description('Revoke a key: it stops authenticating at once, on every instance.')
    .argument('<key-id>', 'the key id from `gatehouse keys list`')
    .option('--as <person>', 'who is revoking it (for the audit log)')
    .option('-c, --config <file>', 'config file')
    .action(
      action(async (id: string, opts: { as?: string; config?: string }) => {
        const config = loadConfigOrExit(opts.config);
        const row = await withStorage(config, (storage) =>
          revokeKey({ storage, clock: systemClock }, { id, actor: cliActor(opts.as, config) }),
        );
        print(`Revoked ${row.id} (${row.kind} ${row.subject}).`);
      }),
    );

  const agents = program.command('agents').description('Agents and their modes.');
  agents
    .command('list')
    .description('List agents with their configured and effective modes.')
    .option('-c, --config <file>', 'config file')
    .action(
      action(async (opts: { config?: string }) => {
        const config = loadConfigOrExit(opts.config);
        const defs = agentDefinitions(config);
        await withStorage(config, async (storage) => {
          for (const def of defs.values()) {
            const mode = await effectiveMode(storage, def);
            const grants = def.grants
              .map((g) => `${g.connector}:${g.objects.join('+')}[${g.operations.join(',')}]`)
              .join(' ');
            print(
              `${def.id.padEnd(20)} ${mode.padEnd(10)}${mode !== def.mode ? ` (config: ${def.mode})` : ''}  owner ${def.owner}  ${grants}`,
            );
          }
        });
      }),
    );
  agents
    .command('mode')
    .description("Set an agent's mode (observe | gated | autonomous | paused); recorded in the audit log.")
    .argument('<agent>', 'agent id')
    .argument('<mode>', MODES.join(' | '))
    .requiredOption('--as <person>', 'the admin making the change')
    .option('--comment <text>', 'why (goes to the audit log)')
    .option('-c, --config <file>', 'config file')
    .action(
      action(async (agentId: string, mode: string, opts: { as: string; comment?: string; config?: string }) => {
        if (!(MODES as readonly string[]).includes(mode)) fail(`mode must be one of ${MODES.join(', ')}`, 2);
        const config = loadConfigOrExit(opts.config);
        const person = config.people.find((p) => p.id === opts.as);
        if (!person?.roles.includes('admin'))
          fail(`${opts.as} is not an admin in the config; only admins change agent modes`);
        const r = await withStorage(config, (storage) =>
          setAgentMode(
            { storage, clock: systemClock, agents: agentDefinitions(config) },
            {
              agentId,
              mode: mode as AgentMode,
              actor: cliActor(opts.as, config),
              ...(opts.comment ? { comment: opts.comment } : {}),
            },
          ),
        );
        print(`${r.agentId}: ${r.from} → ${r.to} (audit entry ${r.auditSeq})`);
      }),
    );
}
