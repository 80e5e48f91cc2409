/**
 * Closed-loop load: `concurrency` workers each run one operation after another until the time is
 * up. Warm-up runs first and is not measured. Each operation answers whether it succeeded; a
 * failure is counted, never hidden in the throughput.
 */

export interface LoadResult {
  /** Operations that finished inside the measured window (successes and failures). */
  readonly count: number;
  readonly failures: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU time (user + system) of this process during the measured window. */
  readonly cpuMs: number;
  /** Operations run during warm-up (not measured). */
  readonly warmupCount: number;
  /** The first failure's description, if any. */
  readonly firstFailure?: string;
}

export type Operation = (worker: number, i: number) => Promise<true | string>;

export function percentile(sorted: Float64Array | readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] ?? Number.NaN;
}

export function summarize(
  latencies: number[],
  failures: number,
  seconds: number,
  extra: { cpuMs: number; warmupCount: number; firstFailure?: string | undefined },
): LoadResult {
  const sorted = Float64Array.from(latencies).sort();
  return {
    count: latencies.length,
    failures,
    seconds,
    perSecond: latencies.length / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    cpuMs: extra.cpuMs,
    warmupCount: extra.warmupCount,
    ...(extra.firstFailure !== undefined ? { firstFailure: extra.firstFailure } : {}),
  };
}

async function loop(op: Operation, concurrency: number, until: () => boolean) {
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  let seq = 0;
  const worker = async (w: number) => {
    while (!until()) {
      const t0 = performance.now();
      const ok = await op(w, seq++);
      const ms = performance.now() - t0;
      latencies.push(ms);
      if (ok !== true) {
        failures++;
        firstFailure ??= ok;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  return { latencies, failures, firstFailure };
}

/** Runs `op` for `warmupMs` unmeasured, then for `durationMs` measured. */
export async function runLoad(
  op: Operation,
  opts: { concurrency: number; warmupMs: number; durationMs: number },
): Promise<LoadResult> {
  const warmEnd = performance.now() + opts.warmupMs;
  const warm = await loop(op, opts.concurrency, () => performance.now() >= warmEnd);
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + opts.durationMs;
  const r = await loop(op, opts.concurrency, () => performance.now() >= end);
  // In-flight operations finish after `end`; the window is until the last one settled.
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return summarize(r.latencies, r.failures + warm.failures, seconds, {
    cpuMs: (cpu.user + cpu.system) / 1000,
    warmupCount: warm.latencies.length,
    firstFailure: r.firstFailure ?? warm.firstFailure,
  });
}
