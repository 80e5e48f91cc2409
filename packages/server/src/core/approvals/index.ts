export {
  APPROVAL_CODES,
  countApprovals,
  decideApproval,
  executeApproved,
  previewEdits,
  type EditPreview,
  type Channel,
  type DecisionInput,
  type DecisionOutcome,
} from './decide.js';
export { finalizeApproval, type Outcome } from './finalize.js';
export { sweepApprovals, type SweepReport } from './sweep.js';
