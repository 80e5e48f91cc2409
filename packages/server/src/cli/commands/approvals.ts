import type { Command } from 'commander';
import { decideApproval } from '../../core/approvals/index.js';
import { loadAction } from '../../core/pipeline/index.js';
import type { ApprovalStatus } from '../../core/ports/storage.js';
import { cliActor, loadConfigOrExit, withPipeline, withStorage } from '../context.js';
import { action, fail, print } from '../io.js';

const STATUSES = ['pending', 'approved', 'rejected', 'expired', 'void'];

function collect(v: string, prev: string[]): string[] {
  return [
    ...prev,
    ...v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

export function registerApprovalCommands(program: Command): void {
  const approvals = program.command('approvals').description('Approval requests: list, inspect the diff, decide.');
  approvals
    .command('list')
    .description('List approval requests (default: pending).')
    .option('--status <status>', STATUSES.join(' | '), 'pending')
    .option('-c, --config <file>', 'config file')
    .action(
      action(async (opts: { status: string; config?: string }) => {
        if (!STATUSES.includes(opts.status)) fail(`--status must be one of ${STATUSES.join(', ')}`, 2);
        const config = loadConfigOrExit(opts.config);
        await withStorage(config, async (storage) => {
          const rows = await storage.approvals.list({ status: opts.status as ApprovalStatus, limit: 200 });
          if (rows.length === 0) return print(`No ${opts.status} approvals.`);
          for (const a of rows) {
            const act = await storage.actions.get(a.actionId);
            const votes = await storage.approvals.listVotes(a.id);
            print(
              `${a.id}  ${act?.agentId ?? '?'}  ${act ? `${act.object}.${act.operation}` : ''}  needs ${a.required} ${a.role} (${votes.filter((v) => v.decision === 'approve').length} so far)  expires ${a.expiresAt}  — ${(act?.request as { reason?: string } | undefined)?.reason ?? ''}`,
            );
          }
        });
      }),
    );
  approvals
    .command('show')
    .description(
      'Show one approval: the agent, its reason, the rules that asked, the checklist, votes and the field-level diff.',
    )
    .argument('<approval-id>')
    .option('--records <n>', 'how many records of the diff to print', (v) => Number.parseInt(v, 10), 50)
    .option('-c, --config <file>', 'config file')
    .action(
      action(async (id: string, opts: { records: number; config?: string }) => {
        const config = loadConfigOrExit(opts.config);
        await withStorage(config, async (storage) => {
          const a = await storage.approvals.get(id);
          if (!a) fail(`no approval ${id}`);
          const found = await loadAction(storage, a.actionId, opts.records);
          if (!found) fail(`approval ${id} has no action`);
          const { action: act, changeset } = found;
          const decision = act.decision as {
            rules?: string[];
            reasons?: string[];
            checks?: Record<string, { ok: boolean; severity?: string; summary?: string }>;
          } | null;
          const votes = await storage.approvals.listVotes(a.id);
          print(`Approval ${a.id} — ${a.status}, needs ${a.required} × ${a.role}, expires ${a.expiresAt}`);
          print(`Action ${act.id}: ${act.agentId} wants ${act.connector}.${act.object}.${act.operation}`);
          print(`Reason: ${(act.request as { reason?: string }).reason ?? ''}`);
          print(
            `Rules: ${(decision?.rules ?? []).join(', ') || '(agent is gated)'}  ${(decision?.reasons ?? []).join('; ')}`,
          );
          for (const [id, c] of Object.entries(decision?.checks ?? {})) {
            print(`Pre-flight ${c.ok ? 'ok  ' : c.severity === 'warn' ? 'WARN' : 'FAIL'} ${id}: ${c.summary ?? ''}`);
          }
          const items = Array.isArray(a.checklist) ? (a.checklist as string[]) : [];
          if (items.length) print(`Checklist: ${items.map((i) => `${i} (${config.checklists[i] ?? i})`).join(', ')}`);
          for (const v of votes)
            print(`Vote: ${v.personId} ${v.decision} at ${v.at}${v.comment ? ` — ${v.comment}` : ''}`);
          if (changeset) {
            const s = changeset.summary;
            print(
              `Change set ${changeset.hash.slice(0, 12)}: ${s.records} records, ${s.fields} fields, ${s.irreversible} IRREVERSIBLE, ${s.noop} no-op`,
            );
            for (const r of changeset.records) {
              for (const f of Object.keys(r.after)) {
                print(
                  `  ${r.object} ${r.id}.${f}: ${JSON.stringify(r.before[f] ?? null)} → ${JSON.stringify(r.after[f] ?? null)}${r.reversibility === 'irreversible' ? '  [irreversible]' : ''}${r.noop ? '  [no-op]' : ''}`,
                );
              }
            }
            if (changeset.truncated) print(`  … (${opts.records} shown; use --records N)`);
          }
        });
      }),
    );
  for (const verb of ['approve', 'reject', 'revise'] as const) {
    approvals
      .command(verb)
      .description(
        verb === 'approve'
          ? 'Approve as PERSON; every checklist item must be ticked with --check. Executes the action when quorum is reached.'
          : verb === 'reject'
            ? 'Reject as PERSON with a comment (returned to the agent).'
            : 'Request a revision as PERSON with a comment; the agent may submit a new action linked to this one.',
      )
      .argument('<approval-id>')
      .requiredOption('--as <person>', 'who decides (must have the approval role, must not own the agent)')
      .option('--comment <text>', verb === 'approve' ? 'optional note' : 'required: why')
      .option('--check <items>', 'checklist items ticked (repeat or comma-separate)', collect, [] as string[])
      .option('-c, --config <file>', 'config file')
      .action(
        action(async (id: string, opts: { as: string; comment?: string; check: string[]; config?: string }) => {
          const config = loadConfigOrExit(opts.config);
          cliActor(opts.as, config);
          const out = await withPipeline(config, (deps) =>
            decideApproval(deps, {
              approvalId: id,
              personId: opts.as,
              decision: verb,
              ...(opts.comment ? { comment: opts.comment } : {}),
              checklist: Object.fromEntries(opts.check.map((c) => [c, true])),
              channel: 'cli',
            }),
          );
          if (out.type === 'vote_recorded')
            print(`Vote recorded: ${out.approvals}/${out.required} approvals; waiting for more.`);
          else
            print(
              `${out.type}: action ${out.action.id} is now ${out.action.status}${out.action.error ? ` (${(out.action.error as { message: string }).message})` : ''}`,
            );
        }),
      );
  }
}
