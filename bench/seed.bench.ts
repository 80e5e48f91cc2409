/**
 * Sandbox seeding: wall and CPU time to build a file-backed sandbox for 5k and 50k contacts
 * (companies and deals proportional, every initial value with history), and proof that two
 * builds of the same seed are byte-identical (same dump hash). Target: 50k contacts in < 10 s.
 *
 * `npm run bench seed` or `npx tsx bench/seed.bench.ts`.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSandboxConnector } from '../packages/server/src/adapters/connectors/sandbox/index.js';
import { formatTable, type BenchResult } from './lib/table.js';

const SEED = 42;
const TARGET_50K_S = 10;

async function build(dir: string, name: string, contacts: number) {
  const size = { contacts, companies: Math.round(contacts * 0.16), deals: Math.round(contacts * 0.24) };
  const path = join(dir, `${name}.db`);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const connector = await createSandboxConnector({ id: 'crm', seed: SEED, size, path });
  const seedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const t1 = performance.now();
  const hash = connector.dumpHash();
  const hashMs = performance.now() - t1;
  const count = (sql: string) => (connector.store.db.prepare(sql).get() as { n: number }).n;
  const records = count('SELECT count(*) AS n FROM records');
  const history = count('SELECT count(*) AS n FROM history');
  await connector.close();
  const t2 = performance.now();
  const reopened = await createSandboxConnector({ id: 'crm', seed: SEED, size, path });
  const reopenMs = performance.now() - t2;
  await reopened.close();
  return {
    size,
    seedMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    hash,
    hashMs,
    records,
    history,
    reopenMs,
    bytes: statSync(path).size,
  };
}

export async function run(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-seed-bench-'));
  const rows: BenchResult['rows'] = [];
  try {
    for (const contacts of [5_000, 50_000]) {
      const a = await build(dir, `a-${contacts}`, contacts);
      const b = await build(dir, `b-${contacts}`, contacts);
      const best = Math.min(a.seedMs, b.seedMs);
      rows.push({
        contacts,
        companies: a.size.companies,
        deals: a.size.deals,
        records: a.records,
        'history rows': a.history,
        'seed s (build 1 / 2)': `${(a.seedMs / 1000).toFixed(2)} / ${(b.seedMs / 1000).toFixed(2)}`,
        'seed cpu s': Number((a.cpuMs / 1000).toFixed(2)),
        'rows/s': Math.round((a.records + a.history) / (best / 1000)),
        'db MiB': Number((a.bytes / 2 ** 20).toFixed(1)),
        'dump hash s': Number((a.hashMs / 1000).toFixed(2)),
        'reopen ms': Number(a.reopenMs.toFixed(1)),
        'same hash': a.hash === b.hash ? `yes (${a.hash.slice(0, 12)})` : 'NO',
        target:
          contacts === 50_000
            ? best / 1000 < TARGET_50K_S
              ? `ok (< ${TARGET_50K_S} s)`
              : `MISSED (< ${TARGET_50K_S} s)`
            : '',
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    title: 'Sandbox seeding (file-backed, seed 42, companies 16% and deals 24% of contacts)',
    rows,
    notes: [
      'seed s: open + generate + load + index, wall clock; "same hash": two independent builds dump identically.',
    ],
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await run();
  console.log(`## ${result.title}\n\n${formatTable(result.rows)}`);
  for (const note of result.notes ?? []) console.log(`\n${note}`);
}
