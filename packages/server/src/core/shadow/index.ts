/** Shadow scoring and promotion on evidence (docs/shadow-mode.md). */
export {
  criteriaFor,
  DEFAULT_EVIDENCE_WINDOW_MS,
  DEFAULT_MATCH_WINDOW_MS,
  evaluateCriteria,
  MAX_REPORT_SPAN_MS,
  type CriteriaVerdict,
  type CriterionCheck,
  type PromoteWhen,
  type PromotionCriteria,
} from './criteria.js';
export { DEFINITIONS, formatDuration, formatEvidence, formatReport, metricsWire, reportWire } from './format.js';
export {
  evidenceWire,
  promoteAgent,
  promotionEvidence,
  PROMOTION_TARGETS,
  type PromotionEvidence,
  type PromotionInput,
  type PromotionResult,
  type PromotionTarget,
} from './promote.js';
export { humanChangeOf, operationKey, proposalsOf, shadowActionOf } from './proposals.js';
export { bucketStart, classifyProposals, metricsOf, scoreShadow } from './score.js';
export { loadShadowReport, type ShadowDeps, type ShadowQuery } from './service.js';
export type * from './types.js';
export { wilson, type Rate } from './wilson.js';
