/**
 * Every row of the transition table in state.ts, driven by an injected clock: what a responder,
 * an admin and the evaluator see happen to a breaker.
 */
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock.js';
import type { BreakerRow } from '../ports/storage.js';
import { acceptsProbe, isHalting, transition, tripPending, type BreakerEvent, type TransitionResult } from './state.js';

const clock = createManualClock('2026-03-02T10:00:00.000Z');
const KEY = { breakerId: 'ctr-drop', scopeKey: 'agent:subject-optimizer' };
const SYSTEM = { actor: 'breaker:ctr-drop', roles: [] as string[] };
const SAM = { actor: 'person:sam', roles: ['approver', 'responder'] };
const MARIA = { actor: 'person:maria', roles: ['admin', 'approver'] };
const LEE = { actor: 'person:lee', roles: ['approver'] };

type Who = { actor: string; roles: string[] };

function step(row: BreakerRow | undefined, event: BreakerEvent, who: Who = SYSTEM): TransitionResult {
  clock.advance(60_000);
  return transition(row, event, { now: clock.now(), ...who, key: KEY });
}

function ok(row: BreakerRow | undefined, event: BreakerEvent, who: Who = SYSTEM): BreakerRow {
  const r = step(row, event, who);
  if (!r.ok) throw new Error(`expected ${event.type} to be accepted from ${row?.state ?? 'nothing'}: ${r.code}`);
  return r.next;
}

function refused(row: BreakerRow | undefined, event: BreakerEvent, who: Who = SYSTEM): string {
  const r = step(row, event, who);
  if (r.ok) throw new Error(`expected ${event.type} to be refused from ${row?.state}, got ${r.next.state}`);
  return r.code;
}

const pass: BreakerEvent = { type: 'evaluated', outcome: 'pass', trip: false };
const fail: BreakerEvent = { type: 'evaluated', outcome: 'fail', trip: false };
const trip: BreakerEvent = { type: 'evaluated', outcome: 'fail', trip: true };
const reset = (probeActions?: number): BreakerEvent => ({
  type: 'reset',
  comment: 'subjects restored, CTR back',
  ...(probeActions !== undefined ? { probeActions } : {}),
});
const forceOpen: BreakerEvent = { type: 'force_open', comment: 'holding during the launch review' };
const disable: BreakerEvent = { type: 'disable', comment: 'metric feed broken, known' };
const enable: BreakerEvent = { type: 'enable' };

const closed = () => ok(undefined, pass);
const tripped = () => ok(closed(), trip);
const halfOpen = (probes = 2) => ok(tripped(), reset(probes), SAM);

describe('closed', () => {
  it('starts closed at version 1 when there is no row yet, and stays closed on passes', () => {
    const row = closed();
    expect(row).toMatchObject({ ...KEY, state: 'closed', version: 1, consecutiveFails: 0 });
    expect(ok(row, pass)).toMatchObject({ state: 'closed', version: 2, since: row.since });
  });

  it('counts consecutive failures without tripping, and a pass resets the count', () => {
    const r1 = ok(closed(), fail);
    const r2 = ok(r1, fail);
    expect(r2).toMatchObject({ state: 'closed', consecutiveFails: 2 });
    expect(ok(r2, { type: 'evaluated', outcome: 'no_data', trip: false }).consecutiveFails).toBe(2);
    expect(ok(r2, pass).consecutiveFails).toBe(0);
  });

  it('trips to open on a tripping evaluation, halting writes, with the evidence as reason', () => {
    const before = closed();
    const r = step(before, { type: 'evaluated', outcome: 'fail', trip: true, detail: { ratio: 0.4 } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.next).toMatchObject({ state: 'open', version: 2, since: clock.now().toISOString() });
    expect(r.changed).toBe(true);
    expect(isHalting(r.next)).toBe(true);
    expect(r.audit.type).toBe('breaker.tripped');
    expect(r.audit.data).toMatchObject({ from: 'closed', to: 'open', outcome: 'fail', detail: { ratio: 0.4 } });
    expect(r.event).toMatchObject({ kind: 'tripped', from: 'closed', to: 'open', actor: SYSTEM.actor });
    expect(r.next.reason).toMatchObject({ pending_trip: true, outcome: 'fail', detail: { ratio: 0.4 } });
  });

  it('refuses a passing evaluation that claims to trip', () => {
    expect(refused(closed(), { type: 'evaluated', outcome: 'pass', trip: true })).toBe('invalid_event');
  });

  it('refuses reset, enable and probes: there is nothing to recover from', () => {
    expect(refused(closed(), reset(), SAM)).toBe('invalid_transition');
    expect(refused(closed(), enable, SAM)).toBe('invalid_transition');
    expect(refused(closed(), { type: 'probe_used' })).toBe('invalid_transition');
  });

  it('can be forced open or disabled by an admin with a comment, before any evaluation', () => {
    expect(ok(undefined, forceOpen, MARIA)).toMatchObject({ state: 'forced_open', version: 1 });
    expect(ok(closed(), disable, MARIA).state).toBe('disabled');
  });

  it('needs a key to create a row', () => {
    const r = transition(undefined, pass, { now: clock.now(), ...SYSTEM });
    expect(r).toMatchObject({ ok: false, code: 'breaker_unknown' });
  });
});

describe('open', () => {
  it('keeps evaluating: passes and failures are recorded but never close it', () => {
    const row = tripped();
    const r = ok(ok(row, pass), fail);
    expect(r).toMatchObject({ state: 'open', since: row.since, version: row.version + 2, consecutiveFails: 1 });
    expect(ok(r, trip).state).toBe('open');
  });

  it('is reset by a responder with a comment to half-open with the configured probe budget', () => {
    const r = step(tripped(), reset(3), SAM);
    expect(r.ok && r.next).toMatchObject({ state: 'half_open', probeBudget: 3, consecutiveFails: 0 });
    expect(r.ok && r.audit).toMatchObject({
      type: 'breaker.reset',
      data: { from: 'open', to: 'half_open', comment: 'subjects restored, CTR back' },
    });
    expect(r.ok && tripPending(r.next)).toBe(false);
  });

  it('is reset straight to closed when there is no half-open config', () => {
    expect(ok(tripped(), reset(), SAM)).toMatchObject({ state: 'closed', probeBudget: 0 });
    expect(ok(tripped(), reset(0), SAM).state).toBe('closed');
  });

  it('refuses a reset by anyone but a responder, and a reset without a comment', () => {
    const row = tripped();
    expect(refused(row, reset(2), MARIA)).toBe('forbidden');
    expect(refused(row, reset(2), LEE)).toBe('forbidden');
    expect(refused(row, reset(2), SYSTEM)).toBe('forbidden');
    expect(refused(row, { type: 'reset', comment: '   ' }, SAM)).toBe('comment_required');
    expect(refused(row, { type: 'reset', comment: 'x', probeActions: -1 }, SAM)).toBe('invalid_event');
  });

  it('may be forced open by an admin, which keeps the trip pending', () => {
    const r = ok(tripped(), forceOpen, MARIA);
    expect(r.state).toBe('forced_open');
    expect(tripPending(r)).toBe(true);
  });

  it('may be disabled only by a responder: that lifts the halt', () => {
    expect(refused(tripped(), disable, MARIA)).toBe('forbidden');
    const r = ok(tripped(), disable, SAM);
    expect(r.state).toBe('disabled');
    expect(isHalting(r)).toBe(false);
    expect(tripPending(r)).toBe(true);
  });

  it('refuses enable and probes', () => {
    expect(refused(tripped(), enable, SAM)).toBe('invalid_transition');
    expect(refused(tripped(), { type: 'probe_used' })).toBe('invalid_transition');
  });
});

describe('half-open', () => {
  it('lets exactly the probe budget through, then refuses more probes', () => {
    const r0 = halfOpen(2);
    expect(acceptsProbe(r0)).toBe(true);
    const r1 = ok(r0, { type: 'probe_used', actionId: 'act_1' });
    expect(r1).toMatchObject({ state: 'half_open', probeBudget: 1 });
    const r2 = ok(r1, { type: 'probe_used', actionId: 'act_2' });
    expect(r2).toMatchObject({ state: 'half_open', probeBudget: 0 });
    expect(acceptsProbe(r2)).toBe(false);
    expect(refused(r2, { type: 'probe_used' })).toBe('probe_budget_exhausted');
  });

  it('closes on a pass once every probe was used cleanly', () => {
    let row = halfOpen(2);
    row = ok(row, pass); // budget left: still on probation
    expect(row.state).toBe('half_open');
    row = ok(ok(row, { type: 'probe_used' }), { type: 'probe_used' });
    const r = step(row, pass);
    expect(r.ok && r.next).toMatchObject({ state: 'closed', probeBudget: 0, consecutiveFails: 0 });
    expect(r.ok && r.audit.type).toBe('breaker.closed');
  });

  it('does not close on no data, errors or inconclusive evaluations', () => {
    let row = ok(ok(halfOpen(2), { type: 'probe_used' }), { type: 'probe_used' });
    for (const outcome of ['no_data', 'error', 'inconclusive'] as const) {
      row = ok(row, { type: 'evaluated', outcome, trip: false });
      expect(row.state).toBe('half_open');
    }
  });

  it('re-trips to open on a failing evaluation, even one the consecutive rule would not trip on', () => {
    const row = ok(halfOpen(3), { type: 'probe_used' });
    const r = step(row, fail);
    expect(r.ok && r.next).toMatchObject({ state: 'open', probeBudget: 0 });
    expect(r.ok && r.audit).toMatchObject({ type: 'breaker.tripped', data: { retrip: true, from: 'half_open' } });
    expect(r.ok && tripPending(r.next)).toBe(true);
  });

  it('re-trips when the probe budget is exhausted with a failed probe', () => {
    const row = ok(halfOpen(2), { type: 'probe_used', failed: true });
    expect(row).toMatchObject({ state: 'half_open', probeBudget: 1, consecutiveFails: 1 });
    const r = step(row, { type: 'probe_used', failed: false });
    expect(r.ok && r.next).toMatchObject({ state: 'open', consecutiveFails: 1 });
    expect(r.ok && r.audit.data).toMatchObject({ retrip: true });
    // The re-tripped breaker again needs a responder.
    if (r.ok) expect(refused(r.next, reset(2), MARIA)).toBe('forbidden');
  });

  it('is closed early by a responder reset; forced open or disabled by an admin', () => {
    expect(ok(halfOpen(), reset(2), SAM).state).toBe('closed');
    expect(refused(halfOpen(), reset(2), MARIA)).toBe('forbidden');
    expect(ok(halfOpen(), forceOpen, MARIA).state).toBe('forced_open');
    expect(ok(halfOpen(), disable, MARIA).state).toBe('disabled');
    expect(refused(halfOpen(), enable, MARIA)).toBe('invalid_transition');
  });
});

describe('forced open', () => {
  const forced = () => ok(closed(), forceOpen, MARIA);

  it('halts, keeps evaluating, and is lifted by enable back to closed', () => {
    const row = ok(ok(forced(), pass), fail);
    expect(row).toMatchObject({ state: 'forced_open', consecutiveFails: 1 });
    expect(isHalting(row)).toBe(true);
    const r = step(row, enable, MARIA);
    expect(r.ok && r.next.state).toBe('closed');
    expect(r.ok && r.audit.type).toBe('breaker.enabled');
  });

  it('remembers a trip that happens while forced open: enable then lands on open', () => {
    const row = ok(forced(), trip);
    expect(row.state).toBe('forced_open');
    expect(tripPending(row)).toBe(true);
    expect(row.reason).toMatchObject({ comment: 'holding during the launch review', tripped: { outcome: 'fail' } });
    expect(ok(row, enable, MARIA).state).toBe('open');
  });

  it('an admin cannot launder a trip through forced_open', () => {
    const held = ok(tripped(), forceOpen, MARIA);
    expect(ok(held, enable, MARIA).state).toBe('open');
    expect(refused(held, disable, MARIA)).toBe('forbidden');
    expect(ok(held, disable, SAM).state).toBe('disabled');
  });

  it('refuses reset, probes, a second force and people without the role', () => {
    expect(refused(forced(), reset(2), SAM)).toBe('invalid_transition');
    expect(refused(forced(), { type: 'probe_used' })).toBe('invalid_transition');
    expect(refused(forced(), forceOpen, MARIA)).toBe('invalid_transition');
    expect(refused(closed(), forceOpen, LEE)).toBe('forbidden');
    expect(refused(closed(), { type: 'force_open', comment: '' }, MARIA)).toBe('comment_required');
  });
});

describe('disabled', () => {
  const disabled = () => ok(closed(), disable, MARIA);

  it('ignores trips but still records every evaluation', () => {
    const before = disabled();
    const r = step(before, trip);
    expect(r.ok && r.next).toMatchObject({ state: 'disabled', version: before.version + 1, consecutiveFails: 1 });
    expect(r.ok && r.audit).toMatchObject({ type: 'breaker.evaluated', data: { ignored_trip: true, outcome: 'fail' } });
    expect(r.ok && tripPending(r.next)).toBe(false);
    expect(r.ok && isHalting(r.next)).toBe(false);
  });

  it('enable returns to closed, or to open when it was disabled over an unresolved trip', () => {
    expect(ok(ok(disabled(), trip), enable, MARIA).state).toBe('closed');
    expect(ok(ok(tripped(), disable, SAM), enable, MARIA).state).toBe('open');
  });

  it('may be forced open; refuses reset, probes and a second disable', () => {
    expect(ok(disabled(), forceOpen, MARIA).state).toBe('forced_open');
    expect(refused(disabled(), reset(2), SAM)).toBe('invalid_transition');
    expect(refused(disabled(), { type: 'probe_used' })).toBe('invalid_transition');
    expect(refused(disabled(), disable, MARIA)).toBe('invalid_transition');
    expect(refused(closed(), { type: 'disable', comment: ' ' }, MARIA)).toBe('comment_required');
    expect(refused(closed(), disable, LEE)).toBe('forbidden');
  });
});

describe('every accepted event', () => {
  it('is audited with who, from, to and the new version', () => {
    const r = step(tripped(), reset(2), SAM);
    expect(r.ok && r.audit.data).toMatchObject({
      breaker_id: KEY.breakerId,
      scope_key: KEY.scopeKey,
      event: 'reset',
      from: 'open',
      to: 'half_open',
      probe_budget: 2,
    });
    expect(r.ok && r.next).toMatchObject({ updatedBy: 'person:sam', updatedAt: clock.now().toISOString() });
    expect(r.ok && r.event.detail).toEqual(r.ok && r.audit.data);
  });
});
