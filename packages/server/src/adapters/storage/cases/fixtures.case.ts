/**
 * Helpers for the storage contract cases. Every case shares one database per dialect, so rows
 * carry unique ids, and cases that list across the whole table use their own stretch of time.
 */
import { createHash, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { GatehouseError } from '../../../core/errors.js';
import type {
  ActionRow,
  AuditEntry,
  AuditHead,
  NewAction,
  NewApproval,
  Repos,
  Storage,
} from '../../../core/ports/storage.js';

export interface ContractContext {
  /** The suite's main instance, migrated. */
  storage(): Storage;
  /** Another instance on the same database, as a second server process would have. */
  openAnother(): Promise<Storage>;
}

export const uid = (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;

/** `base` plus `ms`, as the port's timestamp format. */
export const at = (base: string, ms = 0) => new Date(Date.parse(base) + ms).toISOString();

export const T0 = '2026-01-05T09:00:00.000Z';
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export function newAction(over: Partial<NewAction> = {}): NewAction {
  return {
    id: uid('act'),
    agentId: uid('agent'),
    connector: 'crm',
    object: 'contacts',
    operation: 'update',
    status: 'proposed',
    request: { records: [{ id: 'c_1', changes: { owner_id: 'u_7' } }], reason: 'route' },
    createdAt: T0,
    ...over,
  };
}

export async function seedAction(repos: Repos, over: Partial<NewAction> = {}): Promise<ActionRow> {
  const r = await repos.actions.insert(newAction(over));
  if (!r.inserted) throw new Error('seedAction: unexpected idempotency hit');
  return r.row;
}

export function newApproval(actionId: string, over: Partial<NewApproval> = {}): NewApproval {
  return {
    id: uid('apr'),
    actionId,
    changesetHash: 'sha256:abc',
    policyVersion: 'p1',
    agentVersion: 'a1',
    required: 2,
    role: 'marketing_lead',
    checklist: [{ id: 'brand-tone', label: 'Brand tone' }],
    status: 'pending',
    expiresAt: at(T0, HOUR),
    escalationLevel: 0,
    createdAt: T0,
    ...over,
  };
}

/** A stand-in for core/audit's chain: each hash covers the previous hash and the entry. */
export function chainEntries(head: AuditHead | null, types: readonly string[], when = T0): AuditEntry[] {
  let prevHash = head?.hash ?? 'genesis';
  let seq = head?.seq ?? 0;
  return types.map((type) => {
    seq += 1;
    const hash = createHash('sha256').update(`${prevHash}|${seq}|${type}`).digest('hex');
    const entry: AuditEntry = {
      seq,
      at: when,
      type,
      actor: 'agent:test',
      subject: null,
      data: { n: seq },
      prevHash,
      hash,
    };
    prevHash = hash;
    return entry;
  });
}

/** Asserts seqs run without gaps and every entry links to the one before it. */
export function expectContiguousChain(entries: readonly AuditEntry[], from: AuditHead | null): void {
  let prev = from;
  for (const e of entries) {
    expect(e.seq).toBe((prev?.seq ?? 0) + 1);
    expect(e.prevHash).toBe(prev?.hash ?? 'genesis');
    prev = { seq: e.seq, hash: e.hash };
  }
}

export async function expectStorageError(p: Promise<unknown>, code: string): Promise<GatehouseError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected a GatehouseError ${code}`).toBeInstanceOf(GatehouseError);
  expect((err as GatehouseError).code).toBe(code);
  return err as GatehouseError;
}
