/**
 * cross_segment: each email is written for a segment (`segment`); the list it goes to, and the
 * list of the campaign sending it, must belong to that same segment. A newsletter sent to the
 * customer list, or a campaign pointed at another segment's list, is the mistake this catches.
 *
 * An email or list without a segment cannot be compared; it is named in `details.unchecked`
 * rather than counted as a mismatch.
 */
import { GatehouseError } from '../../errors.js';
import type { CrmRecord, PropertyValue } from '../../ports/connector.js';
import { listIds, num, plural, sample } from '../format.js';
import { EMAIL, LIST, OBJECTS, listLabel } from '../model.js';
import { outgoingEmails, sendsEmails } from '../outgoing.js';
import { addressedLists } from '../recipients.js';
import { SAMPLE_SIZE, type PreflightCheck } from '../types.js';

interface Mismatch {
  readonly email: string;
  readonly segment: string;
  readonly list: string;
  readonly list_segment: string;
  /** `email`: the email's own list; `campaign`: the list of the campaign sending it. */
  readonly via: 'email' | 'campaign';
  readonly campaign?: string;
}

const norm = (s: PropertyValue | undefined) => (s ?? '').trim().toLowerCase();

const sentence = (m: Mismatch, lists: ReadonlyMap<string, CrmRecord>) => {
  const target = `list ${listLabel(lists.get(m.list), m.list)} (segment “${m.list_segment}”)`;
  return m.via === 'email'
    ? `${m.email} is written for “${m.segment}” but goes to ${target}`
    : `${m.email} is written for “${m.segment}” but its campaign ${m.campaign ?? ''} targets ${target}`;
};

export const crossSegment: PreflightCheck = {
  id: 'cross_segment',
  applies: sendsEmails,
  async run(ctx) {
    const emails = await outgoingEmails(ctx);
    const lists = await addressedLists(ctx);
    const campaignListIds = [
      ...new Set(emails.map((e) => e.campaign?.listId).filter((id): id is string => !!id && !lists.has(id))),
    ];
    const campaignLists = await ctx.connector.getMany(OBJECTS.lists, campaignListIds);
    const gone = campaignListIds.filter((id) => !campaignLists.has(id));
    if (gone.length > 0) {
      throw new GatehouseError('preflight_list_not_found', `campaign list ${gone.join(', ')} does not exist`);
    }
    const allLists = new Map([...lists, ...campaignLists]);

    const mismatches: Mismatch[] = [];
    const unchecked = new Set<string>();
    for (const email of emails) {
      const segment = email.properties[EMAIL.segment];
      if (!norm(segment)) {
        unchecked.add(email.id);
        continue;
      }
      const targets: [string, Mismatch['via']][] = [[email.properties[EMAIL.listId]!, 'email']];
      const campaignList = email.campaign?.listId;
      if (campaignList && campaignList !== email.properties[EMAIL.listId]) targets.push([campaignList, 'campaign']);
      for (const [listId, via] of targets) {
        const listSegment = allLists.get(listId)?.properties[LIST.segment];
        if (!norm(listSegment)) unchecked.add(email.id);
        else if (norm(listSegment) !== norm(segment)) {
          mismatches.push({
            email: email.id,
            segment: segment!,
            list: listId,
            list_segment: listSegment!,
            via,
            ...(via === 'campaign' && email.campaign ? { campaign: email.campaign.id } : {}),
          });
        }
      }
    }
    const wrong = [...new Set(mismatches.map((m) => m.email))];
    const first = mismatches[0];
    let summary = first
      ? `${num(wrong.length)} of ${plural(emails.length, 'email')} sent ${wrong.length === 1 ? 'goes' : 'go'} outside ${wrong.length === 1 ? 'its' : 'their'} segment: ${sentence(first, allLists)}${mismatches.length > 1 ? ` (and ${plural(mismatches.length - 1, 'more mismatch', 'more mismatches')})` : ''}.`
      : emails.length === 0
        ? 'This action sends no marketing email.'
        : unchecked.size === 0
          ? `Every email sent (${listIds(emails.map((e) => e.id))}) goes to lists of the segment it was written for.`
          : unchecked.size < emails.length
            ? 'No email sent goes to a list of another segment.'
            : 'No email sent could be compared with its lists.';
    if (unchecked.size > 0) summary += ` Without a segment to compare, not checked: ${listIds([...unchecked])}.`;
    return {
      ok: mismatches.length === 0,
      severity: 'fail',
      summary,
      details: {
        count: wrong.length,
        sample: sample(wrong),
        mismatches: mismatches.slice(0, SAMPLE_SIZE),
        unchecked: sample(unchecked),
        emails: emails.length,
      },
    };
  },
};
