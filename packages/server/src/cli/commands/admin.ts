import type { Command } from 'commander';
import { systemClock } from '../../core/clock.js';
import { setAgentMode } from '../../core/governance.js';
import { createKey, revokeKey } from '../../core/key-admin.js';
import type { KeyKind } from '../../core/keys.js';
import { isGatehouseError } from '../../core/errors.js';
import { effectiveMode, knownOperations, loadModes, operationModeOf } from '../../core/pipeline/index.js';
import {
  formatEvidence,
  promoteAgent,
  promotionEvidence,
  PROMOTION_TARGETS,
  evidenceWire,
} from '../../core/shadow/index.js';
import type { AgentMode } from '../../core/ports/storage.js';
import { agentDefinitions } from '../../wiring.js';
import { cliActor, keyAdminDeps, loadConfigOrExit, withPipeline, withStorage } from '../context.js';
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
            const stored = await loadModes(storage, def.id);
            for (const op of knownOperations(def, stored)) {
              const r = operationModeOf(def, stored, op);
              print(`  ${op.padEnd(18)} ${r.mode.padEnd(10)} (${r.source.replace('_', ' ')})`);
            }
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
  agents
    .command('promote')
    .description(
      "Promote an agent (or one operation) to gated or autonomous on its shadow evidence: shows the evidence against the agent's promote_when criteria and refuses when they are not met, unless an admin gives --override-reason. Recorded in the audit log.",
    )
    .argument('<agent>', 'agent id')
    .requiredOption('--to <mode>', PROMOTION_TARGETS.join(' | '))
    .requiredOption('--as <person>', 'who decides: an admin, or the agent owner when the criteria are met')
    .option(
      '--operation <object.operation>',
      'promote only this operation, e.g. contacts.update (others keep their mode)',
    )
    .option('--override-reason <text>', 'admins: promote although the criteria are not met, and say why (audited)')
    .option('--dry-run', 'show the evidence and the verdict; change nothing')
    .option('--json', 'print JSON (the same shape as POST /v1/agents/{id}/promote)')
    .option('-c, --config <file>', 'config file')
    .addHelpText(
      'after',
      `
Evidence: the agent's shadow report over promote_when.window (default 14d), matched with
promote_when.match_window (default 7d); see 'gatehouse shadow report --help' for the definitions.
Criteria (gatehouse.yaml):
  promote_when: { min_proposals: 200, precision: 0.95, rule_adherence: 0.99, window: 14d,
                  contacts.update: { precision: 0.97 } }   # per-operation keys override
Without criteria, promotion to gated needs no evidence; to autonomous it needs an override.
Exit codes: 0 promoted, 1 refused (criteria not met, not allowed), 2 usage.

Examples:
  gatehouse agents promote lead-router --to autonomous --operation contacts.update --as maria
  gatehouse agents promote lead-router --to gated --as maria --override-reason "pilot week, reviewed by hand"`,
    )
    .action(
      action(
        async (
          agentId: string,
          opts: {
            to: string;
            as: string;
            operation?: string;
            overrideReason?: string;
            dryRun?: boolean;
            json?: boolean;
            config?: string;
          },
        ) => {
          if (!(PROMOTION_TARGETS as readonly string[]).includes(opts.to))
            fail(`--to must be one of ${PROMOTION_TARGETS.join(', ')}`, 2);
          if (opts.overrideReason !== undefined && opts.overrideReason.trim() === '')
            fail('--override-reason needs a written reason (it is recorded in the audit log)', 2);
          const config = loadConfigOrExit(opts.config);
          cliActor(opts.as, config);
          const person = config.people.find((p) => p.id === opts.as)!;
          const criteria = config.agents.find((a) => a.id === agentId)?.promote_when;
          const input = {
            agentId,
            to: opts.to as (typeof PROMOTION_TARGETS)[number],
            personId: person.id,
            roles: person.roles,
            ...(opts.operation !== undefined ? { operation: opts.operation } : {}),
            ...(opts.overrideReason !== undefined ? { overrideReason: opts.overrideReason } : {}),
            ...(criteria ? { criteria } : {}),
          };
          return withPipeline(config, async (deps) => {
            if (opts.dryRun) {
              const e = await promotionEvidence(deps, input);
              print(opts.json ? JSON.stringify({ dry_run: true, ...evidenceWire(e) }, null, 2) : formatEvidence(e));
              return e.verdict === null || e.verdict.met ? 0 : 1;
            }
            try {
              const r = await promoteAgent(deps, input);
              if (opts.json) {
                print(
                  JSON.stringify({ ...evidenceWire(r), override_reason: r.override, audit_seq: r.auditSeq }, null, 2),
                );
                return 0;
              }
              print(formatEvidence(r));
              print(
                `\n${r.agentId}${r.operation ? ` ${r.operation}` : ''}: ${r.from} → ${r.to}${r.override ? ` (criteria overridden: ${r.override})` : ''} (audit entry ${r.auditSeq})`,
              );
              return 0;
            } catch (e) {
              if (!isGatehouseError(e) || e.code !== 'promotion_criteria_not_met') throw e;
              const evidence = await promotionEvidence(deps, input);
              if (opts.json)
                print(JSON.stringify({ error: { code: e.code, message: e.message, details: e.details } }, null, 2));
              else print(formatEvidence(evidence));
              process.stderr.write(`gatehouse: ${e.message} [${e.code}]\n`);
              return 1;
            }
          });
        },
      ),
    );
}
