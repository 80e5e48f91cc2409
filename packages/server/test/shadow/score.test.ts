import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyProposals, scoreShadow } from '../../src/core/shadow/score.js';
import type { HumanChange, ShadowAction, ShadowProposal } from '../../src/core/shadow/types.js';
import { wilson } from '../../src/core/shadow/wilson.js';
import { evaluateCriteria } from '../../src/core/shadow/criteria.js';

const H = 3_600_000;
const D = 24 * H;
const T0 = Date.parse('2026-03-02T00:00:00.000Z'); // a Monday
const W = 7 * D;

const prop = (
  recordId: string,
  value: string | null,
  at: number,
  over: Partial<ShadowProposal> = {},
): ShadowProposal => ({
  agentId: 'router',
  actionId: `act_${recordId}_${at}`,
  operation: 'contacts.update',
  connector: 'crm',
  object: 'contacts',
  recordId,
  field: 'owner_id',
  value,
  at,
  ...over,
});
const human = (recordId: string, value: string | null, at: number, over: Partial<HumanChange> = {}): HumanChange => ({
  connector: 'crm',
  object: 'contacts',
  recordId,
  field: 'owner_id',
  value,
  at,
  actor: 'person:rep',
  ...over,
});
const period = { from: T0, to: T0 + 30 * D, now: T0 + 60 * D, matchWindowMs: W };

function categories(proposals: ShadowProposal[], changes: HumanChange[], opts = period) {
  return Object.fromEntries(
    classifyProposals(proposals, changes, opts).map((o) => [
      `${o.proposal.recordId}@${o.proposal.at - T0}`,
      o.category,
    ]),
  );
}

describe('shadow scoring: categories on constructed histories', () => {
  it('agreement, disagreement and unconfirmed', () => {
    const got = categories(
      [prop('c1', 'u1', T0), prop('c2', 'u1', T0), prop('c3', 'u1', T0)],
      [human('c1', 'u1', T0 + H), human('c2', 'u2', T0 + H)],
    );
    expect(got).toEqual({ 'c1@0': 'agreement', 'c2@0': 'disagreement', 'c3@0': 'unconfirmed' });
  });

  it('the first person change after the proposal decides (ties: first wins)', () => {
    const got = categories(
      [prop('c1', 'u1', T0), prop('c2', 'u1', T0)],
      [
        human('c1', 'u2', T0 + H),
        human('c1', 'u1', T0 + 2 * H),
        human('c2', 'u1', T0 + H),
        human('c2', 'u9', T0 + H), // same instant: history order breaks the tie
      ],
    );
    expect(got).toEqual({ 'c1@0': 'disagreement', 'c2@0': 'agreement' });
  });

  it('changes before the proposal are ignored; a change at the same instant counts', () => {
    const got = categories(
      [prop('c1', 'u1', T0 + D), prop('c2', 'u1', T0 + D)],
      [human('c1', 'u2', T0), human('c2', 'u1', T0 + D)],
    );
    expect(got).toEqual({ 'c1@86400000': 'unconfirmed', 'c2@86400000': 'agreement' });
  });

  it('a change after the window is late: unconfirmed (window end exclusive)', () => {
    const got = categories(
      [prop('c1', 'u1', T0), prop('c2', 'u1', T0)],
      [human('c1', 'u1', T0 + W), human('c2', 'u1', T0 + W - 1)],
    );
    expect(got).toEqual({ 'c1@0': 'unconfirmed', 'c2@0': 'agreement' });
  });

  it('a later proposal supersedes an unanswered earlier one', () => {
    const got = categories(
      [prop('c1', 'u1', T0), prop('c1', 'u2', T0 + H), prop('c2', 'u1', T0), prop('c2', 'u3', T0 + 2 * H)],
      [human('c1', 'u2', T0 + 3 * H), human('c2', 'u1', T0 + H), human('c2', 'u3', T0 + 3 * H)],
    );
    // c1: the second proposal came before anyone answered → first superseded, second agrees.
    // c2: a person answered the first (agree) before the second proposal; the second is answered later.
    expect(got).toEqual({
      'c1@0': 'superseded',
      'c1@3600000': 'agreement',
      'c2@0': 'agreement',
      'c2@7200000': 'agreement',
    });
  });

  it('a later proposal after the window does not supersede', () => {
    const got = categories([prop('c1', 'u1', T0), prop('c1', 'u2', T0 + W + H)], []);
    expect(got).toEqual({ 'c1@0': 'unconfirmed', [`c1@${W + H}`]: 'unconfirmed' });
  });

  it('other records, fields, objects and connectors never answer a proposal', () => {
    const got = categories(
      [prop('c1', 'u1', T0)],
      [
        human('c2', 'u1', T0 + H),
        human('c1', 'u1', T0 + H, { field: 'lifecyclestage' }),
        human('c1', 'u1', T0 + H, { object: 'companies' }),
        human('c1', 'u1', T0 + H, { connector: 'other' }),
      ],
    );
    expect(got).toEqual({ 'c1@0': 'unconfirmed' });
  });

  it('unsorted change input is sorted before matching', () => {
    const got = categories([prop('c1', 'u1', T0)], [human('c1', 'u2', T0 + 2 * H), human('c1', 'u1', T0 + H)]);
    expect(got).toEqual({ 'c1@0': 'agreement' });
  });

  it('proposals outside the period are not scored', () => {
    expect(classifyProposals([prop('c1', 'u1', T0 - 1), prop('c1', 'u1', T0 + 30 * D)], [], period)).toEqual([]);
  });
});

describe('shadow scoring: report', () => {
  const writableAs = (_a: string, _c: string, object: string, field: string) =>
    object === 'contacts' && field === 'owner_id' ? 'contacts.update' : undefined;

  it('counts, metrics, missed, pending and buckets', () => {
    const proposals = [
      prop('c1', 'u1', T0), // agree
      prop('c2', 'u1', T0), // disagree
      prop('c3', 'u1', T0 + D), // unconfirmed
      prop('c4', 'u1', T0 + 29 * D), // pending (window open at now)
    ];
    const actions: ShadowAction[] = [
      { agentId: 'router', actionId: 'a1', operation: 'contacts.update', at: T0, allowed: true },
      { agentId: 'router', actionId: 'a2', operation: 'contacts.update', at: T0 + D, allowed: false },
    ];
    const changes = [
      human('c1', 'u1', T0 + H),
      human('c2', 'u2', T0 + H),
      human('c5', 'u7', T0 + 2 * D), // missed: nobody proposed
      human('c6', 'u7', T0 - D), // before the agent's first proposal: not missed
      human('c7', 'x', T0 + 2 * D, { field: 'lifecyclestage' }), // not writable: not missed
      human('c8', 'u7', T0 + 2 * D), // out of view
    ];
    const report = scoreShadow(proposals, actions, changes, {
      ...period,
      now: T0 + 30 * D,
      writableAs,
      inView: (_a, _c, _o, id) => id !== 'c8',
    });
    const r = report.agents[0]!;
    expect(r.agentId).toBe('router');
    expect(r.metrics).toMatchObject({
      proposals: 4,
      agreement: 1,
      disagreement: 1,
      unconfirmed: 2,
      pending: 1,
      missed: 1,
      superseded: 0,
      actions: 2,
      allowed: 1,
    });
    expect(r.metrics.precision.value).toBe(0.5);
    expect(r.metrics.recall.value).toBeCloseTo(1 / 3);
    expect(r.metrics.ruleAdherence.value).toBe(0.5);
    expect(r.operations.map((o) => o.operation)).toEqual(['contacts.update']);
    expect(r.buckets.map((b) => b.start.slice(0, 10))).toEqual([
      '2026-03-02',
      '2026-03-03',
      '2026-03-04',
      '2026-03-31',
    ]);
    expect(r.buckets[0]!.metrics).toMatchObject({ agreement: 1, disagreement: 1, actions: 1 });
    expect(r.firstProposalAt).toBe(new Date(T0).toISOString());
    const weekly = scoreShadow(proposals, actions, changes, { ...period, bucket: 'week', writableAs });
    expect(weekly.agents[0]!.buckets.map((b) => b.start.slice(0, 10))).toEqual(['2026-03-02', '2026-03-30']);
  });

  it('a change answered by a waiting proposal is not missed, even the second change in its window', () => {
    const report = scoreShadow(
      [prop('c1', 'u1', T0)],
      [],
      [human('c1', 'u2', T0 + H), human('c1', 'u3', T0 + 2 * H), human('c1', 'u4', T0 + W + H)],
      { ...period, writableAs },
    );
    expect(report.agents[0]!.metrics).toMatchObject({ disagreement: 1, missed: 1 });
  });

  it('an agent with no proposals misses everything it could have written', () => {
    const report = scoreShadow([], [], [human('c1', 'u2', T0 + H)], { ...period, writableAs, agents: ['idle'] });
    expect(report.agents[0]).toMatchObject({ agentId: 'idle', firstProposalAt: null });
    expect(report.agents[0]!.metrics.missed).toBe(1);
    expect(report.agents[0]!.metrics.precision.value).toBeNull();
    expect(report.agents[0]!.metrics.recall.value).toBe(0);
  });
});

describe('wilson interval and criteria', () => {
  it('known values', () => {
    const r = wilson(96, 100);
    expect(r.value).toBe(0.96);
    expect(r.low).toBeCloseTo(0.9016, 3);
    expect(r.high).toBeCloseTo(0.9843, 3);
    expect(wilson(0, 0)).toMatchObject({ value: null, low: 0, high: 1 });
    expect(wilson(10, 10).high).toBe(1);
    expect(wilson(0, 10).low).toBe(0);
  });

  it('criteria list what failed', () => {
    const report = scoreShadow([prop('c1', 'u1', T0)], [], [human('c1', 'u1', T0 + H)], period);
    const v = evaluateCriteria(
      report.agents[0]!.metrics,
      { min_proposals: 2, precision: 0.9, rule_adherence: 0.99, min_days: 1, window_ms: W, match_window_ms: W },
      { firstProposalAt: report.agents[0]!.firstProposalAt, now: new Date(T0 + 2 * D) },
    );
    expect(v.met).toBe(false);
    expect(v.failed).toEqual(['min_proposals', 'rule_adherence']);
  });
});

describe('shadow scoring: properties', () => {
  const arbProposal = fc.record({
    recordId: fc.constantFrom('c1', 'c2', 'c3'),
    value: fc.constantFrom('u1', 'u2', null),
    at: fc.integer({ min: 0, max: 20 * D }),
  });
  const arbChange = fc.record({
    recordId: fc.constantFrom('c1', 'c2', 'c3', 'c4'),
    value: fc.constantFrom('u1', 'u2', null),
    at: fc.integer({ min: -D, max: 25 * D }),
  });
  const build = (ps: { recordId: string; value: string | null; at: number }[]) =>
    ps.map((p, i) => prop(p.recordId, p.value, T0 + p.at, { actionId: `a${i}` }));
  const changesOf = (hs: { recordId: string; value: string | null; at: number }[]) =>
    hs.map((h) => human(h.recordId, h.value, T0 + h.at));
  const writableAs = () => 'contacts.update';

  it('precision and recall stay in [0, 1]; categories add up to proposals', () => {
    fc.assert(
      fc.property(fc.array(arbProposal, { maxLength: 30 }), fc.array(arbChange, { maxLength: 40 }), (ps, hs) => {
        const r = scoreShadow(build(ps), [], changesOf(hs), { ...period, writableAs, agents: ['router'] });
        const m = r.agents[0]!.metrics;
        for (const rate of [m.precision, m.recall]) {
          if (rate.value !== null) expect(rate.value).toBeGreaterThanOrEqual(0);
          if (rate.value !== null) expect(rate.value).toBeLessThanOrEqual(1);
          expect(rate.low).toBeGreaterThanOrEqual(0);
          expect(rate.high).toBeLessThanOrEqual(1);
          expect(rate.low).toBeLessThanOrEqual(rate.high);
        }
        expect(m.agreement + m.disagreement + m.unconfirmed + m.superseded).toBe(m.proposals);
      }),
    );
  });

  it('adding agreeing proposals never lowers precision', () => {
    fc.assert(
      fc.property(
        fc.array(arbProposal, { maxLength: 20 }),
        fc.array(arbChange, { maxLength: 30 }),
        fc.array(fc.record({ value: fc.constantFrom('u1', 'u2', null), at: fc.integer({ min: 0, max: 20 * D }) }), {
          minLength: 1,
          maxLength: 5,
        }),
        (ps, hs, extra) => {
          const base = build(ps);
          const changes = changesOf(hs);
          // Each agreeing proposal is on its own fresh record, answered with its value an hour later.
          const agreeing = extra.map((e, i) => prop(`fresh${i}`, e.value, T0 + e.at, { actionId: `x${i}` }));
          const agreeingChanges = extra.map((e, i) => human(`fresh${i}`, e.value, T0 + e.at + H));
          const before = scoreShadow(base, [], changes, period).agents[0]?.metrics.precision.value ?? null;
          const after = scoreShadow([...base, ...agreeing], [], [...changes, ...agreeingChanges], period).agents[0]!
            .metrics.precision.value!;
          if (before !== null) expect(after).toBeGreaterThanOrEqual(before);
          else expect(after).toBe(1);
        },
      ),
    );
  });
});
