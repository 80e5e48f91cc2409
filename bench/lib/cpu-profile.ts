/**
 * CPU profiles of a window of this process (V8's sampling profiler through node:inspector), and a
 * plain-text summary: self time per package or source file and per function.
 */
import { writeFileSync } from 'node:fs';
import { Session, type Profiler } from 'node:inspector/promises';

/** Runs `fn` under the sampling profiler; writes the profile to `file` (Chrome DevTools opens it). */
export async function profileCpu<T>(
  file: string,
  fn: () => Promise<T>,
): Promise<{ value: T; profile: Profiler.Profile }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    const value = await fn();
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    return { value, profile };
  } finally {
    session.disconnect();
  }
}

const where = (url: string) => {
  if (!url) return '(native / V8)';
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) return pkg[1];
  const src = /packages\/server\/src\/(.*)$/.exec(url);
  if (src?.[1]) return src[1];
  return url.replace(/^.*\//, '');
};

export function summarizeProfile(profile: Profiler.Profile, top = 25): string {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = nodes.get(id)?.callFrame;
    if (!frame) continue;
    const place = where(frame.url);
    byPlace.set(place, (byPlace.get(place) ?? 0) + us);
    const fn = `${frame.functionName || '(anonymous)'}  ${place}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const list = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`);
  return [
    `CPU profile: ${(total / 1000).toFixed(0)} ms sampled`,
    'self time by package / source file:',
    ...list(byPlace),
    'self time by function:',
    ...list(byFunction),
  ].join('\n');
}
