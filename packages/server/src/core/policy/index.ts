export { applyMode } from './apply-mode.js';
export { policyBindings, toCel, type PolicyBindings } from './bindings.js';
export { INVALID_POLICY_CASES, parsePolicyCases, type ExpectedDecision, type PolicyCase } from './cases-file.js';
export { DEFAULT_MAX_EVAL_MS, evaluatePolicies, type EvaluateOptions } from './evaluate.js';
export { runPolicyCases, type PolicyCaseResult, type PolicyCasesReport, type RunCasesOptions } from './run-cases.js';
export {
  AGENT_MODES,
  EFFECTS,
  type AgentMode,
  type Approvers,
  type CheckResult,
  type Decision,
  type DryRunResult,
  type Effect,
  type MatchedRule,
  type PolicyInput,
  type PolicyRule,
  type Routing,
  type RuleError,
  type RuleMode,
} from './types.js';
export {
  dryRunReport,
  dryRunWire,
  loadDryRunReport,
  type DryRunReport,
  type DryRunRuleReport,
} from './dry-run-report.js';
