/**
 * Live updates: with the overview open, KPI samples that collapse an email's CTR trip `ctr-drop`
 * (POST /v1/kpis, as the breaker tests do) and the subject-optimizer's card turns breaker-open
 * within 2 s, without reloading the page. Then the breaker page shows the incident and its
 * rollback, and only a responder gets the reset control.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createManualClock } from '../../server/src/core/clock.js';
import { exampleConfigText } from '../../server/test/helpers/gatehouse.js';
import { allRecords, crmOf } from '../../server/test/helpers/sandbox.js';
import { launch, serve, signedIn, withAutonomousSubjectOptimizer, type Served } from './harness.js';

const AGENT = 'subject-optimizer';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-03-01T00:00:00.000Z');

let s: Served;
let browser: Browser;
const clock = createManualClock(new Date(T0 + 7 * DAY).toISOString());

function hourly(emailId: string, from: number, hours: number, delivered: number, clicks: number) {
  const samples = [];
  for (let h = 0; h < hours; h++) {
    const at = new Date(from + h * HOUR).toISOString();
    samples.push({ metric: 'email.delivered', value: delivered, at, dims: { email_id: emailId } });
    samples.push({ metric: 'email.clicks', value: clicks, at, dims: { email_id: emailId } });
  }
  return samples;
}

beforeAll(async () => {
  s = await serve({ configText: withAutonomousSubjectOptimizer(exampleConfigText({ contacts: 60 })), clock });
  browser = await launch();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

it('a tripped breaker turns the agent card breaker-open within 2 s, without a reload', async () => {
  const email = (await allRecords(crmOf(s.t.gh), 'marketing_emails')).find((e) => e.properties.status !== 'sent');
  if (!email) throw new Error('the sandbox has no unsent email');
  const kpis = async (samples: unknown[]) => {
    const r = await s.t.inject('POST', '/v1/kpis', s.t.keys.maria, { samples });
    expect(r.status, r.body).toBe(200);
  };
  // A healthy week, then the agent rewrites the subject.
  await kpis(hourly(email.id, T0, 7 * 24, 250, 8));
  clock.advance(60_000);
  const rewrite = await s.t.inject('POST', '/v1/actions', s.t.keys[AGENT], {
    connector: 'crm',
    object: 'marketing_emails',
    operation: 'update',
    records: [{ id: email.id, changes: { subject: 'YOU WILL NOT BELIEVE THIS' } }],
    reason: 'better subject',
  });
  expect(rewrite.status, rewrite.body).toBe(200);

  // Sessions live 12 h on the server's clock: move to the evening of the next day before signing in.
  clock.set(new Date(T0 + 8 * DAY - 60_000).toISOString());
  const page = await signedIn(browser, s.url, 'sam');
  const card = page.locator(`article[data-agent="${AGENT}"]`);
  await card.waitFor();
  expect(await card.getAttribute('data-status')).toBe('running');
  let navigations = 0;
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) navigations++;
  });

  // The day's clicks collapse: the POST trips ctr-drop before it answers.
  await kpis(hourly(email.id, T0 + 7 * DAY, 23, 250, 2));
  const tripped = performance.now();
  await page.locator(`article[data-agent="${AGENT}"][data-status="breaker_open"]`).waitFor({ timeout: 2_000 });
  const ms = performance.now() - tripped;
  console.log(`breaker trip → card shows breaker open: ${ms.toFixed(0)} ms`);
  expect(ms).toBeLessThan(2_000);
  expect(navigations).toBe(0);
  // The update came over the server-sent event stream, not the polling fallback.
  expect(await page.locator('header .live').textContent()).toBe('Live');
  expect(await card.locator('.chip-open').textContent()).toMatch(/ctr-drop: open/);

  // The breaker page: the incident, its evidence and the rollback; sam (responder) may reset.
  await card.locator('.chip-open').click();
  await page.getByRole('heading', { name: /ctr-drop/, level: 1 }).waitFor();
  await page.getByRole('heading', { name: 'Incidents' }).waitFor();
  await page.locator('article.incident').first().waitFor();
  expect(await page.locator('ul[aria-label="Rollback results"] li').first().textContent()).toBe('1 restored');
  expect(await page.getByRole('button', { name: 'Reset…' }).count()).toBeGreaterThan(0);
  await page.context().close();

  // lee is an approver, not a responder: no reset control.
  const lee = await signedIn(browser, s.url, 'lee');
  await lee.goto(`${s.url}/#/breakers/ctr-drop`);
  await lee.getByRole('heading', { name: 'Incidents' }).waitFor();
  expect(await lee.getByRole('button', { name: 'Reset…' }).count()).toBe(0);
  await lee.context().close();
});
