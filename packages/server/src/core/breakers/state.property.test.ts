/**
 * The breaker state machine under random event sequences from random people: it never leaves the
 * five states, only a responder ever lifts a trip, and every accepted event bumps the version.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BreakerRow } from '../ports/storage.js';
import {
  BREAKER_STATES,
  EVALUATION_OUTCOMES,
  HALTING_STATES,
  RESPONDER_ROLE,
  transition,
  tripPending,
  type BreakerEvent,
} from './state.js';

const KEY = { breakerId: 'b', scopeKey: 'all' };

const who = fc.record({
  actor: fc.constantFrom('system', 'person:sam', 'person:maria', 'person:lee'),
  // Biased towards the roles that matter, so every edge of the table is walked in each run.
  roles: fc.oneof(
    fc.constant(['responder']),
    fc.constant(['admin']),
    fc.subarray(['responder', 'admin', 'approver', 'auditor']),
  ),
});

const comment = fc.constantFrom('', '  ', 'why', 'because');

const event: fc.Arbitrary<BreakerEvent> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      type: fc.constant('evaluated' as const),
      outcome: fc.constantFrom(...EVALUATION_OUTCOMES),
      trip: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('probe_used' as const), failed: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('reset' as const),
      comment,
      probeActions: fc.integer({ min: 0, max: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('force_open' as const), comment }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('disable' as const), comment }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('enable' as const) }) },
);

const steps = fc.array(fc.tuple(event, who, fc.integer({ min: 0, max: 3_600_000 })), { maxLength: 80, size: 'medium' });

/** Writes flow (fully or as probes) in these states. */
const letsWritesThrough = (row: BreakerRow) => !HALTING_STATES.includes(row.state);

describe('breaker state machine (property)', () => {
  it('stays within the five states, bumps the version on every accepted event, and only a responder lifts a trip', () => {
    const reached = new Set<string>();
    fc.assert(
      fc.property(steps, (seq) => {
        let t = Date.parse('2026-03-02T10:00:00.000Z');
        let row: BreakerRow | undefined;
        for (const [e, person, dt] of seq) {
          t += dt;
          const r = transition(row, e, { now: new Date(t), ...person, key: KEY });
          if (!r.ok) continue;
          expect(BREAKER_STATES).toContain(r.next.state);
          expect(r.next.version).toBeGreaterThan(row?.version ?? 0);
          expect(r.next.probeBudget).toBeGreaterThanOrEqual(0);
          if (r.next.state !== 'half_open') expect(r.next.probeBudget).toBe(0);
          if (row && tripPending(row) && !tripPending(r.next)) {
            // A trip was resolved: only a responder's reset does that.
            expect(person.roles).toContain(RESPONDER_ROLE);
            expect(e.type).toBe('reset');
          }
          if (row && tripPending(row) && !letsWritesThrough(row) && letsWritesThrough(r.next)) {
            // A halt caused by a trip was lifted: a responder's reset or disable, with a comment.
            expect(person.roles).toContain(RESPONDER_ROLE);
            expect(e.type === 'reset' || e.type === 'disable').toBe(true);
            expect('comment' in e && (e.comment ?? '').trim() !== '').toBe(true);
          }
          if (r.changed) expect(r.next.since).toBe(new Date(t).toISOString());
          else expect(r.next.since).toBe(row?.since ?? new Date(t).toISOString());
          reached.add(`${row?.state ?? 'none'}>${r.next.state}`);
          row = r.next;
        }
      }),
      { numRuns: 500 },
    );
    // The generator really drives the machine through its edges, re-trips from half_open included.
    for (const edge of [
      'closed>open',
      'open>half_open',
      'half_open>open',
      'half_open>closed',
      'open>forced_open',
      'forced_open>open',
      'open>disabled',
      'disabled>open',
      'disabled>closed',
      'forced_open>closed',
    ]) {
      expect([...reached].sort()).toContain(edge);
    }
  });

  it('never closes a tripped breaker by evaluation alone, however many passes follow', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...EVALUATION_OUTCOMES), { maxLength: 50 }), (outcomes) => {
        const now = new Date('2026-03-02T10:00:00.000Z');
        const sys = { now, actor: 'system', roles: [], key: KEY };
        let r = transition(undefined, { type: 'evaluated', outcome: 'fail', trip: true }, sys);
        for (const outcome of outcomes) {
          if (!r.ok) break;
          r = transition(r.next, { type: 'evaluated', outcome, trip: false }, sys);
        }
        expect(r.ok && r.next.state).toBe('open');
      }),
    );
  });
});
