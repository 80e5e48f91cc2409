/**
 * Promotion on evidence: `agents promote ID --to gated|autonomous [--operation object.operation]`.
 *
 * - The evidence is the agent's shadow report over `promote_when.window` (default 14d), scored
 *   with `match_window` (default 7d), for the operation when one is given.
 * - The criteria are the agent's `promote_when` (an operation's own keys over the agent's). With
 *   none configured, promotion to `gated` needs no evidence (every write still waits for a person);
 *   promotion to `autonomous` counts as not met.
 * - Criteria not met: refused with `promotion_criteria_not_met` (the failed criteria in details),
 *   unless an admin gives a written override reason.
 * - Who: an admin, or the agent's owner when the criteria are met. Only admins override.
 * - Moving to a lower mode (autonomous → gated) is a demotion: always allowed, recorded the same way.
 * - A paused agent is not promoted: lifting a pause is a separate decision (`agents mode`).
 * - Persisted (agent row or per-operation row) and audited (`agent.promoted`, with the evidence,
 *   the checks and the override reason) in one transaction.
 */
import { GatehouseError } from '../errors.js';
import { agentModeOf, loadModes, operationModeOf } from '../pipeline/gates.js';
import { appendAudit } from '../pipeline/record.js';
import type { AgentMode } from '../ports/storage.js';
import {
  criteriaFor,
  DEFAULT_EVIDENCE_WINDOW_MS,
  DEFAULT_MATCH_WINDOW_MS,
  evaluateCriteria,
  type CriteriaVerdict,
  type PromoteWhen,
} from './criteria.js';
import { criteriaWire, metricsWire } from './format.js';
import { emptyCounts, metricsOf } from './score.js';
import { loadShadowReport, type ShadowDeps } from './service.js';
import type { ShadowMetrics } from './types.js';

export const PROMOTION_TARGETS = ['gated', 'autonomous'] as const;
export type PromotionTarget = (typeof PROMOTION_TARGETS)[number];

const RANK: Readonly<Record<AgentMode, number>> = { paused: -1, observe: 0, gated: 1, autonomous: 2 };
const OPERATION = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export interface PromotionInput {
  readonly agentId: string;
  readonly to: PromotionTarget;
  readonly operation?: string;
  readonly personId: string;
  readonly roles: readonly string[];
  readonly overrideReason?: string;
  /** The agent's `promote_when` from the config. */
  readonly criteria?: PromoteWhen;
}

export interface PromotionEvidence {
  readonly agentId: string;
  readonly operation: string | null;
  readonly from: AgentMode;
  readonly to: PromotionTarget;
  readonly window: { readonly from: string; readonly to: string; readonly matchWindowMs: number };
  readonly metrics: ShadowMetrics;
  readonly firstProposalAt: string | null;
  /** `null` for a demotion (no criteria apply). */
  readonly verdict: CriteriaVerdict | null;
}

export interface PromotionResult extends PromotionEvidence {
  readonly override: string | null;
  readonly auditSeq: number;
}

/** The evidence and the verdict, without changing anything (`--dry-run`, and the first step of `promote`). */
export async function promotionEvidence(deps: ShadowDeps, input: PromotionInput): Promise<PromotionEvidence> {
  const agent = deps.agents.get(input.agentId);
  if (!agent) throw new GatehouseError('agent_not_found', `no agent '${input.agentId}' in the config`);
  const op = input.operation;
  if (op !== undefined) {
    const [object, operation] = op.split('.');
    const granted =
      OPERATION.test(op) && agent.grants.some((g) => g.objects.includes(object!) && g.operations.includes(operation!));
    if (!granted)
      throw new GatehouseError(
        'invalid_request',
        `${agent.id} has no grant for '${op}' (give --operation as object.operation)`,
        {
          details: { operation: op },
        },
      );
  }
  const stored = await loadModes(deps.storage, agent.id);
  const from = op !== undefined ? operationModeOf(agent, stored, op).mode : agentModeOf(agent, stored.state);
  if (from === 'paused')
    throw new GatehouseError('agent_paused', `${agent.id} is paused: lift the pause first (gatehouse agents mode)`);
  if (from === input.to)
    throw new GatehouseError('invalid_transition', `${agent.id}${op ? ` ${op}` : ''} is already ${from}`);

  const criteria = criteriaFor(input.criteria, op);
  const windowMs = criteria?.window_ms ?? DEFAULT_EVIDENCE_WINDOW_MS;
  const matchWindowMs = criteria?.match_window_ms ?? DEFAULT_MATCH_WINDOW_MS;
  const now = deps.clock.now();
  const since = new Date(now.getTime() - windowMs);
  const report = await loadShadowReport(deps, {
    agentId: agent.id,
    since,
    matchWindowMs,
    ...(op !== undefined ? { operation: op } : {}),
  });
  const score = report.agents.find((a) => a.agentId === agent.id);
  const metrics = score?.metrics ?? metricsOf(emptyCounts());
  const firstProposalAt = score?.firstProposalAt ?? null;

  let verdict: CriteriaVerdict | null = null;
  if (RANK[input.to] > RANK[from]) {
    if (criteria) verdict = evaluateCriteria(metrics, criteria, { firstProposalAt, now });
    else if (input.to === 'autonomous') verdict = { met: false, checks: [], failed: [] };
    else verdict = { met: true, checks: [], failed: [] };
  }
  return {
    agentId: agent.id,
    operation: op ?? null,
    from,
    to: input.to,
    window: { from: report.from, to: report.to, matchWindowMs },
    metrics,
    firstProposalAt,
    verdict,
  };
}

export function evidenceWire(e: PromotionEvidence) {
  return {
    agent_id: e.agentId,
    operation: e.operation,
    from: e.from,
    to: e.to,
    window: { from: e.window.from, to: e.window.to, match_window_ms: e.window.matchWindowMs },
    first_proposal_at: e.firstProposalAt,
    metrics: metricsWire(e.metrics),
    criteria: e.verdict ? { ...criteriaWire(e.verdict), configured: e.verdict.checks.length > 0 } : null,
  };
}

export async function promoteAgent(deps: ShadowDeps, input: PromotionInput): Promise<PromotionResult> {
  const evidence = await promotionEvidence(deps, input);
  const agent = deps.agents.get(input.agentId)!;
  const isAdmin = input.roles.includes('admin');
  const override = input.overrideReason?.trim() ? input.overrideReason.trim() : null;
  const met = evidence.verdict === null || evidence.verdict.met;
  const target = `${agent.id}${evidence.operation ? ` ${evidence.operation}` : ''}`;

  if (!isAdmin && input.personId !== agent.owner)
    throw new GatehouseError('forbidden', `only an admin or ${agent.id}'s owner (${agent.owner}) may change its mode`);
  if (!met && override === null) {
    const failed = evidence.verdict.checks.length === 0 ? ['promote_when'] : evidence.verdict.failed;
    const why =
      evidence.verdict.checks.length === 0
        ? `no promote_when criteria are configured for ${target}, so there is nothing the evidence could meet`
        : `criteria not met: ${describeFailed(evidence)}`;
    throw new GatehouseError(
      'promotion_criteria_not_met',
      `refusing to promote ${target} to ${input.to}: ${why}. An admin may override with a written reason.`,
      { details: { failed, evidence: evidenceWire(evidence) } },
    );
  }
  if (!met && !isAdmin)
    throw new GatehouseError(
      'forbidden',
      `only an admin may override promotion criteria (${input.personId} is not one)`,
    );

  const at = deps.clock.now().toISOString();
  const actor = `person:${input.personId}`;
  const reason = override ?? `promoted on evidence (${describeMet(evidence)})`;
  const auditSeq = await deps.storage.transaction(async (tx) => {
    if (evidence.operation === null) {
      await tx.agents.upsert({
        id: agent.id,
        mode: input.to,
        configVersion: agent.version,
        updatedAt: at,
        updatedBy: actor,
        reason,
      });
    } else {
      await tx.agents.upsertOperationMode({
        agentId: agent.id,
        operation: evidence.operation,
        mode: input.to,
        configVersion: agent.version,
        updatedAt: at,
        updatedBy: actor,
        reason,
      });
    }
    return appendAudit(tx, [
      {
        at,
        type: 'agent.promoted',
        actor,
        subject: agent.id,
        data: {
          ...evidenceWire(evidence),
          direction: evidence.verdict === null ? 'down' : 'up',
          criteria_met: met,
          override_reason: met ? null : override,
        },
      },
    ]);
  });
  return { ...evidence, override: met ? null : override, auditSeq };
}

function describeFailed(e: PromotionEvidence): string {
  return e
    .verdict!.checks.filter((c) => !c.met)
    .map((c) => `${c.criterion} ${show(c.criterion, c.actual)} < ${show(c.criterion, c.required)}`)
    .join(', ');
}

function describeMet(e: PromotionEvidence): string {
  if (!e.verdict || e.verdict.checks.length === 0) return 'no criteria configured for this step';
  return e.verdict.checks
    .map((c) => `${c.criterion} ${show(c.criterion, c.actual)} ≥ ${show(c.criterion, c.required)}`)
    .join(', ');
}

const show = (criterion: string, v: number | null) =>
  v === null
    ? 'n/a'
    : criterion === 'min_proposals' || criterion === 'min_days'
      ? String(v)
      : `${(100 * v).toFixed(1)}%`;
