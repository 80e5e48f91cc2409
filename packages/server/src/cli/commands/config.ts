import type { Command } from 'commander';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkConfig, starterConfig } from '../../config/index.js';
import { policyRules } from '../../wiring.js';
import { policyTestCommand } from '../policy-test.js';
import { loadConfigOrExit } from '../context.js';
import { action, configPath, fail, print } from '../io.js';

export function registerConfigCommands(program: Command): void {
  program
    .command('init')
    .description('Write a commented starter gatehouse.yaml into DIR (default: the current directory).')
    .argument('[dir]', 'directory to write gatehouse.yaml into', '.')
    .option('--force', 'overwrite an existing gatehouse.yaml')
    .action(
      action(async (dir: string, opts: { force?: boolean }) => {
        const target = join(resolve(dir), 'gatehouse.yaml');
        if (existsSync(target) && !opts.force) fail(`${target} already exists; use --force to overwrite it`);
        mkdirSync(resolve(dir), { recursive: true });
        writeFileSync(target, starterConfig(), { mode: 0o644 });
        print(`Wrote ${target}\nNext: gatehouse check --config ${target}   then   gatehouse serve --config ${target}`);
      }),
    );

  program
    .command('check')
    .description(
      'Validate a config file: prints every problem with its file, line and field; exits 1 when invalid, 2 when unreadable.',
    )
    .option('-c, --config <file>', 'config file')
    .action(
      action(async (opts: { config?: string }) => {
        const r = checkConfig(configPath(opts.config));
        (r.exitCode === 0 ? process.stdout : process.stderr).write(
          r.output.endsWith('\n') ? r.output : `${r.output}\n`,
        );
        return r.exitCode;
      }),
    );

  const policy = program.command('policy').description('Policy tools.');
  policy
    .command('test')
    .description(
      'Run a table of policy cases (inputs → expected decisions) against the configured policies, like `opa test`. Exits 1 on a mismatch, 2 on a malformed file.',
    )
    .argument('<cases>', 'YAML file with cases: [{ name, agent, action, changes, now?, expect: { effect, rules? } }]')
    .option('-c, --config <file>', 'config file whose policies are tested')
    .action(
      action(async (cases: string, opts: { config?: string }) => {
        const config = loadConfigOrExit(opts.config);
        const r = await policyTestCommand({ casesPath: cases, rules: policyRules(config) });
        print(r.output);
        return r.exitCode;
      }),
    );
}
