/**
 * A quick in-process measurement for before/after comparisons on a busy machine:
 * `npx tsx bench/lib/quick-ab.ts [sequential] [concurrent]` prints wall and CPU ms per action for
 * N one-at-a-time actions and for 16 concurrent workers (and the same direct connector updates).
 * Run it on two trees back to back (alternating) and compare the CPU columns.
 */
import { resolveWorkspaceSources } from './from-source.js';
import { ownerUpdate } from './requests.js';

resolveWorkspaceSources();
const { submitAction } = await import('../../packages/server/src/core/pipeline/index.js');
const { openBenchGatehouse } = await import('./fixture.js');

const seqN = Number(process.argv[2] ?? 1500);
const concN = Number(process.argv[3] ?? 3000);
const b = await openBenchGatehouse({ contacts: 5_000, bulkContacts: 1_000, bulkRecords: 10 });
try {
  const ids = b.inScope;
  let i = 0;
  const one = async () => {
    const r = await submitAction(b.gh.pipeline, 'lead-router', ownerUpdate(ids[i++ % ids.length]!));
    if (r.action.status !== 'executed') throw new Error(`ended ${r.action.status}`);
  };
  const measure = async (label: string, n: number, workers: number, op: () => Promise<void>) => {
    let left = n;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (left-- > 0) await op();
      }),
    );
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1000;
    console.log(
      `${label.padEnd(24)} ${(wall / n).toFixed(3)} ms/action wall, ${(cpu / n).toFixed(3)} ms/action CPU, ${Math.round((n * 1000) / wall)}/s`,
    );
  };
  let d = 0;
  const direct = async () => {
    const plan = await b.crm.plan(ownerUpdate(ids[d % ids.length]!));
    await b.crm.apply(plan, {
      idempotencyKey: `ab-${process.pid}-${d++}`,
      actor: { kind: 'agent', id: 'x' },
      source: 'bench',
    });
  };
  for (let k = 0; k < 300; k++) await one();
  await measure('direct, 1 at a time', seqN * 2, 1, direct);
  await measure('direct, 16 concurrent', seqN * 2, 16, direct);
  await measure('pipeline, 1 at a time', seqN, 1, one);
  await measure('pipeline, 16 concurrent', concN, 16, one);
} finally {
  await b.close();
}
