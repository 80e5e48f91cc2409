import type { Command } from 'commander';
import { createWriteStream, existsSync } from 'node:fs';
import { once } from 'node:events';
import { generateKeyPairSync } from 'node:crypto';
import { exportJsonl } from '../../adapters/audit/export.js';
import { loadVerifyKey } from '../../adapters/audit/signing-key.js';
import { formatReport, verifyAudit } from '../../core/audit/index.js';
import { loadConfigOrExit, withStorage } from '../context.js';
import { action, fail, print } from '../io.js';

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('The tamper-evident audit log (docs/audit-log-format.md).');
  audit
    .command('verify')
    .description(
      'Walk the hash chain and the signed checkpoints. Prints OK, or exactly which entry was modified, removed, reordered or where the tail was truncated; exits 1 on any problem.',
    )
    .option('-c, --config <file>', 'config file')
    .option('--key <file>', 'public key to verify with (default: <audit.signing_key_file>.pub)')
    .option('--json', 'print the report as JSON')
    .action(
      action(async (opts: { config?: string; key?: string; json?: boolean }) => {
        const config = loadConfigOrExit(opts.config);
        const keyFile =
          opts.key ??
          (existsSync(`${config.audit.signing_key_file}.pub`)
            ? `${config.audit.signing_key_file}.pub`
            : config.audit.signing_key_file);
        const report = await withStorage(config, async (storage) => {
          const checkpoints = await storage.audit.listCheckpoints();
          // Before the first server start there is no key and no checkpoint: the chain alone is
          // verifiable. Once a checkpoint exists, its key is required.
          const publicKey =
            checkpoints.length === 0 && !opts.key && !existsSync(keyFile)
              ? generateKeyPairSync('ed25519').publicKey
              : loadVerifyKey(keyFile);
          return verifyAudit({ entries: storage.audit.iterate({ batchSize: 5000 }), checkpoints, publicKey });
        });
        print(opts.json ? JSON.stringify(report, null, 2) : formatReport(report));
        return report.ok ? 0 : 1;
      }),
    );
  audit
    .command('export')
    .description('Export the log as JSON lines (one canonical entry per line, checkpoints as {"checkpoint": …} lines).')
    .option('--format <format>', 'only jsonl', 'jsonl')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .option('-c, --config <file>', 'config file')
    .action(
      action(async (opts: { format: string; out?: string; config?: string }) => {
        if (opts.format !== 'jsonl') fail(`--format ${opts.format}: only jsonl is supported`, 2);
        const config = loadConfigOrExit(opts.config);
        const stream = opts.out ? createWriteStream(opts.out, { flags: 'wx' }) : process.stdout;
        const r = await withStorage(config, async (storage) =>
          exportJsonl(
            storage.audit.iterate({ batchSize: 5000 }),
            async (line) => {
              if (!stream.write(line)) await once(stream, 'drain');
            },
            { checkpoints: await storage.audit.listCheckpoints() },
          ),
        );
        if (opts.out) {
          (stream as ReturnType<typeof createWriteStream>).end();
          process.stderr.write(`Exported ${r.entries} entries and ${r.checkpoints} checkpoints to ${opts.out}\n`);
        }
      }),
    );
}
