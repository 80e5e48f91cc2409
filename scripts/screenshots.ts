/**
 * Screenshots for the README and docs/dashboard.md, from a seeded Gatehouse driven through its
 * public API, in headless Chromium at laptop width (1280 px):
 *
 * - docs/screenshots/overview.png: agents running, waiting on people, and one halted by a breaker;
 * - docs/screenshots/approval-diff.png: a 120-record reassignment with its paged diff, checklist
 *   and a quorum of two with one vote in;
 * - docs/screenshots/breaker-tripped.png: `ctr-drop` open, its metric against the baseline, the
 *   incident's evidence and rollback.
 *
 * Run: `npm run build && npx tsx --conditions=development scripts/screenshots.ts` (needs /usr/bin/chromium).
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createManualClock } from '../packages/server/src/core/clock.js';
import { exampleConfigText } from '../packages/server/test/helpers/gatehouse.js';
import { allRecords, crmOf } from '../packages/server/test/helpers/sandbox.js';
import { launch, serve, signedIn, withAutonomousSubjectOptimizer } from '../packages/dashboard/test/harness.js';

const OUT = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Eight days ago on the hour, so that the seeded evening ends just before the real now. */
const T0 = Math.floor(Date.now() / HOUR) * HOUR - 8 * DAY;

function config(): string {
  const text = withAutonomousSubjectOptimizer(exampleConfigText({ contacts: 600 }));
  // A checklist for large reassignments, so the approval shows one.
  return text.replace(
    /^policies:\n/m,
    `policies:\n  - id: big-reassignments-checked\n    when: "action.object == 'contacts' && changes.records > 100"\n    effect: require_approval\n    approvers: { role: approver, count: 2 }\n    checklist: [territory-map-current, owners-notified]\n\n`,
  );
}

function hourly(emailId: string, from: number, hours: number, delivered: number, clicks: number) {
  const samples = [];
  for (let h = 0; h < hours; h++) {
    const at = new Date(from + h * HOUR).toISOString();
    samples.push({ metric: 'email.delivered', value: delivered + ((h * 37) % 40), at, dims: { email_id: emailId } });
    samples.push({ metric: 'email.clicks', value: clicks + ((h * 13) % 3), at, dims: { email_id: emailId } });
  }
  return samples;
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const clock = createManualClock(new Date(T0 + 7 * DAY).toISOString());
  const s = await serve({ configText: config(), clock });
  const browser = await launch();
  try {
    const { t } = s;
    const crm = crmOf(t.gh);
    const ok = (r: { status: number; body: string }, what: string, ...expected: number[]) => {
      const want = expected.length > 0 ? expected : [200];
      if (!want.includes(r.status)) throw new Error(`${what}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
    };
    const post = (key: string, body: unknown) => t.inject('POST', '/v1/actions', t.keys[key], body);

    // A healthy week of email traffic.
    const emails = (await allRecords(crm, 'marketing_emails')).filter((e) => e.properties.status !== 'sent');
    const [email, other] = emails;
    if (!email || !other) throw new Error('the sandbox has too few unsent emails');
    ok(await t.inject('POST', '/v1/kpis', t.keys.maria, { samples: hourly(email.id, T0, 7 * 24, 250, 8) }), 'kpis');
    ok(await t.inject('POST', '/v1/kpis', t.keys.maria, { samples: hourly(other.id, T0, 7 * 24, 300, 9) }), 'kpis');

    // The subject-optimizer rewrites a subject; its clicks will collapse over the following day.
    clock.advance(60_000);
    ok(
      await post('subject-optimizer', {
        connector: 'crm',
        object: 'marketing_emails',
        operation: 'update',
        records: [{ id: email.id, changes: { subject: 'LAST CHANCE!!! Everything must go' } }],
        reason: 'Urgency lifted opens in the subject test',
      }),
      'rewrite',
      200,
    );

    // The last two hours: the lead-router routes leads, a launch and a big reassignment wait.
    clock.set(new Date(T0 + 8 * DAY - 2 * HOUR).toISOString());
    const contacts = (await allRecords(crm, 'contacts')).filter((c) =>
      ['US', 'CA'].includes(String(c.properties.country)),
    );
    for (let i = 0; i < 14; i++) {
      clock.advance(7 * 60_000);
      const c = contacts[i]!;
      ok(
        await post('lead-router', {
          connector: 'crm',
          object: 'contacts',
          operation: 'update',
          records: [{ id: c.id, changes: { owner_id: `u_${(i % 4) + 2}` } }],
          reason: `Route to the ${c.properties.country} rep: new inbound lead`,
        }),
        'route',
        200,
      );
    }
    ok(
      await post('lead-router', {
        connector: 'crm',
        object: 'contacts',
        operation: 'update',
        records: [{ id: contacts[20]!.id, changes: { lifecyclestage: 'customer' } }],
        reason: 'Mark as customer',
      }),
      'denied write',
      403,
    );

    // Waiting on people: a campaign launch and a big reassignment (one vote in).
    const campaign = (await allRecords(crm, 'campaigns')).find((c) => c.properties.status === 'draft');
    ok(
      await post('campaign-runner', {
        connector: 'crm',
        object: 'campaigns',
        operation: 'launch',
        target: campaign!.id,
        params: {},
        reason: 'Spring webinar invite is ready; segment reviewed by the agent',
      }),
      'launch',
      202,
    );
    const batch = contacts.slice(30, 150);
    const big = await post('lead-router', {
      connector: 'crm',
      object: 'contacts',
      operation: 'update',
      records: batch.map((c, i) => ({ id: c.id, changes: { owner_id: i % 3 === 0 ? 'u_9' : 'u_11' } })),
      reason: 'Territory realignment: West region split between two new reps (u_9, u_11)',
    });
    ok(big, 'big batch', 202);
    const approvalId = (big.json as { approval: { id: string } }).approval.id;
    ok(
      await t.inject('POST', `/v1/approvals/${approvalId}/decision`, t.keys.lee, {
        decision: 'approve',
        comment: 'Matches the territory map from sales ops',
        checklist: { 'territory-map-current': true, 'owners-notified': true },
      }),
      'first vote',
      200,
    );

    // Evening: clicks on the rewritten email collapse.
    clock.set(new Date(T0 + 8 * DAY - 60_000).toISOString());
    ok(
      await t.inject('POST', '/v1/kpis', t.keys.maria, { samples: hourly(other.id, T0 + 7 * DAY, 23, 300, 9) }),
      'kpis',
    );
    ok(
      await t.inject('POST', '/v1/kpis', t.keys.maria, { samples: hourly(email.id, T0 + 7 * DAY, 23, 250, 2) }),
      'trip',
    );

    const page = await signedIn(browser, s.url, 'sam');
    await page.setViewportSize({ width: 1280, height: 860 });
    await page.locator('article[data-agent="subject-optimizer"][data-status="breaker_open"]').waitFor();
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${OUT}overview.png`, fullPage: true });

    await page.goto(`${s.url}/#/breakers/ctr-drop`);
    await page.locator('article.incident').first().waitFor();
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${OUT}breaker-tripped.png`, fullPage: true });
    await page.context().close();

    const maria = await signedIn(browser, s.url, 'maria');
    await maria.setViewportSize({ width: 1280, height: 860 });
    await maria.goto(`${s.url}/#/approvals/${approvalId}`);
    await maria.locator('table.diff').waitFor();
    await maria.getByRole('checkbox').first().check();
    await maria.evaluate('window.scrollTo(0, 0)');
    await maria.waitForTimeout(300);
    await maria.screenshot({ path: `${OUT}approval-diff.png`, fullPage: true });
    await maria.context().close();
    console.log(`wrote ${OUT}{overview,approval-diff,breaker-tripped}.png`);
  } finally {
    await browser.close();
    await s.close();
  }
}

await main();
