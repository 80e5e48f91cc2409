/** Time is injected everywhere so expiry, escalation and breaker windows are testable without sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to; for tests and simulations. */
export function createManualClock(start: Date | string = '2026-01-05T09:00:00.000Z') {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    set(to: Date | string) {
      t = new Date(to).getTime();
    },
    advance(ms: number) {
      t += ms;
    },
  };
}
export type ManualClock = ReturnType<typeof createManualClock>;
