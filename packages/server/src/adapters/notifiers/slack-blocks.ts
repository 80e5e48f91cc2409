/**
 * Block Kit messages for approvals and breaker trips. Pure: wire payload (as the notifier stored
 * it) in, `chat.postMessage` / `chat.update` arguments out.
 *
 * Invariants a reader must not break:
 * - every string that came from an agent or the config is escaped (`&`, `<`, `>`), so a reason
 *   such as `<!channel>` cannot ping a channel or forge a link;
 * - Approve asks for confirmation (a stray click must not approve), and its `value` is only the
 *   approval id: the server re-checks everything when the click arrives;
 * - the action ids below are what `http/routes/slack.ts` listens for.
 */

export const SLACK_ACTIONS = {
  approve: 'gatehouse.approve',
  reject: 'gatehouse.reject',
  checklist: 'gatehouse.checklist',
  open: 'gatehouse.open',
} as const;

/** The wire payloads the notifier stores (see core/notifications/notifier.ts). */
export interface WireApproval {
  readonly id: string;
  readonly action_id: string;
  readonly required: number;
  readonly role: string;
  readonly checklist: readonly { readonly id: string; readonly description: string }[];
  readonly expires_at: string;
  readonly rules: readonly string[];
}

export interface WireAction {
  readonly id: string;
  readonly agent: string;
  readonly object: string;
  readonly operation: string;
  readonly target: string | null;
  readonly reason: string;
  readonly summary: { readonly records: number; readonly fields: number; readonly irreversible: number } | null;
}

export interface WireApprovalEvent {
  readonly type: 'approval.requested' | 'approval.escalated' | 'approval.decided';
  readonly approval: WireApproval;
  readonly action: WireAction;
  readonly links: { readonly approval?: string; readonly dashboard?: string };
  readonly level?: number;
  readonly notify?: { readonly role: string } | { readonly person: string };
  readonly mentions?: readonly string[];
  readonly outcome?: string;
  readonly decided_by?: readonly string[];
  readonly comment?: string | null;
}

export interface WireBreakerEvent {
  readonly type: 'breaker.tripped';
  readonly at: string;
  readonly breaker: { readonly id: string; readonly scope: string; readonly reason: unknown };
  readonly links: { readonly dashboard?: string };
}

export type Block = Record<string, unknown>;
export interface SlackMessage {
  /** Fallback for notifications and screen readers. */
  readonly text: string;
  readonly blocks: Block[];
}

// Block Kit limits: header text 150, section text 3000, option text 75, 10 options per element.
const MAX_HEADER = 150;
const MAX_SECTION = 3000;
const MAX_OPTION = 75;
const MAX_OPTIONS = 10;

export const escapeMrkdwn = (s: string): string =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);
const plain = (text: string, max: number) => ({ type: 'plain_text', text: clip(text, max), emoji: true });
const mrkdwn = (text: string) => ({ type: 'mrkdwn', text: clip(text, MAX_SECTION) });

function what(a: WireAction): string {
  const n = a.summary?.records;
  const target = a.target ? ` ${a.target}` : n !== undefined ? ` ${n} ${a.object}` : ` ${a.object}`;
  return `${a.operation}${target}`;
}

/** `<!date^…>` renders in each reader's time zone; the fallback is the ISO time. */
function slackDate(iso: string): string {
  const s = Math.floor(new Date(iso).getTime() / 1000);
  return Number.isFinite(s) ? `<!date^${s}^{date_short_pretty} {time}|${escapeMrkdwn(iso)}>` : escapeMrkdwn(iso);
}

function diffLine(a: WireAction): string {
  if (!a.summary) return a.target ? `Target: \`${escapeMrkdwn(a.target)}\`` : 'No record-level diff.';
  const { records, fields, irreversible } = a.summary;
  const base = `*${records}* record${records === 1 ? '' : 's'}, *${fields}* field change${fields === 1 ? '' : 's'}`;
  return irreversible > 0
    ? `${base}\n:warning: *${irreversible} irreversible* change${irreversible === 1 ? '' : 's'}: these cannot be rolled back`
    : `${base}, all reversible`;
}

/** The part of an approval message that stays after the decision. */
function facts(e: WireApprovalEvent, headline: string): Block[] {
  const { action: a, approval: p } = e;
  const blocks: Block[] = [
    { type: 'header', text: plain(`${headline}: ${a.agent} wants to ${what(a)}`, MAX_HEADER) },
    {
      type: 'section',
      text: mrkdwn(`*Agent:* \`${escapeMrkdwn(a.agent)}\`\n*Reason:* ${escapeMrkdwn(a.reason || '(none given)')}`),
    },
    {
      type: 'section',
      fields: [
        mrkdwn(`*Change*\n${escapeMrkdwn(a.object)}.${escapeMrkdwn(a.operation)}\n${diffLine(a)}`),
        mrkdwn(
          `*Needs*\n${p.required} approval${p.required === 1 ? '' : 's'} (${escapeMrkdwn(p.role)})\nExpires ${slackDate(p.expires_at)}`,
        ),
      ],
    },
  ];
  if (p.rules.length > 0) {
    blocks.push({
      type: 'context',
      elements: [mrkdwn(`Asked by ${p.rules.map((r) => `\`${escapeMrkdwn(r)}\``).join(', ')}`)],
    });
  }
  return blocks;
}

function escalationNote(e: WireApprovalEvent): Block[] {
  if (e.type !== 'approval.escalated' || !e.notify) return [];
  const who =
    e.mentions && e.mentions.length > 0
      ? e.mentions.map((u) => `<@${escapeMrkdwn(u)}>`).join(' ')
      : 'person' in e.notify
        ? escapeMrkdwn(e.notify.person)
        : `role ${escapeMrkdwn(e.notify.role)}`;
  return [
    {
      type: 'section',
      text: mrkdwn(`:rotating_light: *Escalated (level ${e.level ?? 1})* to ${who}: still waiting for a decision.`),
    },
  ];
}

function reviewButton(e: WireApprovalEvent): Block[] {
  const url = e.links.approval ?? e.links.dashboard;
  return url ? [{ type: 'button', action_id: SLACK_ACTIONS.open, text: plain('Review in Gatehouse', 75), url }] : [];
}

/** Checklist items as checkboxes; Slack allows ten per element, so longer lists span blocks. */
function checklistBlocks(p: WireApproval): Block[] {
  if (p.checklist.length === 0) return [];
  const blocks: Block[] = [{ type: 'section', text: mrkdwn('*Checklist* (tick every item before approving)') }];
  for (let i = 0; i < p.checklist.length; i += MAX_OPTIONS) {
    blocks.push({
      type: 'actions',
      block_id: `${SLACK_ACTIONS.checklist}.${i / MAX_OPTIONS}`,
      elements: [
        {
          type: 'checkboxes',
          action_id: SLACK_ACTIONS.checklist,
          options: p.checklist.slice(i, i + MAX_OPTIONS).map((c) => ({
            text: plain(c.description, MAX_OPTION),
            value: c.id,
          })),
        },
      ],
    });
  }
  return blocks;
}

/** `approval.requested` and `approval.escalated`: the facts, the checklist and the buttons. */
export function approvalMessage(e: WireApprovalEvent): SlackMessage {
  const { action: a, approval: p } = e;
  const confirmText = a.summary?.irreversible
    ? `${a.agent} will ${what(a)}, including ${a.summary.irreversible} irreversible change(s).`
    : `${a.agent} will ${what(a)}.`;
  const buttons: Block[] = [
    {
      type: 'button',
      action_id: SLACK_ACTIONS.approve,
      style: 'primary',
      text: plain('Approve', 75),
      value: p.id,
      confirm: {
        title: plain('Approve this change?', 100),
        text: mrkdwn(escapeMrkdwn(confirmText)),
        confirm: plain('Approve', 30),
        deny: plain('Cancel', 30),
        style: 'primary',
      },
    },
    { type: 'button', action_id: SLACK_ACTIONS.reject, style: 'danger', text: plain('Reject', 75), value: p.id },
    ...reviewButton(e),
  ];
  const prefix = e.type === 'approval.escalated' ? 'Escalated: ' : '';
  return {
    text: `${prefix}Approval needed: ${a.agent} wants to ${what(a)} (${p.id})`,
    blocks: [
      ...facts(e, 'Approval needed'),
      ...escalationNote(e),
      ...checklistBlocks(p),
      { type: 'actions', block_id: 'gatehouse.decision', elements: buttons },
    ],
  };
}

const OUTCOME_LINE: Record<string, string> = {
  approved: ':white_check_mark: *Approved*',
  rejected: ':x: *Rejected*',
  revise: ':leftwards_arrow_with_hook: *Revision requested*',
  expired: ':hourglass: *Expired*: nobody decided in time, so it counts as rejected',
  void: ':no_entry_sign: *Void*: the records changed after the request; the action will be re-planned',
};

export function outcomeLine(decided: WireApprovalEvent): string {
  const outcome = decided.outcome ?? 'decided';
  const head = OUTCOME_LINE[outcome] ?? `*${escapeMrkdwn(outcome)}*`;
  const by =
    decided.decided_by && decided.decided_by.length > 0 ? ` by ${decided.decided_by.map(escapeMrkdwn).join(', ')}` : '';
  const comment = decided.comment ? `\n> ${escapeMrkdwn(decided.comment).replaceAll('\n', '\n> ')}` : '';
  return `${head}${by}${comment}`;
}

/**
 * The original message once decided: same facts, the outcome instead of the checklist and the
 * buttons (so nobody clicks a decided approval), and the review link.
 */
export function decidedMessage(original: WireApprovalEvent, decided: WireApprovalEvent): SlackMessage {
  const link = reviewButton(original);
  return {
    text: `${decided.outcome ?? 'decided'}: ${original.action.agent} ${what(original.action)} (${original.approval.id})`,
    blocks: [
      ...facts(original, 'Decided'),
      { type: 'section', text: mrkdwn(outcomeLine(decided)) },
      ...(link.length > 0 ? [{ type: 'actions', block_id: 'gatehouse.links', elements: link }] : []),
    ],
  };
}

/** When no message with buttons was ever posted (e.g. it gave up): the outcome on its own. */
export function standaloneDecidedMessage(decided: WireApprovalEvent): SlackMessage {
  return decidedMessage(decided, decided);
}

export function breakerMessage(e: WireBreakerEvent): SlackMessage {
  const reason = typeof e.breaker.reason === 'string' ? e.breaker.reason : JSON.stringify(e.breaker.reason);
  const link = e.links.dashboard
    ? [
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              action_id: SLACK_ACTIONS.open,
              text: plain('Open Gatehouse', 75),
              url: e.links.dashboard,
            },
          ],
        },
      ]
    : [];
  return {
    text: `Breaker ${e.breaker.id} tripped (${e.breaker.scope})`,
    blocks: [
      { type: 'header', text: plain(`Breaker tripped: ${e.breaker.id}`, MAX_HEADER) },
      {
        type: 'section',
        text: mrkdwn(
          `*Scope:* ${escapeMrkdwn(e.breaker.scope)}\n*Why:* ${escapeMrkdwn(clip(reason, 1500))}\n*At:* ${slackDate(e.at)}\nOnly a person closes a tripped breaker.`,
        ),
      },
      ...link,
    ],
  };
}
