/**
 * What a model reads back after a Gatehouse tool call.
 *
 * Invariant: every outcome of an action (executed, pending approval, shadowed, denied, breaker
 * open, rejected, …) is a normal tool result, never a thrown error. A framework turns a thrown
 * error into an opaque failure (or aborts the loop); a result tells the model what happened and
 * what to do next, so it can adapt instead of retrying blindly. The server decides; these texts
 * only explain its decision; nothing here can change it.
 */
import { isGatehouseApiError, type ActionStatus, type ActionView, type RecordView } from '@gatehouse/sdk';

/** Most record diffs a result carries; the model needs the gist, not a bulk export. */
const MAX_CHANGES_SHOWN = 20;

export interface ToolChange {
  readonly id: string;
  readonly before: Readonly<Record<string, string | null>>;
  readonly after: Readonly<Record<string, string | null>>;
}

/** The result of a write tool or the wait tool. */
export interface ActionOutcome {
  readonly status: ActionStatus;
  readonly action_id: string;
  /** One sentence: what happened. */
  readonly summary: string;
  /** What the model should do next. */
  readonly next_step: string;
  /** Present when the action was refused or failed: the stable code and the server's reason. */
  readonly error?: { readonly code: string; readonly message: string };
  readonly reasons?: readonly string[];
  readonly rules?: readonly string[];
  readonly approval?: { readonly id: string; readonly required: number; readonly expires_at: string };
  readonly changes?: readonly ToolChange[];
  readonly changes_truncated?: boolean;
  readonly audit_event_id: string;
}

/** A request Gatehouse could not process (bad input, unknown record, rate limit): also a result. */
export interface ToolError {
  readonly status: 'error';
  readonly error: { readonly code: string; readonly message: string };
  readonly request_id?: string;
  readonly next_step: string;
}

export interface RecordsResult {
  readonly results: readonly RecordView[];
  /** Pass as `after` to read the next page; absent on the last page. */
  readonly next_after?: string;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function nextStep(view: ActionView): string {
  switch (view.status) {
    case 'executed':
      return 'Done: the change is live in the CRM. Do not submit it again.';
    case 'pending_approval':
      return (
        'Nothing is written yet: a person must approve this change. Do not resubmit it and do not ask ' +
        'to bypass the approval. Call the wait tool with this action_id to learn the outcome, or carry on ' +
        'with other work and report the pending approval.'
      );
    case 'approved':
    case 'executing':
    case 'proposed':
      return 'Gatehouse is still processing this action. Call the wait tool with this action_id.';
    case 'shadowed':
      return (
        'This agent runs in observe mode: the change was planned, judged and recorded but NOT written. ' +
        'Do not retry it; report it as a proposal for a person to review.'
      );
    case 'denied':
      return (
        'Gatehouse refused this action and nothing was written. Do not retry the same change: stay within ' +
        'the records and fields you may write, or report the refusal to a person.'
      );
    case 'breaker_open':
      return (
        'A circuit breaker halted this agent (or it is paused) and nothing was written. Stop writing and ' +
        'report this to a person.'
      );
    case 'rejected':
      return 'A person rejected this change; nothing was written. Do not resubmit it unchanged.';
    case 'revision_requested':
      return 'A person asked for a revision. Read the reason, then submit a new, corrected action.';
    case 'expired':
      return 'Nobody approved this change in time; nothing was written. Submit it again only if it is still needed.';
    case 'failed':
      return 'The CRM did not apply the change. Read the error; retry only if it says the failure was temporary.';
    case 'stale':
      return 'The records changed since this action was planned. Read them again and submit a new action.';
    case 'rolled_back':
      return 'This change was executed and later rolled back. Do not reapply it without asking a person.';
  }
}

function summary(view: ActionView): string {
  const s = view.changeset.summary;
  const what = `${view.operation} on ${view.object}`;
  const scope =
    view.changeset.records.length > 0 ? ` (${plural(s.records, 'record')}, ${plural(s.fields, 'field')})` : '';
  const why = view.error ? `: ${view.error.code}: ${view.error.message}` : '';
  switch (view.status) {
    case 'executed':
      return `Executed ${what}${scope}.`;
    case 'pending_approval':
      return `Held for approval: ${what}${scope} needs ${plural(view.approval?.required ?? 1, 'approver')}.`;
    case 'shadowed':
      return `Shadowed ${what}${scope}: recorded, not written.`;
    case 'denied':
      return `Denied ${what}${why}.`;
    default:
      return `${view.status.replace('_', ' ')}: ${what}${scope}${why}.`;
  }
}

/** The model-facing view of an action: status, ids, the reason and what to do next. */
export function describeAction(view: ActionView): ActionOutcome {
  const records = view.changeset.records;
  const changes = records
    .filter((r) => !r.noop)
    .slice(0, MAX_CHANGES_SHOWN)
    .map((r) => ({ id: r.id, before: r.before, after: r.after }));
  return {
    status: view.status,
    action_id: view.id,
    summary: summary(view),
    next_step: nextStep(view),
    ...(view.error ? { error: { code: view.error.code, message: view.error.message } } : {}),
    ...(view.decision.reasons.length > 0 ? { reasons: view.decision.reasons } : {}),
    ...(view.decision.rules.length > 0 ? { rules: view.decision.rules } : {}),
    ...(view.approval
      ? { approval: { id: view.approval.id, required: view.approval.required, expires_at: view.approval.expires_at } }
      : {}),
    ...(changes.length > 0 ? { changes } : {}),
    ...(records.length > MAX_CHANGES_SHOWN || view.changeset.truncated ? { changes_truncated: true } : {}),
    audit_event_id: view.audit_event_id,
  };
}

/**
 * HTTP statuses whose error the model can act on (fix the input, pick another record, slow
 * down). Anything else (no key, a revoked key, a server fault, no answer) is the operator's
 * problem, so it is thrown and the framework reports it as a tool failure.
 */
const MODEL_FIXABLE = new Set([400, 404, 409, 413, 422, 429]);

const ERROR_HINTS: Readonly<Record<number, string>> = {
  404: 'The record does not exist or is outside your grant: do not create it; pick a record you can read.',
  429: 'Too many requests: wait before the next call.',
};

/** A request error the model can act on, as a result; rethrows any other error. */
export function describeError(error: unknown): ToolError {
  if (isGatehouseApiError(error) && error.status !== undefined && MODEL_FIXABLE.has(error.status)) {
    return {
      status: 'error',
      error: { code: error.code, message: error.message },
      ...(error.requestId ? { request_id: error.requestId } : {}),
      next_step: ERROR_HINTS[error.status] ?? 'Fix the input named in the message and call the tool again.',
    };
  }
  throw error;
}
