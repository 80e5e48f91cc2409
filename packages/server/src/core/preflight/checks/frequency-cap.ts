/**
 * frequency_cap: no contact may get more than `max` marketing emails in any `perMs` window.
 *
 * Recent sends come from the connector's history (a marketing email's `status` set to `sent`
 * inside [now - perMs, now)); each counts once for every current member of that email's list.
 * The CRM keeps no per-contact send log, so membership is as of now, not as of the send (see
 * ../model.ts). An enrollment counts as one more email per contact (the sequence's first step).
 */
import { MAX_PAGE_LIMIT, type PropertyValue } from '../../ports/connector.js';
import { duration, instant, num, plural, sample } from '../format.js';
import { EMAIL, OBJECTS } from '../model.js';
import { outgoingEmails, sendKind, sendsAnything } from '../outgoing.js';
import { cappedNote, recipientsOf } from '../recipients.js';
import { DEFAULT_LIMITS, type PreflightCheck, type PreflightContext } from '../types.js';

/** Email id → times it was sent in the window; `capped` when the history scan hit its bound. */
async function recentSends(ctx: PreflightContext, from: string, to: string) {
  const max = ctx.limits?.maxHistoryEntries ?? DEFAULT_LIMITS.maxHistoryEntries;
  const sends = new Map<string, number>();
  let scanned = 0;
  let after: string | undefined;
  do {
    const page = await ctx.connector.changes({
      from,
      to,
      object: OBJECTS.emails,
      limit: MAX_PAGE_LIMIT,
      ...(after !== undefined ? { after } : {}),
    });
    for (const entry of page.results) {
      if (entry.property === EMAIL.status && entry.value === 'sent')
        sends.set(entry.id, (sends.get(entry.id) ?? 0) + 1);
    }
    scanned += page.results.length;
    after = page.nextAfter;
    if (after !== undefined && scanned >= max) return { sends, scanned, capped: true };
  } while (after !== undefined);
  return { sends, scanned, capped: false };
}

/** List id → emails sent to it. */
const perList = (sends: Iterable<readonly [PropertyValue | undefined, number]>) => {
  const counts = new Map<string, number>();
  for (const [list, times] of sends) if (list) counts.set(list, (counts.get(list) ?? 0) + times);
  return counts;
};

const sumOver = (lists: readonly string[], counts: ReadonlyMap<string, number>) =>
  lists.reduce((n, l) => n + (counts.get(l) ?? 0), 0);

export const frequencyCap: PreflightCheck = {
  id: 'frequency_cap',
  applies: (ctx) => sendsAnything(ctx) && ctx.config.frequencyCap !== undefined,
  async run(ctx) {
    const { max, perMs } = ctx.config.frequencyCap!;
    const since = new Date(ctx.now.getTime() - perMs).toISOString();
    const history = await recentSends(ctx, since, ctx.now.toISOString());
    const sentEmails = await ctx.connector.getMany(OBJECTS.emails, [...history.sends.keys()]);
    const recentPerList = perList(
      [...history.sends].map(([id, times]) => [sentEmails.get(id)?.properties[EMAIL.listId], times] as const),
    );
    const incomingPerList = perList((await outgoingEmails(ctx)).map((e) => [e.properties[EMAIL.listId], 1] as const));
    const enroll = sendKind(ctx.request) === 'enroll';

    const r = await recipientsOf(ctx);
    const over: { id: string; recent: number; incoming: number }[] = [];
    for (const c of r.contacts) {
      const recent = sumOver(c.lists, recentPerList);
      const incoming = enroll ? 1 : sumOver(c.lists, incomingPerList);
      if (recent + incoming > max) over.push({ id: c.id, recent, incoming });
    }
    over.sort((a, b) => b.recent + b.incoming - (a.recent + a.incoming));
    const cap = `${plural(max, 'marketing email')} in ${duration(perMs)}`;
    const worst = over[0];
    let summary = worst
      ? `${num(over.length)} of ${plural(r.contacts.length, 'recipient')} ${r.audience} would get more than ${cap}: ` +
        `${worst.id} got ${num(worst.recent)} since ${instant(since)} and this sends ${num(worst.incoming)} more.`
      : `No recipient ${r.audience} would get more than ${cap} (${plural(history.sends.size, 'email')} sent since ${instant(since)} counted).`;
    if (history.capped) {
      summary += ` Only the first ${num(history.scanned)} history entries since then were read; later sends are uncounted.`;
    }
    return {
      ok: over.length === 0 && !r.capped && !history.capped,
      severity: 'fail',
      summary: summary + cappedNote(r),
      details: {
        count: over.length,
        sample: sample(over.map((o) => o.id)),
        max,
        window_ms: perMs,
        since,
        recent_emails: history.sends.size,
        recipients: r.contacts.length,
        capped: r.capped || history.capped,
      },
    };
  },
};
