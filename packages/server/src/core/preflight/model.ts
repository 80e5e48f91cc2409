/**
 * What the checks assume about the CRM's marketing model, in one place. The names are the
 * sandbox's (HubSpot's where HubSpot has one); a connector whose model differs must map onto them
 * or the checks fail closed with an `unknown_object` / `unknown_property` error.
 *
 * - List membership is the contact property `lists` (`;`-separated list ids), searchable with
 *   `CONTAINS_TOKEN`. HubSpot keeps memberships in its Lists API instead.
 * - A suppression list is a list whose `segment` is `suppression`: its members must never be
 *   emailed, whatever list a send targets.
 * - A send is recorded as a history entry setting a marketing email's `status` to `sent`; its
 *   recipients are the members of the email's list. There is no per-contact send log, so the
 *   frequency cap counts current members of the lists recent emails went to.
 */
import type { CrmRecord, PropertyValue } from '../ports/connector.js';

export const OBJECTS = {
  contacts: 'contacts',
  lists: 'lists',
  emails: 'marketing_emails',
  campaigns: 'campaigns',
  sequences: 'sequences',
} as const;

export const CONTACT = {
  lists: 'lists',
  optedOut: 'hs_email_optout',
  bounced: 'email_bounced',
} as const;

export const EMAIL = {
  body: 'body',
  status: 'status',
  listId: 'list_id',
  segment: 'segment',
  name: 'name',
} as const;

export const CAMPAIGN = { status: 'status', listId: 'list_id', emailIds: 'email_ids' } as const;

export const LIST = { name: 'name', segment: 'segment' } as const;

export const SUPPRESSION_SEGMENT = 'suppression';

/** Email statuses that mean "goes out": setting one is a send, whatever the operation is called. */
export const SENDING_EMAIL_STATUSES: readonly string[] = ['scheduled', 'sent'];
/** Campaign statuses that send the campaign's unsent emails. */
export const SENDING_CAMPAIGN_STATUSES: readonly string[] = ['scheduled', 'active'];

/** `a;b;c` → ['a', 'b', 'c'] (multi-valued CRM properties are `;`-separated strings). */
export const splitIds = (value: PropertyValue | undefined): string[] =>
  (value ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);

export const isTrue = (value: PropertyValue | undefined): boolean => value === 'true';

/** A list's label for a sentence: `l_1 “Newsletter subscribers”`. */
export const listLabel = (list: CrmRecord | undefined, id: string): string => {
  const name = list?.properties[LIST.name];
  return name ? `${id} “${name}”` : id;
};
