/**
 * send_freeze: the action sends now and now is inside a configured blackout window [from, to).
 * A freeze whose bounds do not parse fails the check instead of being skipped: a freeze that
 * silently never applies is the failure this check exists to prevent.
 */
import { GatehouseError } from '../../errors.js';
import { instant, sample } from '../format.js';
import { sendsAnything } from '../outgoing.js';
import type { PreflightCheck, SendFreeze } from '../types.js';

const bounds = (f: SendFreeze) => {
  const from = Date.parse(f.from);
  const to = Date.parse(f.to);
  if (!Number.isFinite(from) || !Number.isFinite(to)) {
    throw new GatehouseError(
      'preflight_invalid_freeze',
      `send freeze ${f.from} – ${f.to} has a bound that is not a date`,
    );
  }
  return { from, to };
};

const freezeLabel = (f: SendFreeze) => `from ${instant(f.from)} to ${instant(f.to)}${f.reason ? ` (${f.reason})` : ''}`;

export const sendFreeze: PreflightCheck = {
  id: 'send_freeze',
  applies: (ctx) => sendsAnything(ctx) && ctx.config.freezes.length > 0,
  async run(ctx) {
    const now = ctx.now.getTime();
    const timed = ctx.config.freezes.map((f) => ({ freeze: f, ...bounds(f) }));
    const active = timed.filter((t) => t.from <= now && now < t.to).map((t) => t.freeze);
    const next = timed.filter((t) => t.from > now).sort((a, b) => a.from - b.from)[0];
    const summary =
      active.length > 0
        ? `Sends are frozen ${active.map(freezeLabel).join(' and ')}; this action would send now, at ${instant(ctx.now)}.`
        : `No send freeze covers now (${instant(ctx.now)})${next ? `; the next runs ${freezeLabel(next.freeze)}` : ''}.`;
    return {
      ok: active.length === 0,
      severity: 'fail',
      summary,
      details: {
        count: active.length,
        // Freezes have no ids: ISO 8601 intervals name them.
        sample: sample(active.map((f) => `${f.from}/${f.to}`)),
        freezes: active.map((f) => ({ from: f.from, to: f.to, ...(f.reason ? { reason: f.reason } : {}) })),
        now: ctx.now.toISOString(),
        configured: ctx.config.freezes.length,
      },
    };
  },
};
