/**
 * Browser tests' shared setup: a real Gatehouse listening on 127.0.0.1 (random port) with the
 * built dashboard, people with passwords, and headless Debian Chromium through playwright-core.
 *
 * The dashboard must be built: `npm test` builds before vitest; run alone, these tests build it
 * once (vite build, a few seconds) when packages/dashboard/dist/index.html is missing. The server
 * lists dist/ when it starts, so the build happens before the server does.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { setPassword } from '../../server/src/core/auth/credentials.js';
import {
  startTestGatehouse,
  type TestGatehouse,
  type TestGatehouseOptions,
} from '../../server/test/helpers/gatehouse.js';

export const DASHBOARD_DIR = fileURLToPath(new URL('../', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const PASSWORDS: Record<string, string> = {
  maria: 'maria-has-a-long-passphrase',
  sam: 'sam-keeps-the-pager-at-night',
  lee: 'lee-approves-with-care-1',
  ana: 'ana-reads-every-audit-entry',
};

export function ensureDashboardBuilt(): void {
  if (existsSync(`${DASHBOARD_DIR}dist/index.html`)) return;
  const vite = createRequire(import.meta.url).resolve('vite/bin/vite.js');
  execFileSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: DASHBOARD_DIR, stdio: 'inherit' });
}

export interface Served {
  t: TestGatehouse;
  url: string;
  close(): Promise<void>;
}

/** A Gatehouse on 127.0.0.1:<random> serving the dashboard, with every person's password set. */
export async function serve(opts: TestGatehouseOptions = {}): Promise<Served> {
  ensureDashboardBuilt();
  const t = await startTestGatehouse(opts);
  try {
    const deps = {
      storage: t.gh.storage,
      clock: t.gh.pipeline.clock,
      personIds: new Set(t.config.people.map((p) => p.id)),
    };
    for (const [personId, password] of Object.entries(PASSWORDS)) {
      if (deps.personIds.has(personId)) await setPassword(deps, { personId, password, actor: 'system:test' });
    }
    const address = await t.gh.http.listen({ host: '127.0.0.1', port: 0 });
    return { t, url: address.replace('localhost', '127.0.0.1'), close: () => t.close() };
  } catch (e) {
    await t.close();
    throw e;
  }
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/** A fresh browser context (own cookie jar) signed in as `person`, at 1280×800. */
export async function signedIn(browser: Browser, url: string, person: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await page.goto(`${url}/`);
  await page.getByLabel('Person id').fill(person);
  await page.getByLabel('Password').fill(PASSWORDS[person]!);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  return page;
}

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core on the current page; answers the serious and critical violations. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // The callbacks run in the page; this file is compiled without the DOM lib, hence globalThis.
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => {
    const g = globalThis as unknown as {
      document: unknown;
      axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeViolation[] }> };
    };
    const r = await g.axe.run(g.document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** The example config with `subject-optimizer` autonomous (as the breaker tests run it). */
export function withAutonomousSubjectOptimizer(text: string): string {
  const re = /(- id: subject-optimizer\n(?:.*\n)*?\s+mode: )observe/;
  if (!re.test(text)) throw new Error('example config changed: subject-optimizer mode');
  return text.replace(re, '$1autonomous');
}

/** Adds a policy: marketing email edits need one approver and the brand-tone checklist. */
export function withSubjectReviewPolicy(text: string): string {
  const marker = /^policies:\n/m;
  if (!marker.test(text)) throw new Error('example config changed: no policies section');
  return text.replace(
    marker,
    `policies:\n  - id: subject-changes-need-review\n    when: "action.object == 'marketing_emails'"\n    effect: require_approval\n    approvers: { role: approver, count: 1 }\n    checklist: [brand-tone, unsubscribe-link]\n\n`,
  );
}
