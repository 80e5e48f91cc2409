/**
 * `npm run bench`: runs every bench/*.bench.ts (or the ones named on the command line) and prints
 * each result as a table, with the machine it ran on. Targets are checked here, not in unit tests,
 * because timings on shared machines are too noisy for pass/fail tests.
 */
import { readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchResult {
  title: string;
  rows: Record<string, string | number>[];
  notes?: string[];
}

export function formatTable(rows: Record<string, string | number>[]): string {
  if (rows.length === 0) return '(no rows)';
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: string | number | undefined) =>
    v === undefined ? '' : typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : v;
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => `| ${vals.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    line(cols),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map((r) => line(cols.map((c) => cell(r[c])))),
  ].join('\n');
}

async function main() {
  const dir = fileURLToPath(new URL('.', import.meta.url));
  const only = process.argv.slice(2);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
    .sort();
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  console.log(`Machine: ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}\n`);
  for (const f of files) {
    const mod = (await import(pathToFileURL(`${dir}/${f}`).href)) as { run: () => Promise<BenchResult> };
    const started = Date.now();
    const r = await mod.run();
    console.log(`## ${r.title}  (${f}, ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    console.log(formatTable(r.rows));
    for (const n of r.notes ?? []) console.log(`\n${n}`);
    console.log('');
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
