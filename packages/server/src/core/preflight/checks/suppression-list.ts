/**
 * suppression_list: recipients who are members of a suppression list (a list whose segment is
 * `suppression`, see ../model.ts). A CRM without such a list passes with a warning that says so:
 * nothing was checked, and the approver should know that.
 */
import { GatehouseError } from '../../errors.js';
import type { CrmRecord } from '../../ports/connector.js';
import { listIds, num, plural, sample } from '../format.js';
import { LIST, OBJECTS, SUPPRESSION_SEGMENT, listLabel } from '../model.js';
import { sendsAnything } from '../outgoing.js';
import { cappedNote, recipientsOf } from '../recipients.js';
import type { PreflightCheck, PreflightContext } from '../types.js';

const MAX_SUPPRESSION_LISTS = 1000;

async function suppressionLists(ctx: PreflightContext): Promise<Map<string, CrmRecord>> {
  const page = await ctx.connector.search(OBJECTS.lists, {
    filters: [{ property: LIST.segment, operator: 'EQ', value: SUPPRESSION_SEGMENT }],
    limit: MAX_SUPPRESSION_LISTS,
  });
  if (page.nextAfter !== undefined) {
    throw new GatehouseError('preflight_too_many_lists', `more than ${MAX_SUPPRESSION_LISTS} suppression lists`);
  }
  return new Map(page.results.map((l) => [l.id, l]));
}

export const suppressionList: PreflightCheck = {
  id: 'suppression_list',
  applies: sendsAnything,
  async run(ctx) {
    const lists = await suppressionLists(ctx);
    if (lists.size === 0) {
      return {
        ok: true,
        severity: 'warn',
        summary: `${ctx.connector.id} has no suppression list (a list with segment “${SUPPRESSION_SEGMENT}”), so no recipient was checked against one.`,
        details: { count: 0, sample: [], lists: [] },
      };
    }
    const r = await recipientsOf(ctx);
    const suppressed = r.contacts.filter((c) => c.lists.some((l) => lists.has(l)));
    const labels = [...lists].map(([id, list]) => listLabel(list, id));
    const where = `${lists.size === 1 ? 'suppression list' : 'suppression lists'} ${listIds(labels)}`;
    const summary =
      suppressed.length > 0
        ? `${num(suppressed.length)} of ${plural(r.contacts.length, 'recipient')} ${r.audience} ${suppressed.length === 1 ? 'is' : 'are'} on ${where}.`
        : `None of the ${plural(r.contacts.length, 'recipient')} ${r.audience} is on ${where}.`;
    return {
      ok: suppressed.length === 0 && !r.capped,
      severity: 'fail',
      summary: summary + cappedNote(r),
      details: {
        count: suppressed.length,
        sample: sample(suppressed.map((c) => c.id)),
        lists: [...lists.keys()],
        recipients: r.contacts.length,
        capped: r.capped,
      },
    };
  },
};
