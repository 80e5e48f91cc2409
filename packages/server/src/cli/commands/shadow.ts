import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../../config/duration.js';
import { systemClock } from '../../core/clock.js';
import { loadDryRunReport, dryRunWire } from '../../core/policy/index.js';
import {
  DEFAULT_EVIDENCE_WINDOW_MS,
  DEFAULT_MATCH_WINDOW_MS,
  formatReport,
  loadShadowReport,
  MAX_REPORT_SPAN_MS,
  reportWire,
} from '../../core/shadow/index.js';
import { loadConfigOrExit, withPipeline, withStorage } from '../context.js';
import { action, fail, print } from '../io.js';

export function durationArg(v: string): number {
  const ms = parseDuration(v);
  if (ms === undefined) throw new InvalidArgumentError('must be a duration such as 24h, 7d or 14d');
  if (ms > MAX_REPORT_SPAN_MS) throw new InvalidArgumentError('must be at most 3650d');
  return ms;
}

const SHADOW_HELP = `
Each proposal an agent made in observe mode (one record field it would have set) is matched to
what PEOPLE did to the same record and field afterwards:
  agreement     the first change a person made within the window set the same value
  disagreement  the first change a person made within the window set another value
  unconfirmed   nobody changed it within the window (pending: the window is still open)
  superseded    the agent proposed again for that record and field before anyone answered
  missed        a person changed a field the agent may write, on a record in its view, and the
                agent had proposed nothing for it
Changes before a proposal and after its window are ignored.
  precision      = agreement / (agreement + disagreement)
  recall         = agreement / (agreement + disagreement + missed)
  rule adherence = share of proposed actions the policy would have allowed without a person
Intervals are Wilson 95%. Details: docs/shadow-mode.md.

Examples:
  gatehouse shadow report --agent lead-router --since 14d
  gatehouse shadow report --since 30d --window 3d --bucket week --json`;

export function registerShadowCommands(program: Command): void {
  const shadow = program
    .command('shadow')
    .description('Shadow mode evidence: how observe-mode proposals compare with what people did.');
  shadow
    .command('report')
    .description("Score agents' shadowed proposals against people's changes (precision, recall, rule adherence).")
    .option('--agent <id>', 'only this agent (default: every agent with shadow evidence)')
    .option('--operation <object.operation>', 'only this operation, e.g. contacts.update')
    .option('--since <duration>', "how far back (default: the agent's promote_when window, else 14d)", durationArg)
    .option(
      '--window <duration>',
      'match window after each proposal (default: promote_when match_window, else 7d)',
      durationArg,
    )
    .option('--bucket <size>', 'over-time buckets: day | week', 'day')
    .option('--json', 'print the report as JSON (the same shape as GET /v1/agents/{id}/shadow)')
    .option('-c, --config <file>', 'config file')
    .addHelpText('after', SHADOW_HELP)
    .action(
      action(
        async (opts: {
          agent?: string;
          operation?: string;
          since?: number;
          window?: number;
          bucket: string;
          json?: boolean;
          config?: string;
        }) => {
          if (opts.bucket !== 'day' && opts.bucket !== 'week') fail('--bucket must be day or week', 2);
          if (opts.operation !== undefined && !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(opts.operation))
            fail(`--operation must be 'object.operation', e.g. contacts.update (got '${opts.operation}')`, 2);
          const config = loadConfigOrExit(opts.config);
          if (opts.agent !== undefined && !config.agents.some((a) => a.id === opts.agent))
            fail(`no agent '${opts.agent}' in the config (agents: ${config.agents.map((a) => a.id).join(', ')})`);
          const criteria = config.agents.find((a) => a.id === opts.agent)?.promote_when;
          const report = await withPipeline(config, (deps) => {
            const now = systemClock.now();
            return loadShadowReport(deps, {
              ...(opts.agent !== undefined ? { agentId: opts.agent } : {}),
              ...(opts.operation !== undefined ? { operation: opts.operation } : {}),
              since: new Date(now.getTime() - (opts.since ?? criteria?.window_ms ?? DEFAULT_EVIDENCE_WINDOW_MS)),
              matchWindowMs: opts.window ?? criteria?.match_window_ms ?? DEFAULT_MATCH_WINDOW_MS,
              bucket: opts.bucket as 'day' | 'week',
            });
          });
          print(opts.json ? JSON.stringify(reportWire(report), null, 2) : formatReport(report));
        },
      ),
    );

  const policy = program.commands.find((c) => c.name() === 'policy') ?? program.command('policy');
  policy
    .command('dry-run-report')
    .description(
      'What dry_run policy rules would have done on live traffic: "rule X would have required approval for 37 of the last 24h\'s 1,204 actions".',
    )
    .option('--since <duration>', 'how far back, e.g. 24h or 7d (default: 24h)', durationArg, 24 * 3_600_000)
    .option('--rule <id>', 'only this rule')
    .option('--json', 'print JSON (the same shape as GET /v1/policies/dry-run)')
    .option('-c, --config <file>', 'config file')
    .addHelpText(
      'after',
      `
A rule with \`mode: dry_run\` is evaluated on every action that reaches policy, and its would-be
outcome is stored with the action's decision; it never changes the outcome. "a stricter decision
for N" counts actions where enforcing the rule would have given a stricter policy decision
(deny > require_approval > allow) than the one they got. Details: docs/shadow-mode.md.`,
    )
    .action(
      action(async (opts: { since: number; rule?: string; json?: boolean; config?: string }) => {
        const config = loadConfigOrExit(opts.config);
        const now = systemClock.now();
        const label = `the last ${labelOf(opts.since)}`;
        const report = await withStorage(config, (storage) =>
          loadDryRunReport(storage, {
            since: new Date(now.getTime() - opts.since).toISOString(),
            until: new Date(now.getTime() + 1).toISOString(),
            periodLabel: label,
            ...(opts.rule !== undefined ? { ruleId: opts.rule } : {}),
          }),
        );
        const configured = config.policies.filter((p) => p.mode === 'dry_run').map((p) => p.id);
        // A rule no longer in the config may still have evaluations in the period; a typo has neither.
        if (opts.rule !== undefined && report.rules.length === 0 && !config.policies.some((p) => p.id === opts.rule))
          fail(`no policy rule '${opts.rule}' in the config (dry_run rules: ${configured.join(', ') || 'none'})`, 2);
        if (opts.json) return print(JSON.stringify(dryRunWire(report), null, 2));
        if (report.rules.length === 0) {
          print(
            configured.length === 0
              ? 'No policy rule has mode: dry_run in the config.'
              : `No action in ${label} was evaluated by ${opts.rule ?? configured.join(', ')} (${report.actions.toLocaleString('en-US')} actions in the period).`,
          );
          return;
        }
        for (const r of report.rules) print(r.summary);
      }),
    );
}

function labelOf(ms: number): string {
  const h = ms / 3_600_000;
  if (h % 24 === 0 && h >= 48) return `${h / 24}d`;
  return Number.isInteger(h) ? `${h}h` : `${Math.round(ms / 60_000)}m`;
}
