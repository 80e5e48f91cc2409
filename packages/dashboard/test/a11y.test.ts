/**
 * axe-core on every page of the dashboard (signed in as an admin who also approves, so every
 * control is on screen): no serious or critical violations. Sign-in is checked signed out. On the
 * way, the admin's mode switch (confirmation, required comment) and its absence for an approver.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { exampleConfigText } from '../../server/test/helpers/gatehouse.js';
import { allRecords, crmOf } from '../../server/test/helpers/sandbox.js';
import {
  launch,
  serve,
  seriousViolations,
  signedIn,
  withAutonomousSubjectOptimizer,
  withSubjectReviewPolicy,
  type Served,
} from './harness.js';

let s: Served;
let browser: Browser;
let approvalId: string;

beforeAll(async () => {
  s = await serve({
    configText: withSubjectReviewPolicy(withAutonomousSubjectOptimizer(exampleConfigText({ contacts: 60 }))),
  });
  browser = await launch();
  const email = (await allRecords(crmOf(s.t.gh), 'marketing_emails')).find((e) => e.properties.status !== 'sent');
  const r = await s.t.inject('POST', '/v1/actions', s.t.keys['subject-optimizer'], {
    connector: 'crm',
    object: 'marketing_emails',
    operation: 'update',
    records: [{ id: email!.id, changes: { subject: 'A calmer subject line' } }],
    reason: 'Calmer subjects had fewer unsubscribes',
  });
  expect(r.status, r.body).toBe(202);
  approvalId = r.json.approval.id;
  const contacts = (await allRecords(crmOf(s.t.gh), 'contacts')).filter((c) =>
    ['US', 'CA'].includes(String(c.properties.country)),
  );
  const routed = await s.t.inject('POST', '/v1/actions', s.t.keys['lead-router'], {
    connector: 'crm',
    object: 'contacts',
    operation: 'update',
    records: [{ id: contacts[0]!.id, changes: { owner_id: 'u_7' } }],
    reason: 'Route to the west-coast rep',
  });
  expect(routed.status, routed.body).toBe(200);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

async function check(page: Page, name: string) {
  const v = await seriousViolations(page);
  expect(v, `${name}: ${JSON.stringify(v, null, 1)}`).toEqual([]);
}

it('sign-in has no serious accessibility violations', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${s.url}/`);
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await check(page, 'sign-in');
  await context.close();
});

it('every signed-in page has no serious accessibility violations', async () => {
  const page = await signedIn(browser, s.url, 'maria');
  const pages: [string, string, () => Promise<unknown>][] = [
    ['overview', '#/overview', () => page.locator('article.agent-card').first().waitFor()],
    ['approvals inbox', '#/approvals', () => page.locator(`a[data-approval="${approvalId}"]`).waitFor()],
    ['approval detail', `#/approvals/${approvalId}`, () => page.locator('table.diff').waitFor()],
    ['agents', '#/agents', () => page.getByRole('heading', { name: 'Agents', level: 1 }).waitFor()],
    ['agent detail', '#/agents/lead-router', () => page.getByRole('heading', { name: 'Recent actions' }).waitFor()],
    ['breakers', '#/breakers', () => page.locator('tr[data-breaker="ctr-drop"]').waitFor()],
    ['breaker detail', '#/breakers/ctr-drop', () => page.getByRole('heading', { name: 'Incidents' }).waitFor()],
    ['audit', '#/audit', () => page.locator('table.audit').waitFor()],
    ['governance', '#/governance', () => page.getByRole('heading', { name: 'Policies' }).waitFor()],
  ];
  for (const [name, hash, ready] of pages) {
    await page.goto(`${s.url}/${hash}`);
    await ready();
    await check(page, name);
  }
  // The shortcut help overlay, opened from the keyboard.
  await page.goto(`${s.url}/#/approvals/${approvalId}`);
  await page.locator('table.diff').waitFor();
  await page.keyboard.press('?');
  await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
  await check(page, 'shortcut help');
  await page.keyboard.press('Escape');
  // The admin's mode-switch confirmation.
  await page.goto(`${s.url}/#/agents/lead-router`);
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByRole('dialog', { name: /Change lead-router to paused/ }).waitFor();
  await check(page, 'mode switch dialog');
  const confirm = page.getByRole('button', { name: 'Confirm' });
  expect(await confirm.isDisabled()).toBe(true); // the comment is required
  await page.getByLabel('Why (recorded in the audit log)').fill('Pausing while sales ops redraws territories');
  await confirm.click();
  await page.getByRole('status').filter({ hasText: 'Mode set to paused.' }).waitFor();
  expect((await s.t.gh.storage.agents.get('lead-router'))?.mode).toBe('paused');
  await page.context().close();
});

it('the approval with its decision controls and edit mode has no serious accessibility violations', async () => {
  const page = await signedIn(browser, s.url, 'lee');
  await page.goto(`${s.url}/#/approvals/${approvalId}`);
  await page.getByRole('button', { name: 'Approve', exact: true }).waitFor();
  await check(page, 'approval with controls');
  await page.getByRole('button', { name: 'Approve with edits…' }).click();
  await page.locator('table.diff input').first().waitFor();
  await check(page, 'approval in edit mode');
  // An approver who is not an admin gets no mode switch.
  await page.goto(`${s.url}/#/agents/campaign-runner`);
  await page.getByText("Only admins change an agent's mode.").waitFor();
  expect(await page.getByRole('button', { name: 'Pause' }).count()).toBe(0);
  await page.context().close();
});
