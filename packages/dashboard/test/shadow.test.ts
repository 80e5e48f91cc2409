/**
 * Shadow evidence on the agent page: an observe-mode lead-router has proposed owners for
 * contacts and people have worked the same contacts (as packages/server/test/shadow/http.test.ts
 * seeds them). An admin sees the agreement rate, is stopped by unmet agent-wide criteria (an
 * override needs a written reason), promotes `contacts.update` on its evidence and sees the
 * operation's mode change; an approver sees the evidence but no promote control, and the server
 * refuses the approver anyway; axe finds no serious violation on the page or in the dialog.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createManualClock } from '../../server/src/core/clock.js';
import { exampleConfigText } from '../../server/test/helpers/gatehouse.js';
import { allRecords, crmOf, editAsPerson, inUsCa } from '../../server/test/helpers/sandbox.js';
import { launch, seriousViolations, serve, signedIn, type Served } from './harness.js';

const AGENT = 'lead-router';
const HOUR = 3_600_000;

function configText(): string {
  const text = exampleConfigText().replace(
    /(- id: lead-router\n\s+owner: sam\n\s+)mode: autonomous[^\n]*/,
    `$1mode: observe\n    promote_when: { min_proposals: 6, precision: 0.95, rule_adherence: 1, window: 14d, match_window: 2d, contacts.update: { precision: 0.8 } }`,
  );
  if (!text.includes('promote_when')) throw new Error('example config changed: lead-router not found');
  return text;
}

let s: Served;
let browser: Browser;
const clock = createManualClock('2026-03-02T09:00:00.000Z');

beforeAll(async () => {
  s = await serve({ configText: configText(), clock });
  const crm = crmOf(s.t.gh);
  const contacts = (await allRecords(crm, 'contacts')).filter(inUsCa).slice(0, 10);
  expect(contacts.length).toBe(10);
  // 8 proposals; people answer 6 the same way, 1 differently, 1 not at all; 1 change the agent missed.
  for (let i = 0; i < 8; i++) {
    const r = await s.t.inject('POST', '/v1/actions', s.t.keys[AGENT], {
      connector: 'crm',
      object: 'contacts',
      operation: 'update',
      records: [{ id: contacts[i]!.id, changes: { owner_id: `owner-${i}` } }],
      reason: 'route by territory',
    });
    expect(r.json.status, r.body).toBe('shadowed');
  }
  clock.advance(HOUR);
  for (let i = 0; i < 6; i++) await editAsPerson(crm, 'contacts', contacts[i]!.id, { owner_id: `owner-${i}` }, `p${i}`);
  await editAsPerson(crm, 'contacts', contacts[6]!.id, { owner_id: 'someone-else' }, 'p6');
  await editAsPerson(crm, 'contacts', contacts[9]!.id, { owner_id: 'owner-9' }, 'p9');
  clock.advance(HOUR);
  browser = await launch();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

it('an admin sees the agreement rate, is stopped by unmet criteria, and promotes an operation on its evidence', async () => {
  const page = await signedIn(browser, s.url, 'maria');
  await page.goto(`${s.url}/#/agents/${AGENT}`);
  await page.getByRole('heading', { name: 'Shadow evidence' }).waitFor();
  const all = page.locator('tr[data-scope="all"]');
  await all.waitFor();
  // 6 of the 7 answered proposals match: 86%.
  expect(await all.locator('[data-metric="agreement-rate"]').innerText()).toMatch(/^86%.*6\/7/);
  expect(await page.getByTestId('shadow-summary').innerText()).toMatch(
    /proposed 8 changes.*of the 7 people answered, 86% match/,
  );
  const op = page.locator('tr[data-scope="contacts.update"]');
  expect(await op.innerText()).toContain('met');
  expect(await all.innerText()).toContain('not met');
  expect(await page.getByText('a person set the field to the value the agent proposed').count()).toBe(1);
  expect(await page.locator('tr[data-operation="contacts.update"]').innerText()).toContain('observe');

  const violations = await seriousViolations(page);
  expect(violations, JSON.stringify(violations, null, 2)).toEqual([]);

  // The whole agent to autonomous: precision 86% < 95%, so confirming needs a written override.
  await page.getByLabel('Promote to', { exact: true }).selectOption('autonomous');
  await page.getByRole('button', { name: 'Check evidence…' }).click();
  const refused = page.getByRole('dialog', { name: `Promote ${AGENT} to autonomous` });
  await refused.waitFor();
  expect(await refused.locator('[data-verdict="not-met"]').innerText()).toContain('agreement rate 86% (needs 95%)');
  const override = refused.getByRole('button', { name: 'Promote with override' });
  expect(await override.isDisabled()).toBe(true);
  await refused.getByLabel(/Override reason.*audit log/).fill('checking the control');
  expect(await override.isDisabled()).toBe(false);
  const dialogViolations = await seriousViolations(page);
  expect(dialogViolations, JSON.stringify(dialogViolations, null, 2)).toEqual([]);
  await refused.getByRole('button', { name: 'Cancel' }).click();
  await refused.waitFor({ state: 'hidden' });

  // contacts.update alone: its own bar (80%) is met; confirm without a reason.
  await page.getByLabel('Operation', { exact: true }).selectOption('contacts.update');
  await page.getByRole('button', { name: 'Check evidence…' }).click();
  const ok = page.getByRole('dialog', { name: `Promote ${AGENT} contacts.update to autonomous` });
  await ok.waitFor();
  expect(await ok.locator('[data-verdict="met"]').innerText()).toContain('Every criterion is met');
  await ok.getByRole('button', { name: 'Confirm promotion' }).click();
  await page.getByText('promoted from observe to autonomous on its evidence').waitFor();
  await page.locator('tr[data-operation="contacts.update"]', { hasText: 'autonomous' }).waitFor();

  const modes = await s.t.inject('GET', `/v1/agents/${AGENT}/modes`, s.t.keys.maria);
  const row = modes.json.operations.find((o: { operation: string }) => o.operation === 'contacts.update');
  expect(row).toMatchObject({ mode: 'autonomous', source: 'operation_runtime' });
  expect(modes.json.mode).toBe('observe');
  await page.context().close();
}, 60_000);

it('an approver sees the evidence but no promote control, and the server refuses the approver', async () => {
  const page = await signedIn(browser, s.url, 'lee');
  await page.goto(`${s.url}/#/agents/${AGENT}`);
  await page.locator('tr[data-scope="all"] [data-metric="agreement-rate"]').waitFor();
  expect(await page.locator('tr[data-scope="all"] [data-metric="agreement-rate"]').innerText()).toMatch(/^86%/);
  await page.getByText('Only admins promote an agent on its evidence.').waitFor();
  expect(await page.getByRole('button', { name: 'Check evidence…' }).count()).toBe(0);
  const violations = await seriousViolations(page);
  expect(violations, JSON.stringify(violations, null, 2)).toEqual([]);

  const r = await s.t.inject('POST', `/v1/agents/${AGENT}/promote`, s.t.keys.lee, {
    to: 'gated',
    override_reason: 'I am not an admin',
  });
  expect(r.status).toBe(403);
  await page.context().close();
}, 60_000);
