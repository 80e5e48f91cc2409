import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSandboxConnector } from '../../adapters/connectors/sandbox/index.js';
import { frequencyCap } from './checks/frequency-cap.js';
import { recipientsConsent } from './checks/recipients-consent.js';
import { suppressionList } from './checks/suppression-list.js';
import {
  DAY,
  NOW,
  contextFor,
  create,
  draftEmail,
  launch,
  membersOf,
  openCrm,
  update,
  write,
  type Crm,
} from './kit.case.js';

// Seed 42, 400 contacts: list l_4 “Customers” has 27 members, none opted out or bounced;
// list l_1 “Newsletter subscribers” has 316, of whom 10 opted out and 5 bounced.
let t: Crm;
beforeEach(async () => {
  t = await openCrm(createSandboxConnector);
});
afterEach(() => t.crm.close());

describe('recipients_consent', () => {
  it('passes when no recipient opted out or bounced, and says how many were checked', async () => {
    const email = await draftEmail(t.crm, 'l_4', 'customers');
    const result = await recipientsConsent.run(await contextFor(t, launch('marketing_emails', email)));
    expect(result).toMatchObject({ ok: true, severity: 'fail', details: { count: 0, sample: [], recipients: 27 } });
    expect(result.summary).toBe('None of the 27 recipients on list l_4 “Customers” opted out of email or bounced.');
  });

  it('fails on an opted-out and a bounced recipient, naming them', async () => {
    const [first, second] = await membersOf(t.crm, 'l_4');
    await update(t.crm, 'contacts', first!, { hs_email_optout: 'true' });
    await update(t.crm, 'contacts', second!, { email_bounced: 'true' });
    const email = await draftEmail(t.crm, 'l_4', 'customers');
    const result = await recipientsConsent.run(await contextFor(t, launch('marketing_emails', email)));
    expect(result).toMatchObject({ ok: false, severity: 'fail', details: { count: 2, opted_out: 1, bounced: 1 } });
    expect([...result.details.sample].sort()).toEqual([first, second].sort());
    expect(result.summary).toBe(
      '2 of 27 recipients on list l_4 “Customers” opted out of email or bounced (1 opted out, 1 bounced).',
    );
  });

  it('counts the seeded opt-outs of a real list and samples at most 10 ids', async () => {
    const email = await draftEmail(t.crm, 'l_1', 'newsletter');
    const result = await recipientsConsent.run(await contextFor(t, launch('marketing_emails', email)));
    expect(result.ok).toBe(false);
    expect(result.details).toMatchObject({ opted_out: 10, bounced: 5, recipients: 316 });
    expect(result.details.count).toBeGreaterThanOrEqual(10);
    expect(result.details.sample).toHaveLength(10);
  });

  it('checks a campaign launch against the lists of the emails it sends', async () => {
    // cmp_2 (draft) sends em_2, em_7, em_12 to l_2 “North America leads” (72 members, 1 opted out).
    const result = await recipientsConsent.run(await contextFor(t, launch('campaigns', 'cmp_2')));
    expect(result).toMatchObject({ ok: false, details: { count: 1, opted_out: 1, recipients: 72 } });
    expect(result.summary).toContain('on list l_2 “North America leads”');
  });

  it('checks the contacts named by a sequence enrollment', async () => {
    const [optedOut, fine] = await membersOf(t.crm, 'l_4');
    await update(t.crm, 'contacts', optedOut!, { hs_email_optout: 'true' });
    const req = {
      object: 'sequences',
      operation: 'enroll',
      target: 'seq_1',
      params: { contact_ids: [optedOut, fine] },
    };
    expect(recipientsConsent.applies(await contextFor(t, req))).toBe(true);
    const result = await recipientsConsent.run(await contextFor(t, req));
    expect(result).toMatchObject({ ok: false, details: { count: 1, sample: [optedOut], recipients: 2 } });
    expect(result.summary).toContain('to enroll in seq_1');
  });

  it('does not pass when the recipient count exceeds the bound, and says so', async () => {
    const email = await draftEmail(t.crm, 'l_4', 'customers');
    const ctx = await contextFor(t, launch('marketing_emails', email), { limits: { maxRecipients: 10 } });
    const result = await recipientsConsent.run(ctx);
    expect(result).toMatchObject({ ok: false, details: { count: 0, recipients: 10, capped: true } });
    expect(result.summary).toContain('Only the first 10 of up to 27 recipients were checked');
  });

  it('does not apply to actions that send nothing', async () => {
    const ctx = await contextFor(t, {
      object: 'contacts',
      operation: 'update',
      records: [{ id: 'c_1', changes: { city: 'Oslo' } }],
    });
    expect(recipientsConsent.applies(ctx)).toBe(false);
  });
});

describe('suppression_list', () => {
  it('passes with a warning that says nothing was checked when the CRM has no suppression list', async () => {
    const email = await draftEmail(t.crm, 'l_4', 'customers');
    const result = await suppressionList.run(await contextFor(t, launch('marketing_emails', email)));
    expect(result).toMatchObject({ ok: true, severity: 'warn', details: { count: 0, lists: [] } });
    expect(result.summary).toContain('crm has no suppression list');
  });

  it('fails when a recipient is on a suppression list', async () => {
    const suppression = await create(t.crm, 'lists', {
      name: 'Global suppression',
      segment: 'suppression',
      list_type: 'static',
    });
    const [member] = await membersOf(t.crm, 'l_4');
    const current = await t.crm.get('contacts', member!);
    await update(t.crm, 'contacts', member!, { lists: `${current!.properties['lists']};${suppression}` });
    const email = await draftEmail(t.crm, 'l_4', 'customers');
    const ctx = await contextFor(t, launch('marketing_emails', email));
    const result = await suppressionList.run(ctx);
    expect(result).toMatchObject({
      ok: false,
      severity: 'fail',
      details: { count: 1, sample: [member], lists: [suppression] },
    });
    expect(result.summary).toBe(
      `1 of 27 recipients on list l_4 “Customers” is on suppression list ${suppression} “Global suppression”.`,
    );
  });

  it('passes when suppression lists exist but no recipient is on one', async () => {
    await create(t.crm, 'lists', { name: 'Global suppression', segment: 'suppression', list_type: 'static' });
    const email = await draftEmail(t.crm, 'l_4', 'customers');
    const result = await suppressionList.run(await contextFor(t, launch('marketing_emails', email)));
    expect(result).toMatchObject({ ok: true, severity: 'fail', details: { count: 0 } });
  });
});

describe('frequency_cap', () => {
  const cap = (max: number) => ({ config: { frequencyCap: { max, perMs: 7 * DAY } } });

  /** Two emails to l_4 sent 2 and 1 days before NOW, through the CRM's own launch. */
  async function sendTwoToCustomers() {
    for (const daysAgo of [2, 1]) {
      t.clock.set(new Date(Date.parse(NOW) - daysAgo * DAY));
      await write(t.crm, launch('marketing_emails', await draftEmail(t.crm, 'l_4', 'customers')));
    }
    t.clock.set(NOW);
  }

  it('fails when recipients already got the maximum within the window', async () => {
    await sendTwoToCustomers();
    const email = await draftEmail(t.crm, 'l_4', 'customers');
    const result = await frequencyCap.run(await contextFor(t, launch('marketing_emails', email), cap(2)));
    expect(result).toMatchObject({
      ok: false,
      severity: 'fail',
      details: { count: 27, max: 2, window_ms: 7 * DAY, recent_emails: 2, since: '2026-01-03T12:00:00.000Z' },
    });
    expect(result.details.sample).toHaveLength(10);
    expect(result.summary).toMatch(
      /^27 of 27 recipients on list l_4 “Customers” would get more than 2 marketing emails in 7 days: c_\d+ got 2 since 2026-01-03T12:00:00Z and this sends 1 more\.$/,
    );
  });

  it('passes when the new send stays within the cap', async () => {
    await sendTwoToCustomers();
    const email = await draftEmail(t.crm, 'l_4', 'customers');
    const result = await frequencyCap.run(await contextFor(t, launch('marketing_emails', email), cap(3)));
    expect(result).toMatchObject({ ok: true, details: { count: 0, recent_emails: 2 } });
    expect(result.summary).toContain('(2 emails sent since 2026-01-03T12:00:00Z counted)');
  });

  it('does not count sends older than the window', async () => {
    await sendTwoToCustomers();
    const email = await draftEmail(t.crm, 'l_4', 'customers');
    const later = new Date(Date.parse(NOW) + 7 * DAY).toISOString(); // the window starts after both sends
    const result = await frequencyCap.run(
      await contextFor(t, launch('marketing_emails', email), { ...cap(2), now: later }),
    );
    expect(result).toMatchObject({ ok: true, details: { recent_emails: 0 } });
  });

  it('counts only recipients who are on the lists that were emailed', async () => {
    await sendTwoToCustomers();
    const email = await draftEmail(t.crm, 'l_3', 'emea-mql'); // EMEA MQLs: no customers among them
    const result = await frequencyCap.run(await contextFor(t, launch('marketing_emails', email), cap(2)));
    expect(result).toMatchObject({ ok: true, details: { count: 0, recipients: 17 } });
  });

  it('counts every email of a campaign launch', async () => {
    // cmp_2 sends three emails to l_2 at once: over a cap of 2 for every member, with no earlier sends.
    const result = await frequencyCap.run(await contextFor(t, launch('campaigns', 'cmp_2'), cap(2)));
    expect(result).toMatchObject({ ok: false, details: { count: 72, recent_emails: 0 } });
    expect(result.summary).toContain('got 0 since 2026-01-03T12:00:00Z and this sends 3 more');
  });

  it('applies only when a cap is configured', async () => {
    const email = await draftEmail(t.crm, 'l_4', 'customers');
    expect(frequencyCap.applies(await contextFor(t, launch('marketing_emails', email)))).toBe(false);
    expect(frequencyCap.applies(await contextFor(t, launch('marketing_emails', email), cap(2)))).toBe(true);
  });
});
