/**
 * The subject-line heuristics: pure, deterministic, and deliberately modest (the point of the
 * example is the gate, not the copywriting). Spammy urgency and shouting are removed, long
 * subjects are cut at a word boundary, and a subject with nothing to fix gets a curiosity-style
 * variant built from the email's name.
 */
const MAX = 50;
const SPAMMY = /\b(free|act now|limited time|click here|buy now|risk[- ]free|100%)\b/gi;

const sentenceCase = (s: string) => s.replace(/\b[A-Z]{4,}\b/g, (w) => w.charAt(0) + w.slice(1).toLowerCase());

function cut(s: string): string {
  if (s.length <= MAX) return s;
  const at = s.lastIndexOf(' ', MAX - 1);
  return `${s.slice(0, at > 20 ? at : MAX - 1).replace(/[,:;–-]+$/, '')}…`;
}

export interface EmailLike {
  readonly id: string;
  readonly properties: Readonly<Record<string, string | null>>;
}

/** A better subject for `email`, or undefined when the heuristics have nothing to offer. */
export function proposeSubject(email: EmailLike): string | undefined {
  const current = (email.properties.subject ?? '').trim();
  const cleaned = cut(
    sentenceCase(current.replace(SPAMMY, '').replace(/[!?]{2,}/g, '!'))
      .replace(/\s{2,}/g, ' ')
      .replace(/^[\s:!,-]+|[\s:,-]+$/g, ''),
  );
  if (cleaned.length >= 8 && cleaned !== current) return cleaned;
  const name = (email.properties.name ?? '').replace(/\s*[-–|(].*$/, '').trim();
  if (!name) return undefined;
  const variant = cut(`Inside: ${name}`);
  return variant !== current ? variant : undefined;
}
