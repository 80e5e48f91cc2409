/**
 * Gates read from shared storage on every write, so every instance obeys them at once:
 * the agent's run-time mode (a pause set by a person or a breaker), breakers, rate budgets.
 */
import { isHalting, transition, type TransitionResult } from '../breakers/state.js';
import type { AgentMode, AgentStateRow, BreakerRow, OperationModeRow, Repos, Storage } from '../ports/storage.js';
import { appendAudit } from './record.js';
import type { AgentDefinition } from './types.js';

/**
 * The mode that applies now. A run-time override (set by a person or a breaker) wins while the
 * agent's config section is unchanged; editing the agent in the config re-baselines it to the
 * file's mode — except a pause, and anything a breaker set (its demotion to `gated`), which only
 * a person lifts.
 */
export async function effectiveMode(repos: Pick<Repos, 'agents'>, agent: AgentDefinition): Promise<AgentMode> {
  return agentModeOf(agent, await repos.agents.get(agent.id));
}

export const isBreakerActor = (actor: string) => actor.startsWith('breaker:');

/** Does the stored run-time row decide the agent's mode (rather than the config file)? */
const rowHolds = (agent: AgentDefinition, state: AgentStateRow | undefined): state is AgentStateRow =>
  state !== undefined &&
  (state.mode === 'paused' || state.configVersion === agent.version || isBreakerActor(state.updatedBy));

export function agentModeOf(agent: AgentDefinition, state: AgentStateRow | undefined): AgentMode {
  return rowHolds(agent, state) ? state.mode : agent.mode;
}

/** Where an operation's mode came from (shown by `agents list` and in promotion evidence). */
export type ModeSource = 'agent_config' | 'agent_runtime' | 'operation_config' | 'operation_runtime';

export interface ResolvedMode {
  readonly mode: AgentMode;
  readonly source: ModeSource;
}

/** What mode resolution reads: the agent's run-time row and its per-operation rows. */
export interface StoredModes {
  readonly state: AgentStateRow | undefined;
  readonly operations: readonly OperationModeRow[];
}

export async function loadModes(repos: Pick<Repos, 'agents'>, agentId: string): Promise<StoredModes> {
  const [state, operations] = await Promise.all([repos.agents.get(agentId), repos.agents.listOperationModes(agentId)]);
  return { state, operations };
}

/**
 * The mode of one `object.operation`. The most recent decision wins, the file is the baseline:
 * 1. a paused agent is paused for every operation;
 * 2. a stored per-operation row (a promotion, a breaker's demotion) that is still valid (same
 *    config version, or set by a breaker) and not older than the agent's run-time row;
 * 3. the config's `operation_modes`, while the agent itself runs on the file's mode (a run-time
 *    change of the whole agent — `agents mode`, an agent-wide promotion — is newer than the file);
 * 4. the agent's mode.
 */
export function operationModeOf(agent: AgentDefinition, stored: StoredModes, operation: string): ResolvedMode {
  const runtime = rowHolds(agent, stored.state) ? stored.state : undefined;
  const agentMode = runtime ? runtime.mode : agent.mode;
  if (agentMode === 'paused') return { mode: 'paused', source: runtime ? 'agent_runtime' : 'agent_config' };
  const row = stored.operations.find((r) => r.operation === operation);
  if (
    row &&
    (row.configVersion === agent.version || isBreakerActor(row.updatedBy)) &&
    (!runtime || row.updatedAt >= runtime.updatedAt)
  ) {
    return { mode: row.mode, source: 'operation_runtime' };
  }
  const configured = agent.operationModes?.[operation];
  if (configured !== undefined && !runtime) return { mode: configured, source: 'operation_config' };
  return { mode: agentMode, source: runtime ? 'agent_runtime' : 'agent_config' };
}

/** Every operation the agent has a mode for, besides its own: config keys and stored rows. */
export function knownOperations(agent: AgentDefinition, stored: StoredModes): string[] {
  return [
    ...new Set([...Object.keys(agent.operationModes ?? {}), ...stored.operations.map((r) => r.operation)]),
  ].sort();
}

export const ALL_SCOPE = 'all';
export const agentScope = (agentId: string) => `agent:${agentId}`;

/** `open`, `forced_open`, or `half_open` with every probe of the period used. */
const refuses = (row: BreakerRow) => isHalting(row) || (row.state === 'half_open' && row.probeBudget <= 0);

const scopesOf = (agentId: string) => new Set([agentScope(agentId), ALL_SCOPE]);

/** The first breaker that refuses this agent's writes, if any (no probe is spent). */
export async function haltingBreaker(repos: Pick<Repos, 'breakers'>, agentId: string): Promise<BreakerRow | undefined> {
  const scopes = scopesOf(agentId);
  const rows = await repos.breakers.list();
  return rows.find((b) => refuses(b) && scopes.has(b.scopeKey));
}

export type BreakerGate =
  | { readonly type: 'pass' }
  /** Let through as a probe: one unit of each row's budget is spent (rows after the spend). */
  | { readonly type: 'probe'; readonly rows: readonly BreakerRow[] }
  /** Refused with `breaker_open`: the row that halts. */
  | { readonly type: 'halt'; readonly row: BreakerRow };

const PROBE_ATTEMPTS = 5;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Rolls back a transaction whose compare-and-set lost a race, so the gate retries from a fresh read. */
class ProbeConflict extends Error {}

/**
 * The breaker gate. Cheap when nothing covering the agent is `half_open`: one list call.
 * A write covered by `half_open` breakers is a probe of each: in one transaction every such row
 * is re-read, takes `probe_used` (state.ts) and is stored with compare-and-set, with its breaker
 * event and audit entry; a lost race retries from a fresh read. No budget left is a halt, as is a
 * row that moved to `open` meanwhile. `spendProbe: false` (the write is refused later anyway,
 * e.g. the agent is paused) halts as usual but spends nothing, so refused retries do not drain
 * the probation.
 */
export async function breakerGate(
  deps: { readonly storage: Storage; readonly clock: { now(): Date } },
  agentId: string,
  opts: { readonly spendProbe: boolean },
): Promise<BreakerGate> {
  const scopes = scopesOf(agentId);
  const mine = (await deps.storage.breakers.list()).filter((b) => scopes.has(b.scopeKey));
  const halting = mine.find(refuses);
  if (halting) return { type: 'halt', row: halting };
  const probing = mine.filter((b) => b.state === 'half_open');
  if (probing.length === 0 || !opts.spendProbe) return { type: 'pass' };

  for (let attempt = 0; attempt < PROBE_ATTEMPTS; attempt++) {
    try {
      return await deps.storage.transaction((tx) => spendProbes(tx, deps.clock.now(), agentId, probing));
    } catch (e) {
      if (!(e instanceof ProbeConflict)) throw e;
    }
  }
  // Still contended: refuse rather than let an unaccounted probe through (fail closed).
  return { type: 'halt', row: probing[0]! };
}

async function spendProbes(
  tx: Repos,
  now: Date,
  agentId: string,
  probing: readonly BreakerRow[],
): Promise<BreakerGate> {
  const actor = `agent:${agentId}`;
  const steps: { row: BreakerRow; t: Extract<TransitionResult, { ok: true }> }[] = [];
  for (const seen of probing) {
    const row = await tx.breakers.get(seen.breakerId, seen.scopeKey);
    if (!row || row.state !== 'half_open') {
      if (row && refuses(row)) return { type: 'halt', row };
      continue; // closed (or disabled) meanwhile: no probation left to spend
    }
    const t = transition(row, { type: 'probe_used' }, { now, actor, roles: [] });
    if (!t.ok) return { type: 'halt', row };
    steps.push({ row, t });
  }
  const at = now.toISOString();
  const spent: BreakerRow[] = [];
  for (const { row, t } of steps) {
    // A re-trip replaces the reason; keep the latest evaluation the row carried.
    const last = isRecord(row.reason) ? row.reason.last_evaluation : undefined;
    const next: BreakerRow =
      last !== undefined && !(isRecord(t.next.reason) && 'last_evaluation' in t.next.reason)
        ? { ...t.next, reason: { ...(isRecord(t.next.reason) ? t.next.reason : {}), last_evaluation: last } }
        : t.next;
    if (!(await tx.breakers.upsert(next, row.version))) throw new ProbeConflict();
    await tx.breakers.appendEvent(t.event);
    await appendAudit(tx, [
      { at, type: t.audit.type, actor, subject: `${row.breakerId}/${row.scopeKey}`, data: t.audit.data },
    ]);
    spent.push(next);
  }
  // The last probe leaves a budget of 0 and passes; only a re-trip (failed probes) halts this write.
  const halted = spent.find((r) => isHalting(r));
  if (halted) return { type: 'halt', row: halted };
  return steps.length === 0 ? { type: 'pass' } : { type: 'probe', rows: spent };
}

/** Fixed one-minute windows shared through storage; `undefined` limit means unlimited. */
export async function takeRateBudget(
  repos: Pick<Repos, 'rates'>,
  agentId: string,
  limit: number | undefined,
  now: Date,
): Promise<{ allowed: boolean; count: number; limit?: number }> {
  if (limit === undefined) return { allowed: true, count: 0 };
  const windowStart = new Date(Math.floor(now.getTime() / 60_000) * 60_000).toISOString();
  const r = await repos.rates.take(`actions:${agentId}`, windowStart, limit);
  return { ...r, limit };
}
