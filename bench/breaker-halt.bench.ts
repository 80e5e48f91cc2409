/**
 * Time to halt (issue 5): from sending the `POST /v1/kpis` whose samples breach `ctr-drop` to
 * the first write of the agent that Gatehouse refuses (423 breaker_open). Target: p99 < 100 ms
 * on one instance.
 *
 * One Gatehouse (file SQLite, WAL; a 300-contact sandbox) listening on loopback; the agent and
 * the KPI feed are HTTP clients in the same process. Each round: a healthy week for one email
 * (1,000 delivered/h, 3% CTR), the agent rewrites its subject (executed), then one POST brings a
 * collapsed day (0.7% CTR) and trips the breaker. Two ways the agent writes:
 * - sequential: its next write is sent when the POST has answered. The POST answers after the
 *   whole trip (open row committed, agent paused, incident recorded, subject rolled back), so this
 *   is the halt as a caller that waits for the feed sees it, trip actions included;
 * - tight loop: the agent writes back to back (one request in flight) from before the POST is
 *   sent; the first 423 arrives once the open row is committed, before the trip actions finish.
 * Between rounds a responder resets the breaker (changeBreaker), an admin unpauses the agent, and
 * the injected clock moves 40 days on, so the previous round's samples and changes are outside
 * every window and the attribution horizon.
 *
 * `npm run bench breaker-halt` or `npx tsx --conditions=development bench/run.ts breaker-halt`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveWorkspaceSources } from './lib/from-source.js';
import type { Gatehouse } from '../packages/server/src/create-gatehouse.js';
// Type-only: a value import of run.ts from a bench it is importing never settles.
import type { BenchResult } from './lib/table.js';

const ROUNDS = 100;
const TARGET_P99_MS = 100;
const AGENT = 'subject-optimizer';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const EPOCH = Date.parse('2026-01-05T00:00:00.000Z');
const ROUND_SPAN = 40 * DAY;

function configText(dir: string): string {
  return `version: 1
storage: { url: "sqlite:${dir}/gatehouse.db" }
server: { listen: "127.0.0.1:0", public_url: "http://127.0.0.1:4100" }
audit: { signing_key_file: "${dir}/audit-ed25519.pem", checkpoint_every: 1h }
connectors:
  crm: { type: sandbox, seed: 42, size: { contacts: 300, companies: 50, deals: 75 }, path: "${dir}/sandbox-crm.db" }
people:
  - { id: maria, name: Maria Lopez, email: maria@example.com, roles: [admin, approver] }
  - { id: sam, name: Sam Chen, email: sam@example.com, roles: [approver, responder] }
agents:
  - id: ${AGENT}
    owner: maria
    mode: autonomous
    grants:
      - connector: crm
        objects: [marketing_emails]
        operations: [read, update]
        read_fields: [name, subject, status]
        write_fields: [subject]
    limits: { actions_per_minute: 100000 }
breakers:
  - id: ctr-drop
    metric: email.ctr
    baseline: trailing_7d
    window: 24h
    trip_when: { drop_pct: 40, min_events: 50, confidence: 0.95 }
    scope: { agents: [${AGENT}] }
    on_trip: { pause: true, rollback: reversible_in_window, notify: [{ role: responder }] }
`;
}

function hourly(emailId: string, from: number, hours: number, delivered: number, clicks: number) {
  const samples = [];
  for (let h = 0; h < hours; h++) {
    const at = new Date(from + h * HOUR).toISOString();
    samples.push({ metric: 'email.delivered', value: delivered, at, dims: { email_id: emailId } });
    samples.push({ metric: 'email.clicks', value: clicks, at, dims: { email_id: emailId } });
  }
  return samples;
}

const quantile = (sorted: readonly number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
const ms = (n: number) => Number(n.toFixed(1));

export async function run(): Promise<BenchResult> {
  resolveWorkspaceSources();
  const [{ configOrThrow, loadConfigFromString }, { createGatehouse }, { createKey }, clockMod, service, gov] =
    await Promise.all([
      import('../packages/server/src/config/index.js'),
      import('../packages/server/src/create-gatehouse.js'),
      import('../packages/server/src/core/key-admin.js'),
      import('../packages/server/src/core/clock.js'),
      import('../packages/server/src/core/breakers/service.js'),
      import('../packages/server/src/core/governance.js'),
    ]);
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-halt-bench-'));
  let gh: Gatehouse | undefined;
  try {
    const config = configOrThrow(loadConfigFromString(configText(dir), 'bench.yaml', {}));
    const clock = clockMod.createManualClock(new Date(EPOCH + 8 * DAY).toISOString());
    gh = await createGatehouse({ config, logger: false, timers: false, clock });
    const address = await gh.listen(0);
    const keyDeps = {
      storage: gh.storage,
      clock,
      agentIds: new Set(config.agents.map((a) => a.id)),
      personIds: new Set(config.people.map((p) => p.id)),
      newId: gh.pipeline.newId,
    };
    const token = async (kind: 'agent' | 'ingest', subject: string) =>
      (await createKey(keyDeps, { kind, subject, actor: 'system:bench' })).token;
    const agentKey = await token('agent', AGENT);
    const feedKey = await token('ingest', 'bench-feed');
    const post = async (key: string, path: string, body: unknown) => {
      const r = await fetch(address + path, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: r.status, json: (await r.json()) as Record<string, unknown> };
    };
    const rewrite = (emailId: string, subject: string) =>
      post(agentKey, '/v1/actions', {
        connector: 'crm',
        object: 'marketing_emails',
        operation: 'update',
        reason: 'bench: urgency lifts opens',
        records: [{ id: emailId, changes: { subject } }],
      });
    const emailId = (await gh.connectors.get('crm')!.search('marketing_emails', { filters: [], limit: 1 })).results[0]
      ?.id;
    if (!emailId) throw new Error('the sandbox has no marketing email');
    const deps = { ...gh.pipeline, breakers: config.breakers };

    let round = 0;
    /** One round; answers ms from sending the breaching POST to the first 423, and the restored count. */
    const once = async (mode: 'sequential' | 'loop'): Promise<{ ms: number; restored: number }> => {
      const t0 = EPOCH + round++ * ROUND_SPAN;
      clock.set(new Date(t0 + 8 * DAY).toISOString());
      // The breach is sent two minutes after t0 + 8 d: the samples line up with its window and baseline.
      const base = await post(feedKey, '/v1/kpis', { samples: hourly(emailId, t0 + 2 * MINUTE, 7 * 24, 1000, 30) });
      if (base.status !== 200) throw new Error(`baseline push: HTTP ${base.status} ${JSON.stringify(base.json)}`);
      clock.advance(60_000);
      const w = await rewrite(emailId, `FREE!!! ACT NOW!!! (${round})`);
      if (w.json.status !== 'executed') throw new Error(`the rewrite ended ${String(w.json.status)}`);
      clock.advance(60_000); // the breach arrives after the rewrite (attribution takes changes before `now`)
      const breach = { samples: hourly(emailId, t0 + 7 * DAY + 2 * MINUTE, 24, 1000, 7) };

      let halted: number | undefined;
      let started: number;
      if (mode === 'sequential') {
        started = performance.now();
        const p = await post(feedKey, '/v1/kpis', breach);
        if (p.status !== 200) throw new Error(`breaching push: HTTP ${p.status}`);
        const r = await rewrite(emailId, 'next try');
        if (r.status === 423) halted = performance.now() - started;
      } else {
        let stop = false;
        const writer = (async () => {
          // The same subject again: a no-op change until the trip, so nothing new to roll back.
          while (!stop) {
            const r = await rewrite(emailId, `FREE!!! ACT NOW!!! (${round})`);
            if (r.status === 423) return performance.now();
            if (r.status !== 200) throw new Error(`loop write: HTTP ${r.status} ${JSON.stringify(r.json)}`);
          }
          return undefined;
        })();
        await new Promise((resolve) => setImmediate(resolve));
        started = performance.now();
        const p = await post(feedKey, '/v1/kpis', breach);
        if (p.status !== 200) throw new Error(`breaching push: HTTP ${p.status}`);
        const timeout = setTimeout(() => (stop = true), 2_000);
        const at = await writer;
        clearTimeout(timeout);
        if (at !== undefined) halted = at - started;
      }
      if (halted === undefined) throw new Error(`round ${round} (${mode}): the breaching POST did not halt the agent`);

      const incidents = await service.listIncidents(deps, 'ctr-drop');
      const rb = incidents[0]?.rollback as { restored?: number } | null | undefined;
      clock.advance(60_000);
      await service.changeBreaker(deps, {
        breakerId: 'ctr-drop',
        event: 'reset',
        comment: 'bench: next round',
        actor: 'person:sam',
        roles: ['responder'],
      });
      await gov.setAgentMode(deps, { agentId: AGENT, mode: 'autonomous', actor: 'person:maria' });
      return { ms: halted, restored: rb?.restored ?? 0 };
    };

    const rows: Record<string, string | number>[] = [];
    const notes: string[] = [];
    await once('sequential'); // warm-up: JIT, prepared statements
    for (const mode of ['sequential', 'loop'] as const) {
      const results = [];
      for (let i = 0; i < ROUNDS; i++) results.push(await once(mode));
      const sorted = results.map((r) => r.ms).sort((a, b) => a - b);
      const p99 = quantile(sorted, 0.99);
      rows.push({
        'agent writes': mode === 'sequential' ? 'right after the POST answers' : 'tight loop, from before the POST',
        rounds: results.length,
        'p50 ms': ms(quantile(sorted, 0.5)),
        'p99 ms': ms(p99),
        'max ms': ms(sorted[sorted.length - 1] ?? NaN),
        'rolled back / round': Math.min(...results.map((r) => r.restored)),
        [`p99 < ${TARGET_P99_MS} ms`]: p99 < TARGET_P99_MS ? 'MET' : 'NOT MET',
      });
    }
    notes.push(
      `One Gatehouse (SQLite file, WAL; HTTP on loopback, clients in the same process), ${ROUNDS} rounds per row after one warm-up round. Halt time = first 423 breaker_open received − breaching POST /v1/kpis sent (performance.now). Sequential rows include the trip actions the POST waits for (pause, incident, rollback of the subject); in the tight-loop row the 423 may come before the POST answers, but the agent's back-to-back writes (no-ops) share the server's one thread and SQLite with the evaluation, so it is not faster. p99 is nearest-rank over the row's rounds. "rolled back / round" is the minimum subjects restored per round.`,
    );
    return {
      title: 'Breaker time to halt: breaching KPI sample → first refused write (ctr-drop, one instance)',
      rows,
      notes,
    };
  } finally {
    await gh?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
