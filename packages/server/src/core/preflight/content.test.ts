import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSandboxConnector } from '../../adapters/connectors/sandbox/index.js';
import { crossSegment } from './checks/cross-segment.js';
import { hasUnsubscribeLink, unsubscribeLink } from './checks/unsubscribe-link.js';
import { contextFor, draftEmail, launch, openCrm, update, type Crm } from './kit.case.js';

// Seed 42: em_2 is a draft to l_2 “North America leads” written for segment na-leads, with an
// unsubscribe link; campaign cmp_2 (draft, list l_2) sends em_2, em_7 and em_12.
let t: Crm;
beforeEach(async () => {
  t = await openCrm(createSandboxConnector);
});
afterEach(() => t.crm.close());

const NO_LINK = '<p>Hi {{ contact.firstname }},</p><p>Big news.</p>';

describe('unsubscribe_link', () => {
  it('passes when the email carries the unsubscribe placeholder', async () => {
    const result = await unsubscribeLink.run(await contextFor(t, launch('marketing_emails', 'em_2')));
    expect(result).toMatchObject({ ok: true, severity: 'fail', details: { count: 0, emails: 1 } });
    expect(result.summary).toBe('The email sent (em_2) has an unsubscribe link.');
  });

  it('fails when the body has no unsubscribe link', async () => {
    await update(t.crm, 'marketing_emails', 'em_2', { body: NO_LINK });
    const result = await unsubscribeLink.run(await contextFor(t, launch('marketing_emails', 'em_2')));
    expect(result).toMatchObject({ ok: false, severity: 'fail', details: { count: 1, sample: ['em_2'] } });
    expect(result.summary).toBe('1 of 1 email sent has no unsubscribe link: em_2.');
  });

  it('checks every email a campaign launch sends', async () => {
    await update(t.crm, 'marketing_emails', 'em_7', { body: NO_LINK });
    const result = await unsubscribeLink.run(await contextFor(t, launch('campaigns', 'cmp_2')));
    expect(result).toMatchObject({ ok: false, details: { count: 1, sample: ['em_7'], emails: 3 } });
  });

  it('treats scheduling through an update as a send, so an update is no way around it', async () => {
    await update(t.crm, 'marketing_emails', 'em_2', { body: NO_LINK });
    const schedule = {
      object: 'marketing_emails',
      operation: 'update',
      records: [{ id: 'em_2', changes: { status: 'scheduled' } }],
    };
    const ctx = await contextFor(t, schedule);
    expect(unsubscribeLink.applies(ctx)).toBe(true);
    expect(await unsubscribeLink.run(ctx)).toMatchObject({ ok: false, details: { sample: ['em_2'] } });

    // The body an update writes together with the status is the one checked.
    const fixed = {
      object: 'marketing_emails',
      operation: 'update',
      records: [
        { id: 'em_2', changes: { status: 'scheduled', body: `x <a href="https://example.com/u/1">Unsubscribe</a>` } },
      ],
    };
    expect(await unsubscribeLink.run(await contextFor(t, fixed))).toMatchObject({ ok: true });

    const edit = {
      object: 'marketing_emails',
      operation: 'update',
      records: [{ id: 'em_2', changes: { subject: 'New' } }],
    };
    expect(unsubscribeLink.applies(await contextFor(t, edit))).toBe(false);
  });

  it('treats activating a campaign through an update as a send', async () => {
    await update(t.crm, 'marketing_emails', 'em_12', { body: NO_LINK });
    const activate = {
      object: 'campaigns',
      operation: 'update',
      records: [{ id: 'cmp_2', changes: { status: 'active' } }],
    };
    const result = await unsubscribeLink.run(await contextFor(t, activate));
    expect(result).toMatchObject({ ok: false, details: { sample: ['em_12'], emails: 3 } });
  });

  it('recognizes the link forms recipients can follow, and only those', () => {
    expect(hasUnsubscribeLink('<a href="{{unsubscribe_link}}">Unsubscribe</a>')).toBe(true);
    expect(hasUnsubscribeLink('Manage: {{ unsubscribe_link_all }}')).toBe(true);
    expect(hasUnsubscribeLink('<a href="https://mail.example.com/u?id=9">Unsubscribe here</a>')).toBe(true);
    expect(hasUnsubscribeLink("<a class=x href='http://example.com/prefs'>opt-out</a>")).toBe(true);
    expect(hasUnsubscribeLink('Leave us: https://example.com/unsubscribe?c=1')).toBe(true);
    expect(hasUnsubscribeLink('<a href="#">Unsubscribe</a>')).toBe(false);
    expect(hasUnsubscribeLink('<a href="mailto:x@example.com">Unsubscribe</a>')).toBe(false);
    expect(hasUnsubscribeLink('<a href="https://example.com/pricing">Pricing</a> unsubscribe')).toBe(false);
    expect(hasUnsubscribeLink('To unsubscribe, reply STOP.')).toBe(false);
    expect(hasUnsubscribeLink('')).toBe(false);
    expect(hasUnsubscribeLink(null)).toBe(false);
  });

  it('scans a hostile 64 KiB body quickly', () => {
    const bodies = [
      '<a '.repeat(21_000),
      '<a href=x>'.repeat(6_000) + '</a>',
      'http'.repeat(16_000),
      '{{'.repeat(32_000),
    ];
    for (const body of bodies) {
      const started = performance.now();
      expect(hasUnsubscribeLink(body)).toBe(false);
      expect(performance.now() - started).toBeLessThan(250);
    }
  });
});

describe('cross_segment', () => {
  it('passes when the email goes to a list of its own segment', async () => {
    const result = await crossSegment.run(await contextFor(t, launch('marketing_emails', 'em_2')));
    expect(result).toMatchObject({ ok: true, severity: 'fail', details: { count: 0, unchecked: [] } });
    expect(result.summary).toBe('Every email sent (em_2) goes to lists of the segment it was written for.');
  });

  it("fails when the email's list belongs to another segment", async () => {
    await update(t.crm, 'marketing_emails', 'em_2', { segment: 'customers' });
    const result = await crossSegment.run(await contextFor(t, launch('marketing_emails', 'em_2')));
    expect(result).toMatchObject({
      ok: false,
      details: {
        count: 1,
        sample: ['em_2'],
        mismatches: [{ email: 'em_2', segment: 'customers', list: 'l_2', list_segment: 'na-leads', via: 'email' }],
      },
    });
    expect(result.summary).toBe(
      '1 of 1 email sent goes outside its segment: em_2 is written for “customers” but goes to list l_2 “North America leads” (segment “na-leads”).',
    );
  });

  it("fails when the campaign's list does not match its emails' segment", async () => {
    await update(t.crm, 'campaigns', 'cmp_2', { list_id: 'l_4' });
    const result = await crossSegment.run(await contextFor(t, launch('campaigns', 'cmp_2')));
    expect(result).toMatchObject({ ok: false, details: { count: 3, sample: ['em_2', 'em_7', 'em_12'] } });
    expect(result.details.mismatches).toContainEqual({
      email: 'em_2',
      segment: 'na-leads',
      list: 'l_4',
      list_segment: 'customers',
      via: 'campaign',
      campaign: 'cmp_2',
    });
    expect(result.summary).toContain(
      'em_2 is written for “na-leads” but its campaign cmp_2 targets list l_4 “Customers”',
    );
  });

  it('names emails without a segment as unchecked instead of guessing', async () => {
    const email = await draftEmail(t.crm, 'l_4', '');
    await update(t.crm, 'marketing_emails', email, { segment: null });
    const result = await crossSegment.run(await contextFor(t, launch('marketing_emails', email)));
    expect(result).toMatchObject({ ok: true, details: { count: 0, unchecked: [email] } });
    expect(result.summary).toBe(
      `No email sent could be compared with its lists. Without a segment to compare, not checked: ${email}.`,
    );
  });

  it('fails closed when an email points at a list that does not exist', async () => {
    await update(t.crm, 'marketing_emails', 'em_2', { list_id: 'l_99' });
    await expect(crossSegment.run(await contextFor(t, launch('marketing_emails', 'em_2')))).rejects.toMatchObject({
      code: 'preflight_list_not_found',
    });
  });
});
