/**
 * Who a send reaches: the members of every list an outgoing email addresses, or the contacts an
 * enrollment names. Enumeration is bounded (`maxRecipients`): beyond it the result says `capped`
 * and the checks that use it do not pass, because an unchecked recipient is not a checked one.
 *
 * Read once per context and shared by the checks (memoized on the context object).
 */
import { GatehouseError } from '../errors.js';
import type { CrmRecord } from '../ports/connector.js';
import { num, plural } from './format.js';
import { CONTACT, EMAIL, OBJECTS, isTrue, listLabel, splitIds } from './model.js';
import { outgoingEmails, sendKind } from './outgoing.js';
import { DEFAULT_LIMITS, type PreflightContext } from './types.js';

/** Contacts per search page; HubSpot serves at most 200 per search page, the sandbox up to 1,000. */
const PAGE = 200;
const GET_MANY_CHUNK = 500;

export interface Recipient {
  readonly id: string;
  readonly optedOut: boolean;
  readonly bounced: boolean;
  /** List ids the contact belongs to. */
  readonly lists: readonly string[];
}

export interface Recipients {
  /** Deduplicated, in the order found; at most `maxRecipients`. */
  readonly contacts: readonly Recipient[];
  /** Exact when not capped; when capped, the connector's count (lists may overlap, so "up to"). */
  readonly total: number;
  readonly capped: boolean;
  /** Whom the send addresses, for a sentence: `on list l_1 “Newsletter subscribers”`. */
  readonly audience: string;
  /** The lists addressed, by id. */
  readonly lists: ReadonlyMap<string, CrmRecord>;
}

const toRecipient = (r: CrmRecord): Recipient => ({
  id: r.id,
  optedOut: isTrue(r.properties[CONTACT.optedOut]),
  bounced: isTrue(r.properties[CONTACT.bounced]),
  lists: splitIds(r.properties[CONTACT.lists]),
});

const memo = new WeakMap<PreflightContext, Promise<Recipients>>();

export function recipientsOf(ctx: PreflightContext): Promise<Recipients> {
  let found = memo.get(ctx);
  if (!found) {
    found = sendKind(ctx.request) === 'enroll' ? enrolled(ctx) : listMembers(ctx);
    memo.set(ctx, found);
  }
  return found;
}

/** " Only the first 50,000 of up to 60,312 recipients were checked; …" when enumeration stopped. */
export const cappedNote = (r: Recipients): string =>
  r.capped
    ? ` Only the first ${num(r.contacts.length)} of up to ${plural(r.total, 'recipient')} were checked; the rest are unchecked.`
    : '';

export const maxRecipients = (ctx: PreflightContext): number =>
  ctx.limits?.maxRecipients ?? DEFAULT_LIMITS.maxRecipients;

/** The addressed lists, by id; every outgoing email must name one that exists. */
export async function addressedLists(ctx: PreflightContext): Promise<Map<string, CrmRecord>> {
  const emails = await outgoingEmails(ctx);
  const ids = new Set<string>();
  for (const email of emails) {
    const listId = email.properties[EMAIL.listId];
    if (!listId)
      throw new GatehouseError('preflight_no_recipients', `marketing email ${email.id} has no recipient list`);
    ids.add(listId);
  }
  const lists = await ctx.connector.getMany(OBJECTS.lists, [...ids]);
  const missing = [...ids].filter((id) => !lists.has(id));
  if (missing.length > 0) {
    throw new GatehouseError('preflight_list_not_found', `recipient list ${missing.join(', ')} does not exist`, {
      details: { lists: missing },
    });
  }
  return lists;
}

async function listMembers(ctx: PreflightContext): Promise<Recipients> {
  const lists = await addressedLists(ctx);
  const max = maxRecipients(ctx);
  const found = new Map<string, Recipient>();
  let estimate = 0;
  let capped = false;
  scan: for (const listId of lists.keys()) {
    // CONTAINS_TOKEN treats `*` as a wildcard and splits on separators: only plain ids are safe.
    if (!/^[^\s;,*]+$/.test(listId)) {
      throw new GatehouseError('preflight_invalid_list_id', `list id "${listId}" cannot be searched for`);
    }
    let after: string | undefined;
    let first = true;
    do {
      const page = await ctx.connector.search(OBJECTS.contacts, {
        filters: [{ property: CONTACT.lists, operator: 'CONTAINS_TOKEN', value: listId }],
        limit: PAGE,
        ...(after !== undefined ? { after } : {}),
      });
      if (first) estimate += page.total;
      first = false;
      for (const record of page.results) {
        if (found.has(record.id)) continue;
        if (found.size >= max) {
          capped = true;
          break scan;
        }
        found.set(record.id, toRecipient(record));
      }
      if (page.nextAfter !== undefined && page.nextAfter === after) {
        throw new GatehouseError('preflight_paging_stuck', `searching list ${listId} returned the same page twice`);
      }
      after = page.nextAfter;
    } while (after !== undefined);
  }
  const labels = [...lists].map(([id, list]) => listLabel(list, id));
  return {
    contacts: [...found.values()],
    total: capped ? Math.max(estimate, found.size + 1) : found.size,
    capped,
    audience: `on ${labels.length === 1 ? 'list' : 'lists'} ${labels.join(', ')}`,
    lists,
  };
}

async function enrolled(ctx: PreflightContext): Promise<Recipients> {
  const raw = ctx.request.params?.['contact_ids'];
  if (!Array.isArray(raw) || !raw.every((id): id is string => typeof id === 'string')) {
    throw new GatehouseError('preflight_no_recipients', 'enroll needs params.contact_ids: a list of contact ids');
  }
  const ids = [...new Set(raw)];
  const max = maxRecipients(ctx);
  const wanted = ids.slice(0, max);
  const found: Recipient[] = [];
  for (let i = 0; i < wanted.length; i += GET_MANY_CHUNK) {
    const chunk = wanted.slice(i, i + GET_MANY_CHUNK);
    const records = await ctx.connector.getMany(OBJECTS.contacts, chunk);
    for (const id of chunk) {
      const record = records.get(id);
      if (record) found.push(toRecipient(record));
    }
  }
  const capped = ids.length > max;
  return {
    contacts: found,
    total: capped ? ids.length : found.length,
    capped,
    audience: `to enroll in ${ctx.request.target ?? 'the sequence'}`,
    lists: new Map(),
  };
}
