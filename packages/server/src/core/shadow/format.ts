/**
 * Shadow reports for people: the wire shape (snake_case JSON, shared by HTTP and `--json`) and
 * the readable table the CLI prints, with the definitions next to the numbers.
 */
import type { CriteriaVerdict } from './criteria.js';
import type { PromotionEvidence } from './promote.js';
import type { AgentScore, ShadowMetrics, ShadowReport } from './types.js';
import type { Rate } from './wilson.js';

const rateWire = (r: Rate) => ({
  value: r.value,
  ci95: [round(r.low), round(r.high)],
  successes: r.successes,
  trials: r.trials,
});
const round = (x: number) => Math.round(x * 10_000) / 10_000;

export function metricsWire(m: ShadowMetrics) {
  return {
    proposals: m.proposals,
    agreement: m.agreement,
    disagreement: m.disagreement,
    missed: m.missed,
    unconfirmed: m.unconfirmed,
    pending: m.pending,
    superseded: m.superseded,
    actions: m.actions,
    allowed: m.allowed,
    precision: rateWire(m.precision),
    recall: rateWire(m.recall),
    rule_adherence: rateWire(m.ruleAdherence),
  };
}

export function agentWire(a: AgentScore) {
  return {
    agent_id: a.agentId,
    first_proposal_at: a.firstProposalAt,
    metrics: metricsWire(a.metrics),
    operations: a.operations.map((o) => ({
      operation: o.operation,
      metrics: metricsWire(o.metrics),
      buckets: o.buckets.map((b) => ({ start: b.start, metrics: metricsWire(b.metrics) })),
    })),
    buckets: a.buckets.map((b) => ({ start: b.start, metrics: metricsWire(b.metrics) })),
    examples: a.examples.map((e) => ({
      category: e.category,
      operation: e.operation,
      object: e.object,
      record_id: e.recordId,
      field: e.field,
      proposed: e.proposed ?? null,
      human: e.human ?? null,
      proposed_at: e.proposedAt ?? null,
      changed_at: e.changedAt ?? null,
      action_id: e.actionId ?? null,
      actor: e.actor ?? null,
    })),
  };
}

export function reportWire(r: ShadowReport) {
  return {
    from: r.from,
    to: r.to,
    match_window_ms: r.matchWindowMs,
    bucket: r.bucket,
    definitions: DEFINITIONS,
    agents: r.agents.map(agentWire),
  };
}

export function criteriaWire(v: CriteriaVerdict) {
  return {
    met: v.met,
    failed: v.failed,
    checks: v.checks.map((c) => ({
      criterion: c.criterion,
      required: c.required,
      actual: c.actual,
      ...(c.interval ? { ci95: [round(c.interval.low), round(c.interval.high)] } : {}),
      met: c.met,
    })),
  };
}

export const DEFINITIONS = {
  agreement:
    'a person set the field to the value the agent proposed (first change after the proposal, within the window)',
  disagreement: 'the first change a person made in the window set another value',
  missed:
    'a person changed a field the agent may write, on a record in its view, with no proposal of the agent waiting',
  unconfirmed: 'nobody changed the field within the window (pending: the window is still open)',
  superseded:
    'the agent proposed again for the same record and field before anyone answered; only the later one counts',
  precision: 'agreement / (agreement + disagreement)',
  recall: 'agreement / (agreement + disagreement + missed)',
  rule_adherence: 'share of proposed actions the policy would have allowed without a person',
  ci95: 'Wilson score interval, 95%',
} as const;

const pct = (r: Rate) => (r.value === null ? '—' : `${(100 * r.value).toFixed(1)}%`);
const ci = (r: Rate) => (r.value === null ? '' : ` (${(100 * r.low).toFixed(0)}–${(100 * r.high).toFixed(0)})`);
const n = (x: number) => x.toLocaleString('en-US');

export function formatDuration(ms: number): string {
  const d = ms / 86_400_000;
  if (Number.isInteger(d)) return `${d}d`;
  const h = ms / 3_600_000;
  return Number.isInteger(h) ? `${h}h` : `${Math.round(ms / 60_000)}m`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
    .join('\n');
}

const HEADER = [
  'agent / operation',
  'proposals',
  'agree',
  'disagree',
  'missed',
  'unconf.',
  'superseded',
  'precision (95% CI)',
  'recall (95% CI)',
  'rule adherence (95% CI)',
];

const rowOf = (label: string, m: ShadowMetrics) => [
  label,
  n(m.proposals),
  n(m.agreement),
  n(m.disagreement),
  n(m.missed),
  n(m.unconfirmed) + (m.pending > 0 ? ` (${n(m.pending)} pending)` : ''),
  n(m.superseded),
  pct(m.precision) + ci(m.precision),
  pct(m.recall) + ci(m.recall),
  pct(m.ruleAdherence) + ci(m.ruleAdherence),
];

export function formatReport(r: ShadowReport, opts: { buckets?: boolean; definitions?: boolean } = {}): string {
  const lines: string[] = [];
  lines.push(
    `Shadow report ${r.from.slice(0, 16).replace('T', ' ')} → ${r.to.slice(0, 16).replace('T', ' ')} UTC, match window ${formatDuration(r.matchWindowMs)}`,
  );
  lines.push('');
  if (r.agents.length === 0) {
    lines.push('No shadowed proposals in this period. Agents in observe mode record theirs as they work.');
  } else {
    const rows = [HEADER];
    for (const a of r.agents) {
      rows.push(rowOf(a.agentId, a.metrics));
      for (const o of a.operations) rows.push(rowOf(`  ${o.operation}`, o.metrics));
    }
    lines.push(table(rows));
    if (opts.buckets !== false) {
      for (const a of r.agents) {
        if (a.buckets.length < 2) continue;
        lines.push('', `${a.agentId} per ${r.bucket}:`);
        lines.push(
          table([
            ['  start', ...HEADER.slice(1)],
            ...a.buckets.map((b) => rowOf(`  ${b.start.slice(0, 10)}`, b.metrics)),
          ]),
        );
      }
    }
    const disagreements = r.agents.flatMap((a) =>
      a.examples.filter((e) => e.category === 'disagreement').map((e) => ({ a: a.agentId, e })),
    );
    if (disagreements.length > 0) {
      lines.push('', 'Examples of disagreement:');
      for (const { a, e } of disagreements.slice(0, 5))
        lines.push(
          `  ${a} proposed ${e.object} ${e.recordId}.${e.field} = ${JSON.stringify(e.proposed)}; ${e.actor ?? 'a person'} set ${JSON.stringify(e.human)}`,
        );
    }
  }
  if (opts.definitions !== false) {
    lines.push('', 'Definitions:');
    for (const [k, v] of Object.entries(DEFINITIONS)) lines.push(`  ${k.padEnd(15)} ${v}`);
  }
  return lines.join('\n');
}

/** The evidence next to the criteria, as `agents promote` prints it. */
export function formatEvidence(e: PromotionEvidence): string {
  const m = e.metrics;
  const target = `${e.agentId}${e.operation ? ` ${e.operation}` : ''}`;
  const lines = [
    `Promote ${target}: ${e.from} → ${e.to}`,
    `Evidence: shadow proposals ${e.window.from.slice(0, 16).replace('T', ' ')} → ${e.window.to.slice(0, 16).replace('T', ' ')} UTC, match window ${formatDuration(e.window.matchWindowMs)}${e.firstProposalAt ? `, first proposal ${e.firstProposalAt.slice(0, 10)}` : ''}`,
    `  ${n(m.proposals)} proposals: ${n(m.agreement)} agreed, ${n(m.disagreement)} disagreed, ${n(m.unconfirmed)} unconfirmed (${n(m.pending)} pending), ${n(m.superseded)} superseded; ${n(m.missed)} missed`,
    `  precision ${pct(m.precision)}${ci(m.precision)}, recall ${pct(m.recall)}${ci(m.recall)}, rule adherence ${pct(m.ruleAdherence)}${ci(m.ruleAdherence)} of ${n(m.actions)} actions`,
  ];
  if (!e.verdict) {
    lines.push('Criteria: none apply (this lowers the mode).');
  } else if (e.verdict.checks.length === 0) {
    lines.push(
      e.verdict.met
        ? 'Criteria: none configured (promote_when); gated needs no evidence: every write still waits for a person.'
        : 'Criteria: none configured (promote_when): autonomy needs criteria, or an admin override with a reason.',
    );
  } else {
    lines.push('Criteria (promote_when):');
    for (const c of e.verdict.checks) {
      const share = c.criterion !== 'min_proposals' && c.criterion !== 'min_days';
      const show = (v: number | null) => (v === null ? 'n/a' : share ? `${(100 * v).toFixed(1)}%` : String(v));
      const interval =
        c.interval && c.actual !== null
          ? ` (95% CI ${(100 * c.interval.low).toFixed(1)}–${(100 * c.interval.high).toFixed(1)}%)`
          : '';
      lines.push(
        `  ${c.met ? 'ok  ' : 'FAIL'} ${c.criterion.padEnd(15)} ${show(c.actual).padStart(7)}${interval}  required ≥ ${show(c.required)}`,
      );
    }
  }
  return lines.join('\n');
}
