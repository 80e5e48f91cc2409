/**
 * Pipeline outcomes as MCP tool results. The mapping follows the HTTP status classes
 * (`outcomeClass`): what HTTP answers 4xx/5xx for (denied, breaker open, paused, rate limited,
 * failed) is a tool error (`isError: true`) carrying the code, the reason and the action and
 * decision ids; executed, shadowed and pending approval are normal results. Every result carries
 * the wire view as `structuredContent` and the same JSON in its text, for clients that show only text.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { isGatehouseError } from '../core/errors.js';
import type { ActionWireView } from '../core/pipeline/index.js';

type Structured = Record<string, unknown>;

function result(summary: string, structured: Structured, isError = false): CallToolResult {
  return {
    content: [{ type: 'text', text: `${summary}\n${JSON.stringify(structured)}` }],
    structuredContent: structured,
    ...(isError ? { isError: true } : {}),
  };
}

export function dataResult(summary: string, data: Structured): CallToolResult {
  return result(summary, data);
}

/** A refusal before or outside the pipeline (bad input, unknown record, …): `{ error: { code, message, details? } }`. */
export function errorResult(
  code: string,
  message: string,
  details?: Readonly<Record<string, unknown>>,
): CallToolResult {
  return result(`Error [${code}]: ${message}`, { error: { code, message, ...(details ? { details } : {}) } }, true);
}

/** Known errors keep their code; anything else is `internal` without leaking its message. */
export function thrownResult(e: unknown, log?: (e: unknown) => void): CallToolResult {
  if (isGatehouseError(e)) return errorResult(e.code, e.message, e.details);
  log?.(e);
  return errorResult('internal', 'internal error; the Gatehouse server log has the details');
}

const REFUSED = new Set(['denied', 'breaker_open', 'failed']);

function describeChanges(view: ActionWireView): string {
  const s = view.changeset.summary;
  return `${s.records} record${s.records === 1 ? '' : 's'}, ${s.fields} field${s.fields === 1 ? '' : 's'}`;
}

/** The action, whatever its outcome, with a one-line summary and a hint at the next step. */
export function actionResult(
  view: ActionWireView,
  opts: { settled?: boolean; errorDetails?: Readonly<Record<string, unknown>> } = {},
): CallToolResult {
  const structured: Structured = { action_id: view.id, ...view };
  const id = `action ${view.id}, decision ${view.audit_event_id}`;
  if (REFUSED.has(view.status)) {
    const code = view.error?.code ?? view.decision.code ?? view.status;
    const why = view.error?.message ?? view.decision.reasons.join('; ');
    const rules = view.decision.rules.length > 0 ? ` (rules: ${view.decision.rules.join(', ')})` : '';
    const error = { code, message: why, ...(opts.errorDetails ? { details: opts.errorDetails } : {}) };
    return result(
      `${view.status === 'failed' ? 'Failed' : 'Refused'} [${code}]: ${why}${rules} — ${id}. Nothing was written.`,
      { ...structured, error },
      true,
    );
  }
  switch (view.status) {
    case 'executed':
      return result(`Executed (${describeChanges(view)}) — ${id}.`, structured);
    case 'shadowed':
      return result(
        `Shadowed: the agent is in observe mode, so the change (${describeChanges(view)}) was planned, judged and recorded, not executed — ${id}.`,
        structured,
      );
    case 'pending_approval': {
      const hint = `Call gatehouse_wait_for_action with action_id ${view.id} to wait for the decision.`;
      const approval = 'approval' in view ? view.approval : undefined;
      const who =
        approval && 'required' in approval
          ? ` (${approval.required} approver${approval.required === 1 ? '' : 's'}, expires ${approval.expires_at})`
          : '';
      const msg =
        opts.settled === false
          ? `Still waiting for approval ${approval?.id ?? ''}${who}. ${hint}`
          : `Waiting for a person: approval ${approval?.id ?? ''}${who}. Nothing has changed yet (${describeChanges(view)} proposed) — ${id}. ${hint}`;
      return result(msg, { ...structured, hint });
    }
    case 'rejected':
    case 'expired':
    case 'revision_requested':
      return result(
        `The approval ended as ${view.status}; nothing was written — ${id}.${view.status === 'revision_requested' ? ' Revise the change and submit it again.' : ''}`,
        structured,
      );
    default:
      return result(`Status ${view.status} — ${id}.`, structured);
  }
}
