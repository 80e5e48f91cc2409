/**
 * unsubscribe_link: every email the action sends must carry an unsubscribe link — the CRM's
 * placeholder `{{unsubscribe_link}}` (or `{{unsubscribe_link_all}}`), or an http(s) link that is
 * an unsubscribe link by its URL or its text. CAN-SPAM and GDPR require one in marketing email.
 *
 * The body is scanned with indexOf, not a backtracking regex over the whole body: bodies are up to
 * 64 KiB of agent-written text, and a crafted body must not stall the pipeline.
 */
import { listIds, num, plural, sample } from '../format.js';
import { EMAIL } from '../model.js';
import { outgoingEmails, sendsEmails } from '../outgoing.js';
import type { PreflightCheck } from '../types.js';

const PLACEHOLDER = /\{\{\s*unsubscribe_link(?:_all)?\s*\}\}/i;
const HREF = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i;
const isHttp = (url: string) => /^https?:\/\//i.test(url.trim());
const mentionsUnsubscribe = (text: string) => /unsubscribe|opt[\s-]?out/i.test(text);

/** True when `body` contains an unsubscribe link a recipient can follow. */
export function hasUnsubscribeLink(body: string | null | undefined): boolean {
  if (!body) return false;
  if (PLACEHOLDER.test(body)) return true;
  // Bare URLs (plain-text bodies, or an href whose URL says unsubscribe).
  for (const token of body.split(/[\s"'<>()]+/)) {
    if (isHttp(token) && /unsubscribe/i.test(token)) return true;
  }
  // Anchors whose text says unsubscribe, whatever the URL. Each character is visited a bounded number of times.
  const lower = body.toLowerCase();
  let at = 0;
  for (;;) {
    const open = lower.indexOf('<a', at);
    if (open === -1) return false;
    const tagEnd = lower.indexOf('>', open);
    if (tagEnd === -1) return false;
    const close = lower.indexOf('</a', tagEnd);
    if (close === -1) return false;
    const href = HREF.exec(body.slice(open, tagEnd + 1));
    const url = href?.[1] ?? href?.[2] ?? href?.[3] ?? '';
    if (isHttp(url) && mentionsUnsubscribe(body.slice(tagEnd + 1, close))) return true;
    at = close + 3;
  }
}

export const unsubscribeLink: PreflightCheck = {
  id: 'unsubscribe_link',
  applies: sendsEmails,
  async run(ctx) {
    const emails = await outgoingEmails(ctx);
    const lacking = emails.filter((e) => !hasUnsubscribeLink(e.properties[EMAIL.body])).map((e) => e.id);
    const all = emails.map((e) => e.id);
    const summary =
      emails.length === 0
        ? 'This action sends no marketing email.'
        : lacking.length === 0
          ? `${emails.length === 1 ? 'The email' : `All ${num(emails.length)} emails`} sent (${listIds(all)}) ${emails.length === 1 ? 'has' : 'have'} an unsubscribe link.`
          : `${num(lacking.length)} of ${plural(emails.length, 'email')} sent ${lacking.length === 1 ? 'has' : 'have'} no unsubscribe link: ${listIds(lacking)}.`;
    return {
      ok: lacking.length === 0,
      severity: 'fail',
      summary,
      details: { count: lacking.length, sample: sample(lacking), emails: emails.length },
    };
  },
};
