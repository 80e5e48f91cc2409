/**
 * The demo's shadow act (issue 8): the lead-router starts in observe, proposes owners for the
 * contacts in its segment (nothing is written), the sandbox's simulated reps route the same
 * contacts by their hidden territory rule (with the people simulator's rule and noise), the shadow
 * report shows how often the agent agreed with them, and `contacts.update` is promoted to
 * autonomous on that evidence — refused first with criteria it does not meet, to show the gate.
 *
 * Everything runs on the real clock: the proposals come first, the reps' writes after them, so
 * the evidence is exactly what `gatehouse shadow report` shows afterwards.
 */
import { PEOPLE_SOURCE, REP_ACTORS, territoryOwner, territoryTable } from '../adapters/connectors/sandbox/index.js';
import { checkRecordInScope } from '../core/boundary/index.js';
import { isGatehouseError } from '../core/errors.js';
import { setAgentMode } from '../core/governance.js';
import { dataSourceFor } from '../core/pipeline/data-source.js';
import { submitAction, type ActionRequest, type PipelineDeps } from '../core/pipeline/index.js';
import type { Connector, CrmRecord } from '../core/ports/connector.js';
import {
  formatEvidence,
  formatReport,
  loadShadowReport,
  promoteAgent,
  type PromoteWhen,
  type PromotionResult,
  type ShadowReport,
} from '../core/shadow/index.js';

const DAY = 86_400_000;

/** Criteria the act promotes against when the config gives the agent none. */
export const DEMO_PROMOTE_WHEN: PromoteWhen = {
  min_proposals: 30,
  precision: 0.9,
  rule_adherence: 0.99,
  window_ms: 14 * DAY,
  match_window_ms: 7 * DAY,
  operations: {},
};

export interface ShadowActOptions {
  readonly agentId?: string;
  readonly connectorId?: string;
  /** A person with the admin role: sets observe and decides the promotion. */
  readonly admin: string;
  /** The agent's `promote_when` (default {@link DEMO_PROMOTE_WHEN}). */
  readonly criteria?: PromoteWhen;
  /** Contacts the agent proposes an owner for (default 60). */
  readonly proposals?: number;
  /** Share of those the reps get to (default 0.85); the rest stay unconfirmed. */
  readonly workedShare?: number;
  /** Share of the reps' routings that break the rule (default 0.05, as the people simulator). */
  readonly noise?: number;
  readonly seed?: number;
  readonly out?: (line: string) => void;
  /** How the agent submits (the demo passes its HTTP client); default: the in-process pipeline. */
  readonly submit?: (request: ActionRequest) => Promise<{ status: string }>;
}

export interface ShadowActResult {
  readonly proposed: number;
  readonly shadowed: number;
  /** Of the proposed contacts, how many the reps routed, and how many of those off the rule. */
  readonly routedByReps: number;
  readonly offRule: number;
  /** Contacts the reps routed that the agent proposed nothing for (its missed changes). */
  readonly missedByAgent: number;
  readonly report: ShadowReport;
  /** The replica the agent read and planned on (`observe_on`), if any. */
  readonly dataSource?: string;
  readonly refusedFirst: boolean;
  /** `null` when the evidence did not meet the criteria (the act then says so). */
  readonly promotion: PromotionResult | null;
}

export async function runShadowAct(deps: PipelineDeps, opts: ShadowActOptions): Promise<ShadowActResult> {
  const agentId = opts.agentId ?? 'lead-router';
  const out = opts.out ?? (() => undefined);
  const agent = deps.agents.get(agentId);
  if (!agent) throw new Error(`runShadowAct: no agent '${agentId}' in the config`);
  const connector = deps.connectors.get(opts.connectorId ?? 'crm');
  if (!connector) throw new Error(`runShadowAct: no connector '${opts.connectorId ?? 'crm'}'`);
  const roles = deps.people?.get(opts.admin)?.roles ?? [];
  const criteria = opts.criteria ?? DEMO_PROMOTE_WHEN;
  const rand = prng(opts.seed ?? 42);

  out(`\nThe shadow act: ${agentId} starts in observe — its writes are proposed, judged and recorded, never executed.`);
  await setAgentMode(deps, {
    agentId,
    mode: 'observe',
    actor: `person:${opts.admin}`,
    comment: 'shadow act: prove it on evidence first',
  });

  // The agent's view: contacts in its segment whose owner breaks the territory rule. With
  // `observe_on` it reads the replica (as the pipeline plans on it); the reps work the live CRM.
  const view = dataSourceFor(deps, agent, connector.id, 'observe');
  if (view.replica) {
    out(
      `  It reads and plans on ${view.replica}, a replica of ${connector.id}; its actions, grants, policies and scoring still name ${connector.id}.`,
    );
  }
  const owners = await readAll(view.connector, 'owners');
  const table = territoryTable(owners);
  const grants = agent.grants.filter((g) => g.connector === connector.id && g.objects.includes('contacts'));
  const candidates = (await readAll(view.connector, 'contacts')).filter((c) => {
    const rule = territoryOwner(c, table);
    return rule !== null && rule !== c.properties.owner_id && checkRecordInScope(grants, c).ok;
  });
  const picked = candidates.slice(0, opts.proposals ?? 60);
  const submit = opts.submit ?? (async (req: ActionRequest) => (await submitAction(deps, agentId, req)).action);
  let shadowed = 0;
  for (const c of picked) {
    const a = await submit({
      connector: connector.id,
      object: 'contacts',
      operation: 'update',
      records: [{ id: c.id, changes: { owner_id: territoryOwner(c, table) } }],
      reason: `Route to the ${String(c.properties.country)} territory owner`,
    });
    if (a.status === 'shadowed') shadowed++;
  }
  out(
    `  ${agentId} proposed an owner for ${picked.length} contacts: ${shadowed} shadowed, nothing written${view.replica ? ` (to ${connector.id} or ${view.replica})` : ''}.`,
  );

  // The reps work the same queue by the hidden rule (with the simulator's noise); some they never reach.
  const ownerIds = owners.map((o) => o.id);
  const byRep = new Map<number, { id: string; changes: { owner_id: string } }[]>();
  let routed = 0;
  let offRule = 0;
  for (const c of picked) {
    if (rand() >= (opts.workedShare ?? 0.85)) continue;
    const rule = territoryOwner(c, table)!;
    const deviate = rand() < (opts.noise ?? 0.05);
    const owner = deviate
      ? (ownerIds.filter((o) => o !== rule)[Math.floor(rand() * (ownerIds.length - 1))] ?? rule)
      : rule;
    if (owner !== rule) offRule++;
    const rep = Math.floor(rand() * REP_ACTORS.length);
    byRep.set(rep, [...(byRep.get(rep) ?? []), { id: c.id, changes: { owner_id: owner } }]);
    routed++;
  }
  // ...and a few contacts further down the queue the agent never got to: its recall shows them.
  const beyond = candidates.slice(picked.length, picked.length + Math.ceil(picked.length / 10));
  for (const c of beyond) {
    const rep = Math.floor(rand() * REP_ACTORS.length);
    byRep.set(rep, [...(byRep.get(rep) ?? []), { id: c.id, changes: { owner_id: territoryOwner(c, table)! } }]);
  }
  for (const [rep, records] of byRep) {
    const plan = await connector.plan({ object: 'contacts', operation: 'update', records });
    const actor = REP_ACTORS[rep]!;
    const r = await connector.apply(plan, {
      idempotencyKey: `shadow-act-${actor.id}-${deps.clock.now().getTime()}`,
      actor,
      source: PEOPLE_SOURCE,
    });
    if (r.type !== 'applied') throw new Error(`runShadowAct: the reps' writes failed: ${JSON.stringify(r)}`);
  }
  out(
    `  The reps (${REP_ACTORS.map((a) => a.id).join(', ')}) route ${routed} of those contacts by their territory rule (${offRule} of their choices break it), and ${beyond.length} the agent never got to.`,
  );

  const now = deps.clock.now();
  const report = await loadShadowReport(deps, {
    agentId,
    since: new Date(now.getTime() - criteria.window_ms),
    matchWindowMs: criteria.match_window_ms,
  });
  out('');
  out(
    formatReport(report, { buckets: false, definitions: false })
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
  );

  // The gate first: with a stricter bar than the evidence supports, promotion is refused.
  const strict: PromoteWhen = { ...criteria, min_proposals: Math.max(criteria.min_proposals ?? 0, 10 * picked.length) };
  let refusedFirst = false;
  try {
    await promoteAgent(deps, {
      agentId,
      to: 'autonomous',
      operation: 'contacts.update',
      personId: opts.admin,
      roles,
      criteria: strict,
    });
  } catch (e) {
    if (!isGatehouseError(e) || e.code !== 'promotion_criteria_not_met') throw e;
    refusedFirst = true;
    out(`\n  With min_proposals ${strict.min_proposals}: ${e.message}`);
  }

  let promotion: PromotionResult | null = null;
  try {
    promotion = await promoteAgent(deps, {
      agentId,
      to: 'autonomous',
      operation: 'contacts.update',
      personId: opts.admin,
      roles,
      criteria,
    });
  } catch (e) {
    // Real evidence can fall short; the act says so instead of overriding on the audience's behalf.
    if (!isGatehouseError(e) || e.code !== 'promotion_criteria_not_met') throw e;
    out(`\n  ${e.message}`);
    out(`  ${agentId} stays in observe; more evidence (or an admin's written override) is needed.`);
  }
  if (promotion) {
    out('');
    out(
      formatEvidence(promotion)
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
    out(
      `  ${opts.admin} promotes ${agentId} contacts.update: ${promotion.from} → ${promotion.to} on that evidence (audit entry ${promotion.auditSeq}); every other operation stays ${promotion.from}.`,
    );
  }
  return {
    proposed: picked.length,
    shadowed,
    routedByReps: routed,
    offRule,
    missedByAgent: beyond.length,
    report,
    ...(view.replica ? { dataSource: view.replica } : {}),
    refusedFirst,
    promotion,
  };
}

async function readAll(connector: Connector, object: string): Promise<CrmRecord[]> {
  const all: CrmRecord[] = [];
  for (let after: string | undefined; ;) {
    const page = await connector.list(object, { limit: 1_000, ...(after ? { after } : {}) });
    all.push(...page.results);
    if (!page.nextAfter) return all;
    after = page.nextAfter;
  }
}

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
