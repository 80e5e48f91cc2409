/** Creating, listing and revoking API keys; every change is audited. The token is shown once and never stored. */
import type { Clock } from './clock.js';
import { GatehouseError } from './errors.js';
import { generateKey, type KeyKind } from './keys.js';
import { appendAudit } from './pipeline/record.js';
import type { KeyRow, Storage } from './ports/storage.js';

export interface KeyAdminDeps {
  storage: Storage;
  clock: Clock;
  agentIds: ReadonlySet<string>;
  personIds: ReadonlySet<string>;
  newId: (prefix: string) => string;
}

const SUBJECT = /^[A-Za-z0-9_.-]{1,100}$/;

export async function createKey(
  deps: KeyAdminDeps,
  input: { kind: KeyKind; subject: string; label?: string; actor: string },
): Promise<{ token: string; key: KeyRow }> {
  if (input.kind === 'agent' && !deps.agentIds.has(input.subject)) {
    throw new GatehouseError(
      'agent_not_found',
      `no agent '${input.subject}' in the config (agents: ${[...deps.agentIds].join(', ') || 'none'})`,
    );
  }
  if (input.kind === 'person' && !deps.personIds.has(input.subject)) {
    throw new GatehouseError(
      'person_not_found',
      `no person '${input.subject}' in the config (people: ${[...deps.personIds].join(', ') || 'none'})`,
    );
  }
  if (!SUBJECT.test(input.subject))
    throw new GatehouseError('invalid_request', `'${input.subject}' must be 1-100 letters, digits, _ . or -`);
  const { token, hash, prefix } = generateKey(input.kind);
  const at = deps.clock.now().toISOString();
  const key = await deps.storage.transaction(async (tx) => {
    const row = await tx.keys.insert({
      id: deps.newId('key'),
      kind: input.kind,
      subject: input.subject,
      hash,
      prefix,
      createdAt: at,
      label: input.label ?? null,
    });
    await appendAudit(tx, [
      {
        at,
        type: 'key.created',
        actor: input.actor,
        subject: row.id,
        data: { key_id: row.id, kind: row.kind, subject: row.subject, prefix },
      },
    ]);
    return row;
  });
  return { token, key };
}

export async function revokeKey(
  deps: Pick<KeyAdminDeps, 'storage' | 'clock'>,
  input: { id: string; actor: string },
): Promise<KeyRow> {
  const at = deps.clock.now().toISOString();
  return deps.storage.transaction(async (tx) => {
    const row = await tx.keys.get(input.id);
    if (!row) throw new GatehouseError('key_not_found', `no key ${input.id}`);
    if (row.revokedAt) throw new GatehouseError('conflict', `key ${input.id} was already revoked at ${row.revokedAt}`);
    await tx.keys.revoke(input.id, at);
    await appendAudit(tx, [
      {
        at,
        type: 'key.revoked',
        actor: input.actor,
        subject: row.id,
        data: { key_id: row.id, kind: row.kind, subject: row.subject },
      },
    ]);
    return { ...row, revokedAt: at };
  });
}
