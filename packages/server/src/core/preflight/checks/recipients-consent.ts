/**
 * recipients_consent: recipients who opted out of email (`hs_email_optout`) or whose address
 * bounced (`email_bounced`). Gatehouse does not know whether the CRM skips them at send time, so
 * the result states who they are, not what will happen to them.
 */
import { num, plural, sample } from '../format.js';
import { sendsAnything } from '../outgoing.js';
import { cappedNote, recipientsOf } from '../recipients.js';
import type { PreflightCheck } from '../types.js';

export const recipientsConsent: PreflightCheck = {
  id: 'recipients_consent',
  applies: sendsAnything,
  async run(ctx) {
    const r = await recipientsOf(ctx);
    const flagged = r.contacts.filter((c) => c.optedOut || c.bounced);
    const optedOut = flagged.filter((c) => c.optedOut).length;
    const bounced = flagged.filter((c) => c.bounced).length;
    const checked = r.contacts.length;
    const summary =
      flagged.length > 0
        ? `${num(flagged.length)} of ${plural(checked, 'recipient')} ${r.audience} opted out of email or bounced (${num(optedOut)} opted out, ${num(bounced)} bounced).`
        : checked === 0
          ? `The send reaches no contacts ${r.audience}.`
          : `None of the ${plural(checked, 'recipient')} ${r.audience} opted out of email or bounced.`;
    return {
      ok: flagged.length === 0 && !r.capped,
      severity: 'fail',
      summary: summary + cappedNote(r),
      details: {
        count: flagged.length,
        sample: sample(flagged.map((c) => c.id)),
        opted_out: optedOut,
        bounced,
        recipients: checked,
        capped: r.capped,
      },
    };
  },
};
