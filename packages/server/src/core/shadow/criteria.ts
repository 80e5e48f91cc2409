/**
 * Promotion criteria (`agents[].promote_when`) against shadow evidence. A threshold is met when
 * the point estimate reaches it; the Wilson interval is reported next to it so people can see
 * how much evidence stands behind the number (and `min_proposals` keeps tiny samples out).
 */
import type { ShadowMetrics } from './types.js';
import type { Rate } from './wilson.js';

export interface PromotionCriteria {
  readonly min_proposals?: number;
  readonly precision?: number;
  readonly recall?: number;
  readonly rule_adherence?: number;
  /** Days between the first proposal in the evidence window and now. */
  readonly min_days?: number;
  /** How far back the evidence reaches (default 14 days). */
  readonly window_ms: number;
  /** How long after a proposal a person's change answers it (default 7 days). */
  readonly match_window_ms: number;
}

export interface PromoteWhen extends PromotionCriteria {
  /** `object.operation` → criteria for promoting that operation alone (unset keys inherit). */
  readonly operations: Readonly<Record<string, Partial<PromotionCriteria>>>;
}

export const DEFAULT_EVIDENCE_WINDOW_MS = 14 * 86_400_000;
export const DEFAULT_MATCH_WINDOW_MS = 7 * 86_400_000;
/** The longest look-back (or match window) a report takes: ten years, well inside what a Date can hold. */
export const MAX_REPORT_SPAN_MS = 3_650 * 86_400_000;

export const CRITERIA_KEYS = ['min_proposals', 'precision', 'recall', 'rule_adherence', 'min_days'] as const;
export type CriterionKey = (typeof CRITERIA_KEYS)[number];

export interface CriterionCheck {
  readonly criterion: CriterionKey;
  readonly required: number;
  /** `null` when there is nothing to measure (no answered proposals). */
  readonly actual: number | null;
  readonly interval?: { readonly low: number; readonly high: number };
  readonly met: boolean;
}

export interface CriteriaVerdict {
  readonly met: boolean;
  readonly checks: readonly CriterionCheck[];
  readonly failed: readonly CriterionKey[];
}

/** The criteria that apply to an operation (its own keys over the agent's), or the agent's. */
export function criteriaFor(when: PromoteWhen | undefined, operation?: string): PromotionCriteria | undefined {
  if (!when) return undefined;
  const { operations, ...agent } = when;
  const own = operation !== undefined ? operations[operation] : undefined;
  return own ? { ...agent, ...own } : agent;
}

export function evaluateCriteria(
  metrics: ShadowMetrics,
  criteria: PromotionCriteria,
  span: { firstProposalAt: string | null; now: Date },
): CriteriaVerdict {
  const checks: CriterionCheck[] = [];
  const rate = (criterion: CriterionKey, required: number | undefined, r: Rate) => {
    if (required === undefined) return;
    checks.push({
      criterion,
      required,
      actual: r.value,
      interval: { low: r.low, high: r.high },
      met: r.value !== null && r.value >= required,
    });
  };
  if (criteria.min_proposals !== undefined) {
    checks.push({
      criterion: 'min_proposals',
      required: criteria.min_proposals,
      actual: metrics.proposals,
      met: metrics.proposals >= criteria.min_proposals,
    });
  }
  rate('precision', criteria.precision, metrics.precision);
  rate('recall', criteria.recall, metrics.recall);
  rate('rule_adherence', criteria.rule_adherence, metrics.ruleAdherence);
  if (criteria.min_days !== undefined) {
    const days =
      span.firstProposalAt === null ? null : (span.now.getTime() - Date.parse(span.firstProposalAt)) / 86_400_000;
    checks.push({
      criterion: 'min_days',
      required: criteria.min_days,
      actual: days === null ? null : Math.floor(days * 10) / 10,
      met: days !== null && days >= criteria.min_days,
    });
  }
  const failed = checks.filter((c) => !c.met).map((c) => c.criterion);
  return { met: failed.length === 0, checks, failed };
}
