/**
 * `npm run bench`: runs every bench/*.bench.ts (or the ones named on the command line) and prints
 * each result as a table, with the machine it ran on. Targets are checked here, not in unit tests,
 * because timings on shared machines are too noisy for pass/fail tests.
 */
import { readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

export { formatTable, type BenchResult } from './lib/table.js';
import { formatTable, type BenchResult } from './lib/table.js';

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
