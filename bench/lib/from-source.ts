/**
 * Benches run the TypeScript sources, not a build: workspace packages (`@gatehouse/contract`)
 * expose their sources under the `development` export condition, which `tsx` alone does not set.
 * Call this before dynamically importing server modules; static imports resolve before any code
 * runs, so they would still get the (possibly stale) build.
 */
import { register } from 'node:module';

const HOOK =
  'export async function resolve(s, c, next) { return next(s, { ...c, conditions: [...c.conditions, "development"] }); }';

let registered = false;

export function resolveWorkspaceSources(): void {
  if (registered) return;
  register(`data:text/javascript,${encodeURIComponent(HOOK)}`);
  registered = true;
}
