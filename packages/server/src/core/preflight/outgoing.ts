/**
 * What an action sends. A send is not only `launch`: setting a marketing email's status to
 * `scheduled`/`sent`, or a campaign's to `scheduled`/`active`, makes it go out too, so those
 * updates get the same checks (otherwise an `update` would be a way around them).
 *
 * The outgoing emails are read once per context and shared by every check (memoized on the
 * context object), so six checks cost one set of reads.
 */
import { GatehouseError } from '../errors.js';
import type { CrmRecord, PropertyValue } from '../ports/connector.js';
import { CAMPAIGN, EMAIL, OBJECTS, SENDING_CAMPAIGN_STATUSES, SENDING_EMAIL_STATUSES, splitIds } from './model.js';
import type { PreflightContext, PreflightRequest } from './types.js';

export type SendKind = 'emails' | 'enroll';

export interface OutgoingEmail {
  readonly id: string;
  /** As it will be when sent: current values with the request's changes on top. */
  readonly properties: Readonly<Record<string, PropertyValue>>;
  /** The campaign sending it, when the action launches or schedules a campaign. */
  readonly campaign?: { readonly id: string; readonly listId: PropertyValue };
}

const setsStatus = (req: PreflightRequest, statuses: readonly string[]) =>
  (req.records ?? []).some((r) => {
    const status = r.changes[EMAIL.status];
    return typeof status === 'string' && statuses.includes(status);
  });

/** What kind of send the request is, if any; decided from the request alone (no reads). */
export function sendKind(req: PreflightRequest): SendKind | undefined {
  const edit = req.operation === 'update' || req.operation === 'create';
  switch (req.object) {
    case OBJECTS.emails:
      return req.operation === 'launch' || (edit && setsStatus(req, SENDING_EMAIL_STATUSES)) ? 'emails' : undefined;
    case OBJECTS.campaigns:
      return req.operation === 'launch' || (edit && setsStatus(req, SENDING_CAMPAIGN_STATUSES)) ? 'emails' : undefined;
    case OBJECTS.sequences:
      return req.operation === 'enroll' ? 'enroll' : undefined;
    default:
      return undefined;
  }
}

export const sendsEmails = (ctx: PreflightContext): boolean => sendKind(ctx.request) === 'emails';
export const sendsAnything = (ctx: PreflightContext): boolean => sendKind(ctx.request) !== undefined;

const memo = new WeakMap<PreflightContext, Promise<readonly OutgoingEmail[]>>();

/** The marketing emails the action sends, as they will be sent. Empty for enrollments. */
export function outgoingEmails(ctx: PreflightContext): Promise<readonly OutgoingEmail[]> {
  let found = memo.get(ctx);
  if (!found) {
    found = loadOutgoing(ctx);
    memo.set(ctx, found);
  }
  return found;
}

const merged = (current: CrmRecord | undefined, changes: Readonly<Record<string, PropertyValue>> = {}) => ({
  ...current?.properties,
  ...changes,
});

/** The records an edit changes, as they are now (a `create` changes none). */
const currentOf = async (ctx: PreflightContext, object: string, edits: readonly { readonly id: string }[]) =>
  ctx.request.operation === 'update'
    ? ctx.connector.getMany(
        object,
        edits.map((r) => r.id),
      )
    : new Map<string, CrmRecord>();

async function loadOutgoing(ctx: PreflightContext): Promise<readonly OutgoingEmail[]> {
  const { request: req, connector } = ctx;
  if (sendKind(req) !== 'emails') return [];

  if (req.object === OBJECTS.emails) {
    if (req.operation === 'launch') {
      const email = req.target === undefined ? undefined : await connector.get(OBJECTS.emails, req.target);
      if (!email)
        throw new GatehouseError('preflight_not_found', `marketing email ${req.target ?? '(none)'} not found`);
      return [{ id: email.id, properties: email.properties }];
    }
    const sending = (req.records ?? []).filter((r) => SENDING_EMAIL_STATUSES.includes(r.changes[EMAIL.status] ?? ''));
    const current = await currentOf(ctx, OBJECTS.emails, sending);
    return sending.map((r) => ({ id: r.id, properties: merged(current.get(r.id), r.changes) }));
  }

  // Campaigns send their emails that are not sent yet; for a launch, the ones the plan marks (the
  // connector's word on what goes out), else the campaign's own list of emails.
  const campaigns: { id: string; properties: Readonly<Record<string, PropertyValue>>; emailIds: string[] }[] = [];
  if (req.operation === 'launch') {
    const campaign = req.target === undefined ? undefined : await connector.get(OBJECTS.campaigns, req.target);
    if (!campaign) throw new GatehouseError('preflight_not_found', `campaign ${req.target ?? '(none)'} not found`);
    const planned = ctx.planned.filter((r) => r.object === OBJECTS.emails && !r.noop).map((r) => r.id);
    const emailIds = planned.length > 0 ? planned : splitIds(campaign.properties[CAMPAIGN.emailIds]);
    campaigns.push({ id: campaign.id, properties: campaign.properties, emailIds });
  } else {
    const sending = (req.records ?? []).filter((r) =>
      SENDING_CAMPAIGN_STATUSES.includes(r.changes[CAMPAIGN.status] ?? ''),
    );
    const current = await currentOf(ctx, OBJECTS.campaigns, sending);
    for (const r of sending) {
      const properties = merged(current.get(r.id), r.changes);
      campaigns.push({ id: r.id, properties, emailIds: splitIds(properties[CAMPAIGN.emailIds]) });
    }
  }
  const emails = await connector.getMany(OBJECTS.emails, [...new Set(campaigns.flatMap((c) => c.emailIds))]);
  const out: OutgoingEmail[] = [];
  for (const c of campaigns) {
    for (const id of c.emailIds) {
      const email = emails.get(id);
      // A missing email cannot be sent; an already-sent one is not sent again.
      if (!email || email.properties[EMAIL.status] === 'sent') continue;
      out.push({
        id,
        properties: email.properties,
        campaign: { id: c.id, listId: c.properties[CAMPAIGN.listId] ?? null },
      });
    }
  }
  return out;
}
