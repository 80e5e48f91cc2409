/**
 * subject-optimizer: proposes better subject lines for marketing emails, written against the
 * SDK alone. In `observe` mode (the example config's default) every rewrite is planned, judged
 * and recorded by Gatehouse but not written: the result is `shadowed`, a proposal for a person
 * to review. Promoted to `autonomous`, the same call writes, and the `ctr-drop` breaker watches
 * what its subjects do to the click-through rate.
 */
import type { ActionView, GatehouseClient } from '@gatehouse/sdk';
import { proposeSubject, type EmailLike } from './propose.js';

export { proposeSubject, type EmailLike } from './propose.js';

export interface SubjectOptimizerOptions {
  readonly connector?: string;
  /** Emails already read (through Gatehouse) to work on; skips the read. */
  readonly emails?: readonly EmailLike[];
  /** Emails to work on, read first; default: the first `limit` emails the agent can read. */
  readonly emailIds?: readonly string[];
  /** Default 5. */
  readonly limit?: number;
  /** The subject to propose for an email; default `proposeSubject`. Return undefined to skip it. */
  readonly propose?: (email: EmailLike) => string | undefined;
  readonly reason?: string;
}

export interface SubjectProposal {
  readonly email: string;
  readonly before: string | null;
  readonly after: string;
  /** Gatehouse's answer: executed, shadowed, denied, breaker_open, … */
  readonly action: ActionView;
}

export async function run(client: GatehouseClient, opts: SubjectOptimizerOptions = {}): Promise<SubjectProposal[]> {
  const connector = opts.connector ?? 'crm';
  const propose = opts.propose ?? proposeSubject;
  const emails: readonly EmailLike[] = opts.emails
    ? opts.emails
    : opts.emailIds
      ? await Promise.all(opts.emailIds.map((id) => client.records.get(connector, 'marketing_emails', id)))
      : [...(await client.records.list(connector, 'marketing_emails', { limit: opts.limit ?? 5 })).results];

  const out: SubjectProposal[] = [];
  // One action per email, one at a time: a breaker that trips stops the next write.
  for (const email of emails) {
    const after = propose(email);
    if (after === undefined) continue;
    const action = await client.actions.submit({
      connector,
      object: 'marketing_emails',
      operation: 'update',
      records: [{ id: email.id, changes: { subject: after } }],
      reason: opts.reason ?? `Subject rewrite: "${email.properties.subject ?? ''}" → "${after}"`,
    });
    out.push({ email: email.id, before: email.properties.subject ?? null, after, action });
    if (action.status === 'breaker_open') break;
  }
  return out;
}
