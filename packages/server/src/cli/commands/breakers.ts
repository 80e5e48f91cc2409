import type { Command } from 'commander';
import {
  breakerRoles,
  changeBreaker,
  listBreakers,
  type BreakerDeps,
  type ManualEventType,
} from '../../core/breakers/service.js';
import { cliActor, loadConfigOrExit, withPipeline } from '../context.js';
import { action, fail, print } from '../io.js';

interface ChangeOpts {
  as: string;
  comment?: string;
  scope?: string;
  config?: string;
}

const CONTROLS: readonly { name: string; event: ManualEventType; description: string }[] = [
  {
    name: 'reset',
    event: 'reset',
    description: 'Close a tripped breaker (responders only): half-open with its probe budget, or closed.',
  },
  { name: 'force-open', event: 'force_open', description: "Halt a breaker's scopes by hand (responder or admin)." },
  { name: 'disable', event: 'disable', description: 'Let writes through and ignore trips (responder or admin).' },
  { name: 'enable', event: 'enable', description: 'Lift force-open or disable.' },
];

export function registerBreakerCommands(program: Command): void {
  const breakers = program.command('breakers').description('Circuit breakers: states, resets, manual holds.');
  breakers
    .command('list')
    .description('Each breaker with the state of each scope and its last evaluation.')
    .option('--json', 'print JSON')
    .option('-c, --config <file>', 'config file')
    .action(
      action(async (opts: { json?: boolean; config?: string }) => {
        const config = loadConfigOrExit(opts.config);
        const list = await withPipeline(config, (deps) => listBreakers({ ...deps, breakers: config.breakers }));
        if (opts.json) return print(JSON.stringify(list, null, 2));
        if (list.length === 0) return print('No breakers in the config.');
        for (const b of list) {
          print(`${b.id}  ${b.metric}  window ${b.window_ms / 60_000}m`);
          for (const s of b.scopes) {
            const last = s.last_evaluation ? `  last: ${s.last_evaluation.reason}` : '  never evaluated';
            print(`  ${s.scope.padEnd(28)} ${s.state.padEnd(11)} since ${s.since ?? '-'}${last}`);
          }
        }
      }),
    );
  for (const c of CONTROLS) {
    breakers
      .command(c.name)
      .description(c.description)
      .argument('<breaker>', 'breaker id')
      .requiredOption('--as <person>', 'the person doing it (their roles decide)')
      .option('--comment <text>', 'why (required except for enable; goes to the audit log)')
      .option('--scope <key>', 'one scope (agent:<id> or all); default every scope it applies to')
      .option('-c, --config <file>', 'config file')
      .action(
        action(async (breakerId: string, opts: ChangeOpts) => {
          const config = loadConfigOrExit(opts.config);
          const person = config.people.find((p) => p.id === opts.as);
          if (!person) fail(`--as ${opts.as}: no such person in the config`);
          const results = await withPipeline(config, (deps) => {
            const bdeps: BreakerDeps = { ...deps, breakers: config.breakers };
            return changeBreaker(bdeps, {
              breakerId,
              event: c.event,
              actor: cliActor(opts.as, config),
              roles: breakerRoles(person, config),
              ...(opts.comment !== undefined ? { comment: opts.comment } : {}),
              ...(opts.scope !== undefined ? { scopeKey: opts.scope } : {}),
            });
          });
          for (const r of results) print(`${breakerId} ${r.scopeKey}: ${r.from} → ${r.to} (audit entry ${r.auditSeq})`);
        }),
      );
  }
}
