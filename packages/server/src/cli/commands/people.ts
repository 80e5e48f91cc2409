/**
 * `gatehouse people`: the people in the config, and their dashboard passwords. People themselves
 * are declared in gatehouse.yaml (id, name, email, roles); only the password lives in storage.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { setPassword } from '../../core/auth/credentials.js';
import { checkPasswordPolicy } from '../../core/auth/password.js';
import { systemClock } from '../../core/clock.js';
import { cliActor, loadConfigOrExit, withStorage } from '../context.js';
import { action, fail, print } from '../io.js';

export function registerPeopleCommands(program: Command): void {
  const people = program.command('people').description('People from the config and their dashboard passwords.');

  people
    .command('list')
    .description('List people with their roles and whether a dashboard password is set.')
    .option('--json', 'print one JSON object per person')
    .option('-c, --config <file>', 'config file')
    .action(
      action(async (opts: { json?: boolean; config?: string }) => {
        const config = loadConfigOrExit(opts.config);
        if (config.people.length === 0) return print('No people in the config (add them under `people:`).');
        const rows = await withStorage(config, async (storage) => {
          const out = [];
          for (const p of config.people) out.push({ person: p, credential: await storage.credentials.get(p.id) });
          return out;
        });
        for (const { person: p, credential: c } of rows) {
          if (opts.json)
            print(
              JSON.stringify({
                id: p.id,
                name: p.name,
                email: p.email,
                roles: p.roles,
                password_set: c !== undefined,
                password_updated_at: c?.updatedAt ?? null,
              }),
            );
          else
            print(
              `${p.id.padEnd(16)} ${p.name.padEnd(22)} ${p.roles.join(',').padEnd(26)} ${c ? `password set ${c.updatedAt}` : 'no password'}`,
            );
        }
      }),
    );

  people
    .command('set-password')
    .description(
      "Set a person's dashboard password (at least 12 characters). Prompts without echo on a terminal; signs the person out everywhere.",
    )
    .argument('<person>', 'a person id from the config')
    .option('--password-stdin', 'read the password from the first line of stdin (for scripts)')
    .option('--as <person>', 'who is setting it (for the audit log)')
    .option('-c, --config <file>', 'config file')
    .action(
      action(async (personId: string, opts: { passwordStdin?: boolean; as?: string; config?: string }) => {
        const config = loadConfigOrExit(opts.config);
        const ids = new Set(config.people.map((p) => p.id));
        if (!ids.has(personId))
          fail(`no person '${personId}' in the config (people: ${[...ids].join(', ') || 'none'})`, 2);
        const actor = cliActor(opts.as, config);

        let password: string;
        if (opts.passwordStdin) {
          password = await readLine(process.stdin);
        } else if (process.stdin.isTTY) {
          password = await promptHidden(`New password for ${personId}: `);
          const policy = checkPasswordPolicy(password);
          if (!policy.ok) fail(policy.message, 2);
          if ((await promptHidden('Repeat it: ')) !== password)
            fail('the two passwords differ; nothing was changed', 2);
        } else {
          fail('stdin is not a terminal: pass --password-stdin to read the password from stdin', 2);
        }
        const policy = checkPasswordPolicy(password);
        if (!policy.ok) fail(policy.message, 2);

        const r = await withStorage(config, (storage) =>
          setPassword({ storage, clock: systemClock, personIds: ids }, { personId, password, actor }),
        );
        print(
          `Password set for ${personId}.${r.sessionsRevoked > 0 ? ` ${r.sessionsRevoked} open session${r.sessionsRevoked === 1 ? '' : 's'} signed out.` : ''} (audit entry ${r.auditSeq})`,
        );
      }),
    );
}

/** The first line of a stream (without its line ending); '' when the stream ends empty. */
async function readLine(input: NodeJS.ReadableStream): Promise<string> {
  const rl = createInterface({ input, crlfDelay: Infinity, terminal: false });
  try {
    for await (const line of rl) return line;
    return '';
  } finally {
    rl.close();
  }
}

/** Reads a line from the terminal in raw mode, echoing nothing; Ctrl-C aborts with exit code 130. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve) => {
    let value = '';
    const done = (abort: boolean) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (abort) fail('cancelled; nothing was changed', 130);
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(false);
        if (ch === '\u0003') return done(true); // Ctrl-C
        if (ch === '\u0004') {
          if (value === '') return done(true); // Ctrl-D on an empty line
          continue;
        }
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
