/**
 * Slack interactivity: Approve / Reject clicks on the messages the dispatcher posts.
 *
 * Contract with Slack (https://api.slack.com/authentication/verifying-requests-from-slack):
 * the body is form-encoded with one `payload` field; `X-Slack-Signature` is
 * `v0=` + HMAC-SHA256(signing secret, `v0:<X-Slack-Request-Timestamp>:<raw body>`), so the
 * signature is checked on the raw bytes before anything is parsed, and a timestamp more than
 * five minutes away is refused (replays). Slack wants an answer within 3 s and shows nothing for
 * non-200s, so every outcome a person should see — not linked, checklist incomplete, already
 * decided — is a 200 with a message (also posted to the interaction's `response_url`). Only a
 * request that is not provably Slack's (401) or not an interaction at all (4xx) gets an error.
 *
 * A click is only a request to decide: the same `decide` the API and dashboard use enforces
 * roles, separation of duties, checklists and the change-set binding.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SLACK_ACTIONS } from '../../adapters/notifiers/slack-blocks.js';
import { verifySlackSignature } from '../../adapters/notifiers/signature.js';
import type { Clock } from '../../core/clock.js';
import { GatehouseError, isGatehouseError } from '../../core/errors.js';
import type { ApiRegistry } from '../openapi.js';
import { parseInput } from '../validate.js';

export const SLACK_INTERACTIONS_PATH = '/v1/slack/interactions';

export interface SlackDecisionInput {
  readonly approvalId: string;
  readonly personId: string;
  readonly decision: 'approve' | 'reject';
  /** The checklist items ticked on the message (unticked ones are absent). */
  readonly checklist: Record<string, boolean>;
  readonly channel: 'slack';
  /** The Slack user id that clicked, for the audit trail. */
  readonly channelUser: string;
}

/** What the clicking person sees (only them: ephemeral). */
export interface SlackReply {
  readonly response_type: 'ephemeral';
  readonly replace_original: false;
  readonly text: string;
}

export interface SlackRouteLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SlackRouteDeps {
  readonly registry: ApiRegistry;
  readonly signingSecret: string;
  /** Slack user id → Gatehouse person id (see `slackUserMap`). */
  readonly people: ReadonlyMap<string, string>;
  decide(input: SlackDecisionInput): Promise<unknown>;
  readonly clock: Clock;
  readonly logger?: SlackRouteLogger;
  /**
   * Shows the reply to the person by POSTing it to the interaction's `response_url`; not awaited
   * (Slack's 3 s budget). Default: `fetch`, only to https://hooks.slack.com/.
   */
  readonly respond?: (responseUrl: string, reply: SlackReply) => Promise<void>;
}

/** Builds the `people` map from the config's people (`slack_user_id`). */
export function slackUserMap(
  people: readonly { readonly id: string; readonly slack_user_id?: string }[],
): ReadonlyMap<string, string> {
  return new Map(people.flatMap((p) => (p.slack_user_id ? [[p.slack_user_id, p.id] as const] : [])));
}

/** The fields of a `block_actions` payload this route reads; everything else is ignored. */
const Interaction = z.object({
  type: z.string(),
  user: z.object({ id: z.string().min(1) }),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional() })).default([]),
  state: z
    .object({
      values: z.record(
        z.string(),
        z.record(z.string(), z.object({ selected_options: z.array(z.object({ value: z.string() })).optional() })),
      ),
    })
    .optional(),
  response_url: z.string().optional(),
});
type Interaction = z.output<typeof Interaction>;

async function defaultRespond(responseUrl: string, reply: SlackReply): Promise<void> {
  if (!responseUrl.startsWith('https://hooks.slack.com/')) return;
  await fetch(responseUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(reply),
    signal: AbortSignal.timeout(5_000),
  });
}

/** Ticked checklist items across the message's checkbox blocks. */
function tickedChecklist(i: Interaction): Record<string, boolean> {
  const ticked: Record<string, boolean> = {};
  for (const block of Object.values(i.state?.values ?? {})) {
    const el = block[SLACK_ACTIONS.checklist];
    for (const o of el?.selected_options ?? []) ticked[o.value] = true;
  }
  return ticked;
}

const reply = (text: string): SlackReply => ({ response_type: 'ephemeral', replace_original: false, text });

export async function registerSlackRoutes(app: FastifyInstance, deps: SlackRouteDeps): Promise<void> {
  deps.registry.add({
    method: 'POST',
    path: SLACK_INTERACTIONS_PATH,
    summary:
      'Slack interactivity URL (form-encoded payload=, signed with the Slack signing secret). Approve/Reject clicks decide as the linked person.',
    tag: 'slack',
    auth: 'none',
    responses: {
      200: 'Handled; the text is shown to the person who clicked',
      400: 'Not a Slack interaction payload',
      401: 'Signature missing or wrong, or the timestamp is more than 5 minutes away',
      415: 'Not form-encoded',
    },
  });
  const respond = deps.respond ?? defaultRespond;

  async function handle(i: Interaction, requestId: string): Promise<SlackReply | undefined> {
    if (i.type !== 'block_actions') return undefined;
    const action = i.actions.find((a) => a.action_id === SLACK_ACTIONS.approve || a.action_id === SLACK_ACTIONS.reject);
    // Ticking a checkbox or opening the review link also arrives here: nothing to decide.
    if (!action) return undefined;
    if (!action.value)
      throw new GatehouseError('invalid_request', 'invalid body: actions[].value: the approval id is missing');
    const decision = action.action_id === SLACK_ACTIONS.approve ? 'approve' : 'reject';
    const personId = deps.people.get(i.user.id);
    if (personId === undefined) {
      deps.logger?.warn({ slack_user: i.user.id, approval: action.value }, 'Slack click from an unlinked user');
      return reply(
        `Your Slack account (<@${i.user.id}>) is not linked to a Gatehouse person, so nothing was decided. ` +
          'Ask an admin to add your slack_user_id to gatehouse.yaml.',
      );
    }
    try {
      await deps.decide({
        approvalId: action.value,
        personId,
        decision,
        checklist: tickedChecklist(i),
        channel: 'slack',
        channelUser: i.user.id,
      });
    } catch (e) {
      if (isGatehouseError(e)) return reply(`:warning: Not recorded (${e.code}): ${e.message}`);
      deps.logger?.error({ err: e, approval: action.value, request_id: requestId }, 'Slack decision failed');
      return reply(
        `:warning: Gatehouse could not record your decision (request ${requestId}). Try again or use the dashboard.`,
      );
    }
    return reply(`Recorded: you ${decision === 'approve' ? 'approved' : 'rejected'} ${action.value} as ${personId}.`);
  }

  await app.register(async (scope) => {
    // Scoped to this plugin: the rest of the API stays JSON-only. The raw string is what Slack signed.
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      done(null, body);
    });

    scope.post(SLACK_INTERACTIONS_PATH, async (req, res) => {
      if (typeof req.body !== 'string') {
        throw new GatehouseError('unsupported_media_type', 'Slack interactions are application/x-www-form-urlencoded');
      }
      const header = (name: string) => {
        const v = req.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      const check = verifySlackSignature({
        secret: deps.signingSecret,
        timestamp: header('x-slack-request-timestamp'),
        signature: header('x-slack-signature'),
        body: req.body,
        now: deps.clock.now(),
      });
      if (!check.ok) {
        const why = {
          missing: 'X-Slack-Signature and X-Slack-Request-Timestamp are required',
          stale: 'the request timestamp is more than 5 minutes away from now (replayed or clock skew)',
          mismatch: 'the Slack signature does not match (wrong signing secret, or the body was altered)',
        }[check.reason];
        throw new GatehouseError('unauthenticated', why, { details: { reason: check.reason } });
      }
      const payload = new URLSearchParams(req.body).get('payload');
      if (payload === null)
        throw new GatehouseError('invalid_request', 'invalid body: payload: the form field is missing');
      let json: unknown;
      try {
        json = JSON.parse(payload);
      } catch (e) {
        throw new GatehouseError('invalid_json', `the payload field is not valid JSON: ${(e as Error).message}`);
      }
      const interaction = parseInput(Interaction, json, 'body');
      const answer = await handle(interaction, req.id);
      if (!answer) return res.status(200).send('');
      if (interaction.response_url) {
        const url = interaction.response_url;
        void respond(url, answer).catch((e: unknown) =>
          deps.logger?.warn({ err: e }, 'could not post to response_url'),
        );
      }
      return res.status(200).send(answer);
    });
  });
}
