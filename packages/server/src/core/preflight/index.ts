/** Marketing pre-flight checks: run after planning, before policy; results become `checks.<id>`. */
import { crossSegment } from './checks/cross-segment.js';
import { frequencyCap } from './checks/frequency-cap.js';
import { recipientsConsent } from './checks/recipients-consent.js';
import { sendFreeze } from './checks/send-freeze.js';
import { suppressionList } from './checks/suppression-list.js';
import { unsubscribeLink } from './checks/unsubscribe-link.js';
import type { PreflightCheck } from './types.js';

/** In the order an approver reads them: can we send at all, to whom, and what. */
export const BUILT_IN_CHECKS: readonly PreflightCheck[] = Object.freeze([
  sendFreeze,
  recipientsConsent,
  suppressionList,
  frequencyCap,
  unsubscribeLink,
  crossSegment,
]);

export { runPreflight } from './run.js';
export { preflightSettings } from './settings.js';
export { hasUnsubscribeLink } from './checks/unsubscribe-link.js';
export { sendKind } from './outgoing.js';
export {
  DEFAULT_LIMITS,
  SAMPLE_SIZE,
  type PreflightCheck,
  type PreflightContext,
  type PreflightDetails,
  type PreflightLimits,
  type PreflightOutcome,
  type PreflightRequest,
  type PreflightResult,
  type PreflightSettings,
  type PreflightVerdict,
  type SendFreeze,
  type Severity,
} from './types.js';
