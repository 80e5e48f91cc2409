/**
 * What `mode: dry_run` rules would have done. Every decision stores each dry-run rule's outcome
 * (`decision.dryRun`: matched, effect, error) next to the enforced result, so the report is a
 * count over stored actions — nothing is re-evaluated, and what is reported is exactly what the
 * rule said on live traffic at the time.
 *
 * Per rule: `evaluated` = actions whose decision carries the rule (actions refused before policy,
 * e.g. by a boundary, never reached it); `matched` = the rule would have fired; `would_change` =
 * its effect outranks the policy decision the action actually got (deny > require_approval >
 * allow), so enforcing it would have made the decision stricter (the agent's mode may have sent
 * the action to a person anyway: a gated agent's writes wait for approval whatever policy says);
 * `errors` = evaluations that failed (an enforce rule's error denies: these would have been denials).
 */
import type { ActionRow, Repos } from '../ports/storage.js';
import type { Effect } from './types.js';

const RANK: Readonly<Record<Effect, number>> = { allow: 0, require_approval: 1, deny: 2 };

export interface DryRunRuleReport {
  readonly id: string;
  readonly effect: Effect;
  readonly evaluated: number;
  readonly matched: number;
  readonly wouldChange: number;
  readonly errors: number;
  /** Per agent: matched of evaluated, sorted by matched (most first). */
  readonly agents: readonly { readonly agentId: string; readonly evaluated: number; readonly matched: number }[];
  /** Up to 10 ids of actions the rule matched, newest last. */
  readonly examples: readonly string[];
  readonly summary: string;
}

export interface DryRunReport {
  readonly since: string;
  readonly until: string;
  /** Actions decided in the period (whatever their outcome). */
  readonly actions: number;
  readonly rules: readonly DryRunRuleReport[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isEffect = (v: unknown): v is Effect => v === 'allow' || v === 'require_approval' || v === 'deny';

const VERB: Readonly<Record<Effect, string>> = {
  allow: 'explicitly allowed',
  require_approval: 'required approval for',
  deny: 'denied',
};

export function dryRunReport(
  rows: Iterable<ActionRow>,
  opts: { since: string; until: string; periodLabel?: string; ruleId?: string },
): DryRunReport {
  const rules = new Map<
    string,
    {
      effect: Effect;
      evaluated: number;
      matched: number;
      wouldChange: number;
      errors: number;
      agents: Map<string, { evaluated: number; matched: number }>;
      examples: string[];
    }
  >();
  let actions = 0;
  for (const row of rows) {
    actions++;
    const d = isRecord(row.decision) ? row.decision : undefined;
    const dry = d && Array.isArray(d.dryRun) ? d.dryRun : [];
    const actual: Effect = d && isEffect(d.effect) ? d.effect : 'allow';
    for (const r of dry) {
      if (!isRecord(r) || typeof r.id !== 'string' || !isEffect(r.effect)) continue;
      if (opts.ruleId !== undefined && r.id !== opts.ruleId) continue;
      let acc = rules.get(r.id);
      if (!acc) {
        acc = {
          effect: r.effect,
          evaluated: 0,
          matched: 0,
          wouldChange: 0,
          errors: 0,
          agents: new Map(),
          examples: [],
        };
        rules.set(r.id, acc);
      }
      acc.evaluated++;
      let agent = acc.agents.get(row.agentId);
      if (!agent) acc.agents.set(row.agentId, (agent = { evaluated: 0, matched: 0 }));
      agent.evaluated++;
      const failed = typeof r.error === 'string';
      if (failed) acc.errors++;
      // A failing enforce rule denies: count the error as what enforcing would have done.
      const wouldBe: Effect | undefined = failed ? 'deny' : r.matched === true ? r.effect : undefined;
      if (wouldBe === undefined) continue;
      if (!failed) acc.matched++;
      agent.matched += failed ? 0 : 1;
      if (RANK[wouldBe] > RANK[actual]) acc.wouldChange++;
      if (acc.examples.length < 10) acc.examples.push(row.id);
    }
  }
  const label = opts.periodLabel ?? `${opts.since} → ${opts.until}`;
  const n = (x: number) => x.toLocaleString('en-US');
  return {
    since: opts.since,
    until: opts.until,
    actions,
    rules: [...rules.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([id, r]) => {
        const agents = [...r.agents.entries()]
          .map(([agentId, a]) => ({ agentId, ...a }))
          .sort((a, b) => b.matched - a.matched || (a.agentId < b.agentId ? -1 : 1));
        const who = agents.filter((a) => a.matched > 0).map((a) => `${a.agentId} ${n(a.matched)}`);
        const summary =
          `rule ${id} would have ${VERB[r.effect]} ${n(r.matched)} of ${label}'s ${n(r.evaluated)} actions` +
          (r.wouldChange > 0 ? `, a stricter decision for ${n(r.wouldChange)}` : ', no decision stricter') +
          (who.length > 0 ? ` (${who.join(', ')})` : '') +
          (r.errors > 0 ? `; it failed to evaluate ${n(r.errors)} times (enforced, that denies)` : '');
        return {
          id,
          effect: r.effect,
          evaluated: r.evaluated,
          matched: r.matched,
          wouldChange: r.wouldChange,
          errors: r.errors,
          agents,
          examples: r.examples,
          summary,
        };
      }),
  };
}

/** Reads the period's actions from storage (oldest first, paged) and reports. */
export async function loadDryRunReport(
  repos: Pick<Repos, 'actions'>,
  opts: { since: string; until: string; periodLabel?: string; ruleId?: string },
): Promise<DryRunReport> {
  const rows: ActionRow[] = [];
  let afterId: string | undefined;
  for (;;) {
    const page = await repos.actions.list({
      since: opts.since,
      before: opts.until,
      order: 'asc',
      limit: 1_000,
      ...(afterId !== undefined ? { afterId } : {}),
    });
    rows.push(...page);
    if (page.length < 1_000) break;
    afterId = page[page.length - 1]!.id;
  }
  return dryRunReport(rows, opts);
}

export function dryRunWire(r: DryRunReport) {
  return {
    since: r.since,
    until: r.until,
    actions: r.actions,
    rules: r.rules.map((x) => ({
      id: x.id,
      effect: x.effect,
      evaluated: x.evaluated,
      matched: x.matched,
      would_change: x.wouldChange,
      errors: x.errors,
      agents: x.agents.map((a) => ({ agent_id: a.agentId, evaluated: a.evaluated, matched: a.matched })),
      example_action_ids: x.examples,
      summary: x.summary,
    })),
  };
}
