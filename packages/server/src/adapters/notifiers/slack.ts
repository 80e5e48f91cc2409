/**
 * Slack deliveries through the Web API with a bot token (scopes: `chat:write`).
 *
 * A request posts one interactive message (`chat.postMessage`) and records its `channel`/`ts` in
 * the delivery's lastResponse. A decision does not post a second message with buttons: it edits
 * every message it posted for that approval in that channel (`chat.update`), because a
 * `response_url` only works five times within thirty minutes while approvals live for hours.
 *
 * Slack answers HTTP 200 with `{ ok: false, error }` for most failures: `ratelimited` (and HTTP
 * 429) honour Retry-After; any other error is retried until the dispatcher's attempt limit, so
 * a fixable setup mistake (bot not in the channel) heals without losing the message.
 */
import type { DeliveryRow, Json, Storage } from '../../core/ports/storage.js';
import type { Clock } from '../../core/clock.js';
import { networkRetry, postOnce, recorded, retryAfterMs, type FetchLike, type SendResult } from './http.js';
import {
  approvalMessage,
  breakerMessage,
  decidedMessage,
  standaloneDecidedMessage,
  type SlackMessage,
  type WireApprovalEvent,
  type WireBreakerEvent,
} from './slack-blocks.js';

export interface SlackTarget {
  readonly bot_token: string;
  readonly api_base_url: string;
}

export interface SlackSenderDeps {
  readonly fetch: FetchLike;
  readonly clock: Clock;
  readonly timeoutMs: number;
  readonly storage: Pick<Storage, 'deliveries'>;
  /** The configured workspace for a channel; undefined when no longer configured. */
  slackFor(channel: string): SlackTarget | undefined;
}

/** What a posted message's delivery keeps, so a later decision can edit it. */
export interface PostedMessage {
  readonly ok: true;
  readonly channel: string;
  readonly ts: string;
}

type CallResult =
  { readonly ok: true; readonly data: Record<string, unknown> } | { readonly ok: false; readonly result: SendResult };

/** chat.update errors that no retry can fix: the message is gone or not ours to edit. */
const MESSAGE_GONE = new Set(['message_not_found', 'cant_update_message', 'channel_not_found', 'is_archived']);

/** A decision waits while a message it should edit is still on its way (retried shortly). */
const WAIT_FOR_ORIGINAL_MS = 5_000;

const isPosted = (r: Json): r is PostedMessage => {
  const v = r as Partial<PostedMessage> | null;
  return typeof v?.ts === 'string' && typeof v.channel === 'string';
};

export function createSlackSender(deps: SlackSenderDeps) {
  async function call(target: SlackTarget, method: string, args: Record<string, unknown>): Promise<CallResult> {
    const url = `${target.api_base_url.replace(/\/+$/, '')}/${method}`;
    const headers = { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${target.bot_token}` };
    let answer;
    try {
      answer = await postOnce(deps.fetch, url, JSON.stringify(args), headers, deps.timeoutMs);
    } catch (e) {
      return { ok: false, result: networkRetry(e) };
    }
    const after = retryAfterMs(answer.retryAfter, deps.clock.now());
    const retry = (error: string, response: Json): CallResult => ({
      ok: false,
      result: { type: 'retry', error, response, ...(after !== undefined ? { retryAfterMs: after } : {}) },
    });
    if (answer.status < 200 || answer.status >= 300) return retry(`${method}: HTTP ${answer.status}`, recorded(answer));
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(answer.text) as Record<string, unknown>;
    } catch {
      return retry(`${method}: Slack answered something that is not JSON`, recorded(answer));
    }
    if (data.ok === true) return { ok: true, data };
    const error = typeof data.error === 'string' ? data.error : 'unknown_error';
    return retry(`${method}: ${error}`, { status: answer.status, ok: false, error });
  }

  async function post(target: SlackTarget, channel: string, message: SlackMessage): Promise<SendResult> {
    const r = await call(target, 'chat.postMessage', {
      channel,
      text: message.text,
      blocks: message.blocks,
      unfurl_links: false,
    });
    if (!r.ok) return r.result;
    const posted: PostedMessage = { ok: true, channel: String(r.data.channel), ts: String(r.data.ts) };
    return { type: 'delivered', response: posted };
  }

  /** Edits every message posted for this approval in this channel; posts the outcome if none was. */
  async function decide(target: SlackTarget, row: DeliveryRow): Promise<SendResult> {
    const decided = row.payload as WireApprovalEvent;
    const originals = [];
    for (const event of ['approval.requested', 'approval.escalated']) {
      const rows = await deps.storage.deliveries.list({
        subject: row.subject ?? decided.approval.id,
        event,
        limit: 50,
      });
      originals.push(...rows.filter((d) => d.channel === 'slack' && d.target === row.target));
    }
    if (originals.some((d) => d.status === 'pending' || d.status === 'sending' || d.status === 'failed')) {
      return {
        type: 'retry',
        error: 'waiting for the request message to be posted before editing it',
        response: null,
        retryAfterMs: WAIT_FOR_ORIGINAL_MS,
      };
    }
    const posted = originals.filter((d) => d.status === 'delivered' && isPosted(d.lastResponse));
    if (posted.length === 0) return post(target, row.target, standaloneDecidedMessage(decided));
    const updated: string[] = [];
    const gone: { ts: string; error: string }[] = [];
    for (const d of posted) {
      const { channel, ts } = d.lastResponse as PostedMessage;
      const message = decidedMessage(d.payload as WireApprovalEvent, decided);
      const r = await call(target, 'chat.update', { channel, ts, text: message.text, blocks: message.blocks });
      if (r.ok) updated.push(ts);
      else {
        const error = (r.result.response as { error?: unknown } | null)?.error;
        // Editing is idempotent, so a retry may redo the messages already edited.
        if (typeof error === 'string' && MESSAGE_GONE.has(error)) gone.push({ ts, error });
        else return r.result;
      }
    }
    return { type: 'delivered', response: { ok: true, updated, ...(gone.length > 0 ? { skipped: gone } : {}) } };
  }

  return {
    async send(row: DeliveryRow): Promise<SendResult> {
      const target = deps.slackFor(row.target);
      if (!target)
        return { type: 'gave_up', error: `Slack channel ${row.target} is no longer configured`, response: null };
      switch (row.event) {
        case 'approval.requested':
        case 'approval.escalated':
          return post(target, row.target, approvalMessage(row.payload as WireApprovalEvent));
        case 'approval.decided':
          return decide(target, row);
        case 'breaker.tripped':
          return post(target, row.target, breakerMessage(row.payload as WireBreakerEvent));
        default:
          return { type: 'gave_up', error: `Slack does not post ${row.event} events`, response: null };
      }
    },
  };
}
