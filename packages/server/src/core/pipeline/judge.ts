/**
 * The judging stages of the pipeline, in their security order: boundary → plan (diff) → scope of
 * every touched record → policy → mode. Judging has no side effects; `submit.ts` persists its
 * verdict before anything executes. The mode is the operation's (`operationModeOf`): an agent can
 * be autonomous for `contacts.update` and gated for everything else.
 */
import { checkRecordInScope, checkWrite } from '../boundary/index.js';
import { GatehouseError } from '../errors.js';
import { applyMode, evaluatePolicies, type Decision, type Routing } from '../policy/index.js';
import type { ChangePlan } from '../ports/connector.js';
import type { AgentMode } from '../ports/storage.js';
import { runPreflight, type PreflightOutcome, type PreflightResult } from '../preflight/index.js';
import { buildChangeSet, type ChangeSet } from './changeset.js';
import { dataSourceFor, type DataSource } from './data-source.js';
import { agentModeOf, loadModes, operationModeOf, type StoredModes } from './gates.js';
import type { ActionRequest, AgentDefinition, PipelineDeps } from './types.js';

export type Judgement = (
  | {
      readonly type: 'refused';
      readonly code: string;
      readonly message: string;
      readonly details: Readonly<Record<string, unknown>>;
      readonly changeset?: ChangeSet;
    }
  | {
      readonly type: 'judged';
      readonly plan: ChangePlan;
      readonly changeset: ChangeSet;
      readonly decision: Decision;
      readonly routing: Routing;
      readonly checks?: Readonly<Record<string, PreflightResult>>;
    }
) & {
  /** The mode the action was judged under: the operation's mode (a judgement carries it to the verdict). */
  readonly mode?: AgentMode;
};

const refused = (
  code: string,
  message: string,
  details: Record<string, unknown> = {},
  changeset?: ChangeSet,
): Judgement => ({
  type: 'refused',
  code,
  message,
  details,
  ...(changeset ? { changeset } : {}),
});

/**
 * A connector that refuses the request (unknown property, unsupported operation) makes it a
 * recorded refusal: every attempt an agent makes lands in the audit log. Unavailability is not
 * the agent's doing and propagates.
 */
async function guarded<T>(fn: () => Promise<T>): Promise<T | GatehouseError> {
  try {
    return await fn();
  } catch (e) {
    if (
      e instanceof GatehouseError &&
      e.code !== 'connector_unavailable' &&
      e.code !== 'storage_unavailable' &&
      e.code !== 'connector_closed'
    )
      return e;
    throw e;
  }
}

export { connectorFor } from './data-source.js';

/**
 * `mode` is the agent's mode as the gates saw it; a pause there was refused before judging. The
 * operation's own mode (per-operation promotions and `operation_modes`) is resolved here, from
 * storage, so every instance judges with the same one: from `stored` when the caller read it for
 * its gates in the same pass (submit.ts: one read per action), else read here.
 */
export async function judge(
  deps: PipelineDeps,
  agent: AgentDefinition,
  mode: AgentMode,
  req: ActionRequest,
  preloaded?: StoredModes,
): Promise<Judgement> {
  const stored = preloaded ?? (await loadModes(deps.storage, agent.id));
  // A caller may judge under another mode on purpose (approve-with-edits re-judges as `autonomous`
  // to read the policy alone): only when it passes the agent's own mode does the operation's apply.
  const opMode =
    mode === 'paused' || mode !== agentModeOf(agent, stored.state)
      ? mode
      : operationModeOf(agent, stored, `${req.object}.${req.operation}`).mode;
  return { ...(await judgeAt(deps, agent, opMode, req)), mode: opMode };
}

async function judgeAt(
  deps: PipelineDeps,
  agent: AgentDefinition,
  mode: AgentMode,
  req: ActionRequest,
): Promise<Judgement> {
  // 1. Boundary: is this connector/object/operation/field granted at all, and is the batch small enough?
  const grant = checkWrite(agent, req);
  if (!grant.ok) return refused(grant.code, grant.message, grant.details);
  // An observe agent with `observe_on` is read and planned on its replica (data-source.ts); the
  // action, its grants and its policy still name the live connector.
  let source: DataSource;
  try {
    source = dataSourceFor(deps, agent, req.connector, mode);
  } catch (e) {
    if (e instanceof GatehouseError && e.code === 'replica_not_created') return refused(e.code, e.message, e.details);
    throw e;
  }
  const connector = source.connector;

  // 2. Scope: every record the action names (or its target) must be inside a grant's `where`, as read now.
  const ids = req.records?.map((r) => r.id) ?? (req.target !== undefined ? [req.target] : []);
  const current = await guarded(() => connector.getMany(req.object, ids));
  if (current instanceof GatehouseError) return refused(current.code, current.message, { ...current.details });
  const missing = ids.filter((id) => !current.has(id));
  if (missing.length > 0) {
    return refused(
      'record_not_found',
      `${req.object} ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''} not found`,
      {
        missing: missing.slice(0, 100),
      },
    );
  }
  for (const id of ids) {
    const record = current.get(id);
    if (!record) continue;
    const scope = checkRecordInScope(grant.grants, record);
    if (!scope.ok)
      return refused(scope.code, `${agent.id} may not touch ${req.object} ${id}: ${scope.message}`, {
        record_id: id,
        ...scope.details,
      });
  }

  // 3. Plan the change set (staging diff): before/after per field, fingerprints, reversibility.
  // Planned from the records just checked, so what executes is what was in scope (see `plan`).
  const plan = await guarded(() => connector.plan(req, current));
  if (plan instanceof GatehouseError) return refused(plan.code, plan.message, { ...plan.details });
  const changeset = buildChangeSet(plan, source.replica);
  if (plan.invalid.length > 0) {
    const first = plan.invalid[0]!;
    return refused(
      'invalid_value',
      `${req.object} ${first.id}.${first.property}: ${first.message}`,
      { invalid: plan.invalid.slice(0, 100) },
      changeset,
    );
  }

  // 4. Marketing pre-flight checks on sends (consent, suppression, frequency cap, freezes, links, segments).
  const pre = deps.preflight
    ? await runPreflight(deps.preflight.checks, {
        request: req,
        planned: changeset.records,
        connector,
        config: deps.preflight.settings,
        now: deps.clock.now(),
      })
    : undefined;
  const checks = pre && Object.keys(pre.results).length > 0 ? pre.results : undefined;
  if (pre?.verdict === 'deny') {
    return refused('preflight_failed', failedSummary(pre), { checks: pre.results, failed: pre.failed }, changeset);
  }

  // 5. Policy over the planned change (check results are inputs), then the agent's mode on top.
  let decision = evaluatePolicies(deps.policies, {
    agent: { id: agent.id, mode, owner: agent.owner },
    action: { connector: req.connector, object: req.object, operation: req.operation, reason: req.reason },
    changes: {
      records: changeset.summary.records,
      fields: changeset.summary.fields,
      irreversible: changeset.summary.irreversible,
    },
    now: deps.clock.now(),
    ...(checks ? { checks } : {}),
  });
  if (pre?.verdict === 'require_approval' && decision.effect === 'allow') {
    // A failed check the config sends to people: a person must look, whatever the rules said.
    decision = {
      ...decision,
      effect: 'require_approval',
      defaulted: false,
      rules: ['preflight'],
      reasons: [failedSummary(pre)],
      approvers: [{ role: 'approver', count: 1 }],
    };
  }
  return {
    type: 'judged',
    plan,
    changeset,
    decision,
    routing: applyMode(decision, mode),
    ...(checks ? { checks } : {}),
  };
}

function failedSummary(pre: PreflightOutcome): string {
  return pre.failed.map((id) => `${id}: ${pre.results[id]?.summary ?? 'failed'}`).join('; ');
}
