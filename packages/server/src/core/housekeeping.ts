/**
 * Periodic clean-up of shared coordination tables. Safe on every instance at once: each prune is
 * a single idempotent DELETE. Nothing audited is ever pruned here.
 */
import type { Clock } from './clock.js';
import type { Storage } from './ports/storage.js';

const HOUR = 3_600_000;

export async function housekeeping(deps: {
  storage: Storage;
  clock: Clock;
}): Promise<{ sessions: number; rates: number }> {
  const now = deps.clock.now().getTime();
  const sessions = await deps.storage.sessions.prune(new Date(now - 24 * HOUR).toISOString());
  const rates = await deps.storage.rates.prune(new Date(now - 2 * HOUR).toISOString());
  return { sessions, rates };
}
