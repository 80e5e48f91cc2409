/**
 * Setting a person's dashboard password. The hash is computed before the transaction (scrypt is
 * slow; no lock is held while it runs); storing it, signing the person out everywhere and the
 * audit entry then commit together, so a new password never coexists with sessions opened under
 * the old one.
 */
import type { Clock } from '../clock.js';
import { GatehouseError } from '../errors.js';
import { appendAudit } from '../pipeline/record.js';
import type { Storage } from '../ports/storage.js';
import { hashPassword } from './password.js';

export interface CredentialDeps {
  readonly storage: Pick<Storage, 'transaction'>;
  readonly clock: Clock;
  /** The people in the config; a password for anyone else is refused. */
  readonly personIds: { has(id: string): boolean };
}

export interface PasswordSet {
  readonly personId: string;
  /** Sessions of this person that were open and are now signed out. */
  readonly sessionsRevoked: number;
  readonly auditSeq: number;
}

/**
 * Throws `person_not_found` for someone not in the config and `password_too_weak` (naming the
 * rule) before anything is written.
 */
export async function setPassword(
  deps: CredentialDeps,
  input: { readonly personId: string; readonly password: string; readonly actor: string },
): Promise<PasswordSet> {
  if (!deps.personIds.has(input.personId))
    throw new GatehouseError('person_not_found', `no person '${input.personId}' in the config`);
  const passwordHash = await hashPassword(input.password);
  const at = deps.clock.now().toISOString();
  return deps.storage.transaction(async (tx) => {
    const previous = await tx.credentials.get(input.personId);
    await tx.credentials.set({ personId: input.personId, passwordHash, updatedAt: at });
    const sessionsRevoked = await tx.sessions.revokeAllFor(input.personId, at);
    const auditSeq = await appendAudit(tx, [
      {
        at,
        type: 'person.password_set',
        actor: input.actor,
        subject: input.personId,
        data: { person_id: input.personId, replaced: previous !== undefined, sessions_revoked: sessionsRevoked },
      },
    ]);
    return { personId: input.personId, sessionsRevoked, auditSeq };
  });
}
