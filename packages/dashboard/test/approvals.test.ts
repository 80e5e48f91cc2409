/**
 * The approvals flow in a real browser against a real server: an approver opens a pending
 * approval, sees the field-level diff, ticks the checklist, approves, and sees the action executed
 * in the overview; an auditor sees the same page without decision controls, and the server
 * refuses the auditor's POST anyway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { exampleConfigText } from '../../server/test/helpers/gatehouse.js';
import { allRecords, crmOf } from '../../server/test/helpers/sandbox.js';
import {
  launch,
  serve,
  signedIn,
  withAutonomousSubjectOptimizer,
  withSubjectReviewPolicy,
  type Served,
} from './harness.js';

const AGENT = 'subject-optimizer';
let s: Served;
let browser: Browser;
let approvalId: string;
let emailId: string;
let oldSubject: string;

beforeAll(async () => {
  s = await serve({
    configText: withSubjectReviewPolicy(withAutonomousSubjectOptimizer(exampleConfigText({ contacts: 60 }))),
  });
  browser = await launch();
  const email = (await allRecords(crmOf(s.t.gh), 'marketing_emails')).find((e) => e.properties.status !== 'sent');
  if (!email) throw new Error('the sandbox has no unsent email');
  emailId = email.id;
  oldSubject = String(email.properties.subject);
  const r = await s.t.inject('POST', '/v1/actions', s.t.keys[AGENT], {
    connector: 'crm',
    object: 'marketing_emails',
    operation: 'update',
    records: [{ id: emailId, changes: { subject: 'Spring sale: 20% off everything' } }],
    reason: 'Shorter subject lines won the last three A/B tests',
  });
  expect(r.status, r.body).toBe(202);
  expect(r.json.status).toBe('pending_approval');
  approvalId = r.json.approval.id;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

describe('approvals in the dashboard', () => {
  it('an auditor reads the approval without decision controls, and a POST is refused with a code', async () => {
    const page = await signedIn(browser, s.url, 'ana');
    await page.goto(`${s.url}/#/approvals/${approvalId}`);
    await page.getByRole('heading', { name: /marketing_emails\.update by subject-optimizer/ }).waitFor();
    // The diff is there…
    const diff = page.locator('table.diff');
    await expect(diff.locator('td.before').first().textContent()).resolves.toBe(oldSubject);
    await expect(diff.locator('td.after').first().textContent()).resolves.toBe('Spring sale: 20% off everything');
    // …the decision controls are not.
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Reject' }).count()).toBe(0);
    expect(await page.getByText(/deciding it needs the approver role/).count()).toBe(1);
    expect(await page.getByRole('checkbox').first().isDisabled()).toBe(true);

    // The server refuses the same decision from the auditor's own session.
    const answer = await page.evaluate(async (id) => {
      const session = (await (await fetch('/v1/session', { credentials: 'same-origin' })).json()) as {
        csrf_token: string;
      };
      const res = await fetch(`/v1/approvals/${id}/decision`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrf_token },
        body: JSON.stringify({ decision: 'approve', checklist: { 'brand-tone': true, 'unsubscribe-link': true } }),
      });
      return { status: res.status, body: (await res.json()) as { error?: { code?: string } } };
    }, approvalId);
    expect(answer.status).toBe(403);
    expect(answer.body.error?.code).toMatch(/^[a-z_]+$/);

    // The auditor's own page: the verified chain, and the log filtered to action entries.
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.locator('[data-chain-ok="true"]').waitFor();
    await page.getByLabel('Entry type').fill('action');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('table.audit tbody tr').first().waitFor();
    await page.waitForFunction(
      `[...document.querySelectorAll('table.audit tbody tr td:nth-child(3)')].every((td) => td.textContent.startsWith('action.'))`,
    );
    const types = await page.locator('table.audit tbody tr td:nth-child(3)').allTextContents();
    expect(types).toContain('action.decided');
    expect(types.every((x) => x.startsWith('action.'))).toBe(true);
    await page.context().close();
  });

  it('an approver sees the diff, ticks the checklist, approves, and the overview shows it executed', async () => {
    const page = await signedIn(browser, s.url, 'lee');
    await page.getByRole('link', { name: 'Approvals' }).click();
    await page.locator(`a[data-approval="${approvalId}"]`).click();
    await page.getByRole('heading', { name: /marketing_emails\.update by subject-optimizer/ }).waitFor();
    await page
      .locator('blockquote.reason', { hasText: 'Shorter subject lines won the last three A/B tests' })
      .waitFor();

    const row = page.locator('table.diff tbody tr').first();
    expect(await row.locator('td').nth(0).textContent()).toBe('subject');
    expect(await row.locator('td.before').textContent()).toBe(oldSubject);
    expect(await row.locator('td.after').textContent()).toBe('Spring sale: 20% off everything');

    const approve = page.getByRole('button', { name: 'Approve', exact: true });
    expect(await approve.isDisabled()).toBe(true);
    await page.getByRole('checkbox', { name: /brand tone/ }).check();
    expect(await approve.isDisabled()).toBe(true); // one item still unticked
    await page.getByRole('checkbox', { name: /unsubscribe link/ }).check();
    expect(await approve.isDisabled()).toBe(false);
    await approve.click();
    await page
      .getByRole('status')
      .filter({ hasText: /Approved: 1\/1 approvals; the action is now executed/ })
      .waitFor();

    const crm = await crmOf(s.t.gh).get('marketing_emails', emailId);
    expect(crm?.properties.subject).toBe('Spring sale: 20% off everything');

    await page.getByRole('link', { name: 'Overview' }).click();
    const card = page.locator(`article[data-agent="${AGENT}"]`);
    await card.locator('.count-executed dd').filter({ hasText: '1' }).waitFor();
    expect(await card.getAttribute('data-status')).toBe('running');
    expect(await card.getByText('No pending approvals').count()).toBe(1);
    await page.context().close();
  });

  it('approve-with-edits: j selects, the preview shows the re-judged decision, confirm executes the edit', async () => {
    const crm = crmOf(s.t.gh);
    const email = (await allRecords(crm, 'marketing_emails')).filter((e) => e.properties.status !== 'sent')[1]!;
    const r = await s.t.inject('POST', '/v1/actions', s.t.keys[AGENT], {
      connector: 'crm',
      object: 'marketing_emails',
      operation: 'update',
      records: [{ id: email.id, changes: { subject: 'OPEN NOW!!!' } }],
      reason: 'Capitals test well',
    });
    expect(r.status, r.body).toBe(202);
    const id = r.json.approval.id as string;

    const page = await signedIn(browser, s.url, 'lee');
    await page.goto(`${s.url}/#/approvals`);
    await page.locator(`a[data-approval="${id}"]`).waitFor();
    await page.keyboard.press('j');
    await page.waitForURL(`**/#/approvals/${id}`);
    await page.keyboard.press('?');
    await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
    await page.keyboard.press('Escape');

    await page.getByRole('checkbox', { name: /brand tone/ }).check();
    await page.getByRole('checkbox', { name: /unsubscribe link/ }).check();
    await page.getByRole('button', { name: 'Approve with edits…' }).click();
    const input = page.getByLabel(`New value of subject for ${email.id}`);
    await input.fill('Open now: your spring guide');
    await page.getByRole('button', { name: 'Preview re-judged decision' }).click();
    const dialog = page.getByRole('dialog', { name: 'Approve with edits' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toMatch(/Re-judged decision/);
    expect(await dialog.textContent()).toMatch(/subject-changes-need-review/);
    await dialog.getByRole('button', { name: 'Confirm approve with edits' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /^Approved/ })
      .waitFor();
    expect((await crm.get('marketing_emails', email.id))?.properties.subject).toBe('Open now: your spring guide');
    await page.context().close();
  });
});
