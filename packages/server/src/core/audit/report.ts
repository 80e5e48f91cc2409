/** Human text for `gatehouse audit verify`. */
import type { AuditProblem, AuditReport } from './types.js';

const n = (x: number) => x.toLocaleString('en-US');
const plural = (x: number, one: string, many = `${one}s`) => `${n(x)} ${x === 1 ? one : many}`;

export function formatReport(report: AuditReport): string {
  const counts = `${plural(report.entries, 'entry', 'entries')}, ${plural(report.checkpoints, 'checkpoint')}`;
  const cp = report.lastCheckpoint;
  const last = cp
    ? `last checkpoint #${n(cp.seq)} at ${cp.at} covers ${cp.lastEntrySeq === 0 ? 'no entries' : `entry ${n(cp.lastEntrySeq)}`}`
    : 'no valid checkpoint';
  const uncovered =
    report.uncoveredEntries > 0
      ? ` (${plural(report.uncoveredEntries, 'newer entry', 'newer entries')} not yet covered by a checkpoint)`
      : '';
  if (report.ok) return `OK: ${counts}, ${last}${uncovered}`;

  const total = report.problems.length + report.moreProblems;
  const lines = [`TAMPERED: ${plural(total, 'problem')} in ${counts}; ${last}${uncovered}`];
  for (const p of report.problems) lines.push(`  - ${label(p)}: ${p.message}`);
  if (report.moreProblems > 0) lines.push(`  … and ${plural(report.moreProblems, 'more problem')} not listed`);
  return lines.join('\n');
}

function label(p: AuditProblem): string {
  const where =
    p.seq !== undefined && !p.kind.includes('checkpoint')
      ? ` at entry ${n(p.seq)}${p.endSeq !== undefined ? `–${n(p.endSeq)}` : ''}`
      : p.checkpointSeq !== undefined
        ? ` at checkpoint #${n(p.checkpointSeq)}`
        : '';
  return `${p.kind}${where}`;
}
