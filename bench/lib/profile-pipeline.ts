/**
 * Where the pipeline spends its time (the bench says how fast; this says why).
 *
 *   npx tsx bench/lib/profile-pipeline.ts stages [actions]   ports, SQL statements and WAL pages per action
 *   npx tsx bench/lib/profile-pipeline.ts cpu [actions]      CPU profile of in-process submitAction
 *   npx tsx bench/lib/profile-pipeline.ts cpu16 [actions]    the same with 16 concurrent callers (group commit)
 *   npx tsx bench/lib/profile-pipeline.ts http [seconds]     server CPU profile under HTTP load from a 2nd process
 *   npx tsx bench/lib/profile-pipeline.ts bulk [records]     ports and SQL for one action of that many records
 *
 * Actions run one at a time in `stages` and `cpu` (so nesting of timings is exact). CPU profiles are
 * written to the system temp directory; Chrome DevTools opens them.
 */
import BetterSqlite3 from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { profileCpu, summarizeProfile } from './cpu-profile.js';
import type { BenchGatehouse } from './fixture.js';
import { resolveWorkspaceSources } from './from-source.js';
import { runHttpLoadInChild } from './http-load.js';
import { ownerUpdate } from './requests.js';
import { instrumentSqlite, timedDeps, Timings } from './timing.js';

resolveWorkspaceSources();
const { submitAction } = await import('../../packages/server/src/core/pipeline/index.js');
const { openBenchGatehouse } = await import('./fixture.js');

type Deps = BenchGatehouse['gh']['pipeline'];

async function submitMany(b: BenchGatehouse, deps: Deps, n: number, offset = 0): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = await submitAction(deps, 'lead-router', ownerUpdate(b.inScope[(offset + i) % b.inScope.length]!));
    if (r.action.status !== 'executed') throw new Error(`action ended ${r.action.status}`);
  }
  return performance.now() - t0;
}

/** WAL frames (pages) each action appends, per database: the write volume a commit costs. */
async function walPagesPerAction(b: BenchGatehouse, n: number): Promise<string> {
  const storage = new BetterSqlite3(join(b.dir, 'gatehouse.db'));
  const sandbox = new BetterSqlite3(join(b.dir, 'sandbox-crm.db'));
  const log = (db: BetterSqlite3.Database, mode: string) =>
    (db.pragma(`wal_checkpoint(${mode})`) as { log: number }[])[0]?.log ?? 0;
  // The background checkpointer (adapters/sqlite-checkpointer.ts) may hold the WAL for a moment:
  // start from an empty WAL, or say the figure is not available.
  const emptied = async (db: BetterSqlite3.Database) => {
    for (let i = 0; i < 20; i++) {
      if (log(db, 'TRUNCATE') === 0) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  };
  try {
    if (!(await emptied(storage)) || !(await emptied(sandbox)))
      return 'WAL pages per action: n/a (the WAL could not be emptied)';
    await submitMany(b, b.gh.pipeline, n, 7);
    const pageSize = Number(storage.pragma('page_size', { simple: true }));
    const s = log(storage, 'PASSIVE') / n;
    const c = log(sandbox, 'PASSIVE') / n;
    return `WAL pages appended per action (one at a time): storage ${s.toFixed(1)}, sandbox ${c.toFixed(1)} (page ${pageSize} B: ${(((s + c) * pageSize) / 1024).toFixed(0)} KiB/action); checkpoints run in a worker thread (adapters/sqlite-checkpointer.ts)`;
  } finally {
    storage.close();
    sandbox.close();
  }
}

async function stages(b: BenchGatehouse, actions: number): Promise<string> {
  await submitMany(b, b.gh.pipeline, 500);
  const sql = instrumentSqlite();
  const timings = new Timings();
  const out: string[] = [];
  try {
    const pipelineMs = await submitMany(b, timedDeps(b.gh.pipeline, timings), actions);
    out.push(`pipeline (instrumented): ${(pipelineMs / actions).toFixed(3)} ms/action over ${actions} actions`);
    out.push(timings.report(actions, pipelineMs));
    out.push(sql.report(actions, { [b.crm.store.db.name]: 'sandbox', [join(b.dir, 'gatehouse.db')]: 'storage' }));
    sql.reset();
    const t0 = performance.now();
    for (let i = 0; i < actions; i++) {
      const plan = await b.crm.plan(ownerUpdate(b.inScope[i % b.inScope.length]!));
      await b.crm.apply(plan, { idempotencyKey: `profile-${i}`, actor: { kind: 'agent', id: 'x' }, source: 'bench' });
    }
    const directMs = performance.now() - t0;
    out.push(`\ndirect (instrumented): ${(directMs / actions).toFixed(3)} ms/update`);
    out.push(sql.report(actions, { [b.crm.store.db.name]: 'sandbox' }));
  } finally {
    sql.restore();
  }
  out.push(`\n${await walPagesPerAction(b, 20)}`);
  return out.join('\n');
}

async function cpu(b: BenchGatehouse, actions: number, workers = 1): Promise<string> {
  await submitMany(b, b.gh.pipeline, 500);
  const file = join(tmpdir(), `gatehouse-pipeline-${process.pid}.cpuprofile`);
  const per = Math.ceil(actions / workers);
  const { value: ms, profile } = await profileCpu(file, async () => {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: workers }, (_, w) => submitMany(b, b.gh.pipeline, per, w * per)));
    return performance.now() - t0;
  });
  const how = workers === 1 ? 'one at a time' : `${workers} concurrent`;
  return `in-process, ${how}: ${(ms / (per * workers)).toFixed(3)} ms/action (profiled); profile: ${file}\n${summarizeProfile(profile)}`;
}

async function http(b: BenchGatehouse, seconds: number): Promise<string> {
  const address = await b.gh.listen(0);
  const file = join(tmpdir(), `gatehouse-http-${process.pid}.cpuprofile`);
  const spec = {
    baseUrl: address,
    token: b.keys.get('lead-router-http2')!,
    ids: b.inScope,
    concurrency: 32,
    warmupMs: 0,
    durationMs: seconds * 1000,
  };
  await runHttpLoadInChild({ ...spec, durationMs: 1000 }, b.dir);
  const cpu0 = process.cpuUsage();
  const { value: r, profile } = await profileCpu(file, () => runHttpLoadInChild(spec, b.dir));
  const used = process.cpuUsage(cpu0);
  const serverCpuMs = (used.user + used.system) / 1000;
  return [
    `HTTP, client in a 2nd process, 32 connections: ${Math.round(r.perSecond)} actions/s, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, ${r.failures} failed`,
    `server CPU: ${((100 * serverCpuMs) / (r.seconds * 1000)).toFixed(0)}% of one core, ${(serverCpuMs / r.count).toFixed(3)} ms per action (profile: ${file})`,
    summarizeProfile(profile),
  ].join('\n');
}

async function bulk(b: BenchGatehouse, records: number): Promise<string> {
  const { BULK_AGENT } = await import('./fixture.js');
  const sql = instrumentSqlite();
  const timings = new Timings();
  try {
    const t0 = performance.now();
    const r = await submitAction(timedDeps(b.gh.pipeline, timings), BULK_AGENT, {
      connector: 'bulk',
      object: 'contacts',
      operation: 'update',
      records: b.bulkIds.map((id, i) => ({ id, changes: { owner_id: `u_profile_${i}` } })),
      reason: 'profile',
    });
    const totalMs = performance.now() - t0;
    if (r.action.status !== 'executed') throw new Error(`action ended ${r.action.status}`);
    return [
      `one ${records}-record action (instrumented): ${totalMs.toFixed(0)} ms`,
      timings.report(1, totalMs),
      sql.report(1, { [b.bulk.store.db.name]: 'sandbox', [join(b.dir, 'gatehouse.db')]: 'storage' }),
    ].join('\n');
  } finally {
    sql.restore();
  }
}

export async function profilePipeline(mode: string, n: number): Promise<string> {
  const big = mode === 'bulk';
  const b = await openBenchGatehouse({ contacts: 5_000, bulkContacts: big ? n : 1_000, bulkRecords: big ? n : 10 });
  try {
    if (mode === 'bulk') return await bulk(b, n);
    if (mode === 'stages') return await stages(b, n);
    if (mode === 'cpu') return await cpu(b, n);
    if (mode === 'cpu16') return await cpu(b, n, 16);
    if (mode === 'http') return await http(b, n);
    throw new Error(`unknown mode ${mode}: stages | cpu | cpu16 | http | bulk`);
  } finally {
    await b.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const mode = process.argv[2] ?? 'stages';
  const defaults: Record<string, number> = { http: 5, bulk: 10_000 };
  console.log(await profilePipeline(mode, Number(process.argv[3] ?? defaults[mode] ?? 2000)));
}
