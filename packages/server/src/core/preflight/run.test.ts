import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSandboxConnector } from '../../adapters/connectors/sandbox/index.js';
import { compilePolicies } from '../../../test/fixtures/policy/example-policies.js';
import { GatehouseError } from '../errors.js';
import { evaluatePolicies } from '../policy/index.js';
import { sendFreeze } from './checks/send-freeze.js';
import {
  BUILT_IN_CHECKS,
  preflightSettings,
  runPreflight,
  type PreflightCheck,
  type PreflightResult,
} from './index.js';
import { DAY, contextFor, draftEmail, launch, openCrm, update, type Crm } from './kit.case.js';

let t: Crm;
beforeEach(async () => {
  t = await openCrm(createSandboxConnector);
});
afterEach(() => t.crm.close());

const FREEZE = { from: '2026-01-09T00:00:00.000Z', to: '2026-01-12T00:00:00.000Z', reason: 'Year-end code freeze' };
const NO_LINK = '<p>Big news.</p>';

describe('send_freeze', () => {
  it('fails when now is inside a blackout window, and says which one', async () => {
    const ctx = await contextFor(t, launch('marketing_emails', 'em_2'), {
      config: { freezes: [FREEZE] },
      now: '2026-01-10T12:00:00.000Z',
    });
    const result = await sendFreeze.run(ctx);
    expect(result).toMatchObject({
      ok: false,
      severity: 'fail',
      details: { count: 1, sample: [`${FREEZE.from}/${FREEZE.to}`], freezes: [FREEZE] },
    });
    expect(result.summary).toBe(
      'Sends are frozen from 2026-01-09T00:00:00Z to 2026-01-12T00:00:00Z (Year-end code freeze); this action would send now, at 2026-01-10T12:00:00Z.',
    );
  });

  it('treats the window as [from, to): its first instant is frozen, its end is not', async () => {
    const at = async (now: string) =>
      (
        await sendFreeze.run(
          await contextFor(t, launch('marketing_emails', 'em_2'), { config: { freezes: [FREEZE] }, now }),
        )
      ).ok;
    expect(await at(FREEZE.from)).toBe(false);
    expect(await at(FREEZE.to)).toBe(true);
    expect(await at('2026-01-08T23:59:59.999Z')).toBe(true);
  });

  it('passes outside every window and names the next one', async () => {
    const ctx = await contextFor(t, launch('marketing_emails', 'em_2'), {
      config: { freezes: [FREEZE] },
      now: '2026-01-05T00:00:00.000Z',
    });
    const result = await sendFreeze.run(ctx);
    expect(result).toMatchObject({ ok: true, details: { count: 0 } });
    expect(result.summary).toContain('the next runs from 2026-01-09T00:00:00Z to 2026-01-12T00:00:00Z');
  });

  it('applies to sends only, and only when freezes are configured', async () => {
    const config = { freezes: [FREEZE] };
    expect(sendFreeze.applies(await contextFor(t, launch('marketing_emails', 'em_2')))).toBe(false);
    expect(sendFreeze.applies(await contextFor(t, launch('marketing_emails', 'em_2'), { config }))).toBe(true);
    const pause = { object: 'campaigns', operation: 'pause', target: 'cmp_1' };
    expect(sendFreeze.applies(await contextFor(t, pause, { config }))).toBe(false);
  });
});

const check = (
  id: string,
  run: PreflightCheck['run'],
  applies: PreflightCheck['applies'] = () => true,
): PreflightCheck => ({
  id,
  applies,
  run,
});
const result = (ok: boolean, severity: PreflightResult['severity'] = 'fail'): PreflightResult => ({
  ok,
  severity,
  summary: ok ? 'fine' : 'not fine',
  details: { count: ok ? 0 : 1, sample: [] },
});

describe('runPreflight', () => {
  it('runs every built-in check on a clean campaign-style send and passes', async () => {
    const email = await draftEmail(t.crm, 'l_4', 'customers');
    const ctx = await contextFor(t, launch('marketing_emails', email), {
      config: { freezes: [FREEZE], frequencyCap: { max: 3, perMs: 7 * DAY } },
      now: '2026-01-20T00:00:00.000Z',
    });
    const outcome = await runPreflight(BUILT_IN_CHECKS, ctx);
    expect(Object.keys(outcome.results)).toEqual([
      'send_freeze',
      'recipients_consent',
      'suppression_list',
      'frequency_cap',
      'unsubscribe_link',
      'cross_segment',
    ]);
    expect(outcome).toMatchObject({ failed: [], warnings: [], verdict: 'pass' });
    expect(Object.values(outcome.results).every((r) => r.ok)).toBe(true);
  });

  it('omits checks that do not apply: an action that sends nothing gets no results', async () => {
    const ctx = await contextFor(
      t,
      { object: 'contacts', operation: 'update', records: [{ id: 'c_1', changes: { city: 'Oslo' } }] },
      {
        config: { freezes: [FREEZE], frequencyCap: { max: 1, perMs: DAY } },
      },
    );
    expect(await runPreflight(BUILT_IN_CHECKS, ctx)).toEqual({
      results: {},
      failed: [],
      warnings: [],
      verdict: 'pass',
    });
  });

  it('follows on_fail: a failed check denies or requires approval, as configured', async () => {
    await update(t.crm, 'marketing_emails', 'em_2', { body: NO_LINK });
    for (const onFail of ['deny', 'require_approval'] as const) {
      const ctx = await contextFor(t, launch('marketing_emails', 'em_2'), { config: { onFail } });
      const outcome = await runPreflight(BUILT_IN_CHECKS, ctx);
      expect(outcome.verdict).toBe(onFail);
      // l_2 has one opted-out contact; em_2 now lacks its link.
      expect(outcome.failed).toEqual(['recipients_consent', 'unsubscribe_link']);
      expect(outcome.results['unsubscribe_link']?.details.sample).toEqual(['em_2']);
    }
  });

  it('fails closed: a check that throws is a failed result carrying the error', async () => {
    const boom = check('boom', async () => {
      throw new GatehouseError('crm_unreachable', 'the CRM did not answer');
    });
    const outcome = await runPreflight(
      [boom, check('fine', async () => result(true))],
      await contextFor(t, launch('marketing_emails', 'em_2')),
    );
    expect(outcome.verdict).toBe('deny');
    expect(outcome.failed).toEqual(['boom']);
    expect(outcome.results['boom']).toMatchObject({
      ok: false,
      severity: 'fail',
      summary: 'The boom check could not run, so it does not pass: the CRM did not answer',
      details: { error: 'the CRM did not answer', code: 'crm_unreachable' },
    });
    expect(outcome.results['fine']?.ok).toBe(true);
  });

  it('fails closed when applies throws or run returns no valid result', async () => {
    const ctx = await contextFor(t, launch('marketing_emails', 'em_2'), { config: { onFail: 'require_approval' } });
    const bad = [
      check(
        'applies_throws',
        async () => result(true),
        () => {
          throw new Error('bad predicate');
        },
      ),
      check('returns_junk', async () => ({ ok: 'yes' }) as unknown as PreflightResult),
    ];
    const outcome = await runPreflight(bad, ctx);
    expect(outcome).toMatchObject({ failed: ['applies_throws', 'returns_junk'], verdict: 'require_approval' });
  });

  it('fails every applicable built-in check closed when the connector is gone', async () => {
    const ctx = await contextFor(t, launch('marketing_emails', 'em_2'), {
      config: { freezes: [FREEZE], frequencyCap: { max: 3, perMs: DAY } },
      now: '2026-02-01T00:00:00Z',
    });
    await t.crm.close();
    const outcome = await runPreflight(BUILT_IN_CHECKS, ctx);
    // The freeze check reads nothing and still answers; every check that reads the CRM fails.
    expect(outcome.failed).toEqual([
      'recipients_consent',
      'suppression_list',
      'frequency_cap',
      'unsubscribe_link',
      'cross_segment',
    ]);
    expect(outcome.results['recipients_consent']?.details).toMatchObject({ code: 'connector_closed' });
    expect(outcome.verdict).toBe('deny');
  });

  it('reports a failed warn-severity check without changing the verdict', async () => {
    const ctx = await contextFor(t, launch('marketing_emails', 'em_2'));
    const outcome = await runPreflight(
      [check('advice', async () => result(false, 'warn')), check('ok', async () => result(true))],
      ctx,
    );
    expect(outcome).toMatchObject({ failed: [], warnings: ['advice'], verdict: 'pass' });
  });

  it('results feed policy rules as checks.<id>', async () => {
    await update(t.crm, 'marketing_emails', 'em_2', { body: NO_LINK });
    const outcome = await runPreflight(BUILT_IN_CHECKS, await contextFor(t, launch('marketing_emails', 'em_2')));
    const rules = compilePolicies([
      { id: 'no-link', when: '!checks.unsubscribe_link.ok', effect: 'deny' },
      { id: 'many-opt-outs', when: 'checks.recipients_consent.details.count > 5', effect: 'deny' },
      {
        id: 'any-opt-out',
        when: 'has(checks.recipients_consent) && checks.recipients_consent.details.opted_out >= 1',
        effect: 'require_approval',
      },
    ]);
    const decision = evaluatePolicies(rules, {
      agent: { id: 'a', mode: 'gated', owner: 'o' },
      action: { connector: 'crm', object: 'marketing_emails', operation: 'launch', reason: 'r' },
      changes: { records: 1, fields: 1, irreversible: 1 },
      now: new Date('2026-01-10T12:00:00Z'),
      checks: outcome.results,
    });
    expect(decision).toMatchObject({ effect: 'deny', rules: ['no-link'], errors: [] });
    expect(decision.matched.map((m) => m.id).sort()).toEqual(['any-opt-out', 'no-link']);
  });

  it('refuses two checks with the same id', async () => {
    const ctx = await contextFor(t, launch('marketing_emails', 'em_2'));
    await expect(
      runPreflight([check('x', async () => result(true)), check('x', async () => result(true))], ctx),
    ).rejects.toThrow(/used twice/);
  });
});

describe('preflightSettings', () => {
  it('maps the config section and, without one, sends failures to people', () => {
    expect(preflightSettings()).toEqual({ freezes: [], onFail: 'require_approval' });
    expect(
      preflightSettings({ frequency_cap: { max: 3, per_ms: 7 * DAY }, freezes: [FREEZE], on_fail: 'deny' }),
    ).toEqual({ frequencyCap: { max: 3, perMs: 7 * DAY }, freezes: [FREEZE], onFail: 'deny' });
  });
});
