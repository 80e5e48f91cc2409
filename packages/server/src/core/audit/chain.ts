/**
 * The hash chain. Each entry's hash covers every field of the entry (including `seq` and the
 * previous entry's hash), so editing, moving or dropping any entry breaks either its own hash or
 * the next entry's link. What a plain chain cannot show (a deleted tail, a chain recomputed from
 * scratch) is what signed checkpoints are for: see checkpoint.ts.
 */
import { GatehouseError } from '../errors.js';
import { canonicalJson, sha256Hex } from './canonical.js';
import type { AuditEntry, AuditEntryDraft, AuditHead } from './types.js';

/** The `prevHash` of entry 1. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * SHA-256 (hex) of the RFC 8785 canonical JSON of {seq, at, type, actor, subject, data, prevHash}.
 * Only these seven fields are read: extra properties (a stored `hash`, database columns) are ignored.
 */
export function hashEntry(entry: Omit<AuditEntry, 'hash'>): string {
  const { seq, at, type, actor, subject, data, prevHash } = entry;
  return sha256Hex(canonicalJson({ seq, at, type, actor, subject, data, prevHash }));
}

/**
 * The text `hashEntry` hashes, built around `data`'s canonical text instead of canonicalising it
 * again: RFC 8785 orders an object's members by key (UTF-16 code units), here actor, at, data,
 * prevHash, seq, subject, type, and writes each value canonically. Only for sealed bodies, whose
 * fields are all defined (the chain tests check it equals `hashEntry`'s text).
 */
function entryText(b: Omit<AuditEntry, 'hash' | 'data'>, dataText: string): string {
  return (
    `{"actor":${canonicalJson(b.actor)},"at":${canonicalJson(b.at)},"data":${dataText},` +
    `"prevHash":${canonicalJson(b.prevHash)},"seq":${canonicalJson(b.seq)},` +
    `"subject":${canonicalJson(b.subject)},"type":${canonicalJson(b.type)}}`
  );
}

/**
 * Seals drafts into entries that continue the chain after `head` (seqs head.seq + 1, + 2, …).
 * Pure and deterministic, so it can be the `build` callback of the storage port's `append`,
 * which calls it with the head it read under its lock. `data` is copied through its canonical
 * form: the returned entry holds exactly what was hashed, and later mutation of the draft
 * cannot change it.
 */
export function sealEntries(head: AuditHead | null, drafts: readonly AuditEntryDraft[]): AuditEntry[] {
  let seq = head?.seq ?? 0;
  let prevHash = head?.hash ?? GENESIS_HASH;
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw new GatehouseError('audit_entry_invalid', `the audit head seq must be a non-negative integer, got ${seq}`);
  }
  return drafts.map((draft, i) => {
    checkDraft(draft, i);
    seq += 1;
    // `data` is canonicalised once: its text is part of the hashed text, the stored JSON
    // (`sealedDataText`) and, parsed on first read, the entry's copy.
    const dataText = canonicalJson(draft.data);
    const body = {
      seq,
      at: draft.at,
      type: draft.type,
      actor: draft.actor,
      subject: draft.subject ?? null,
      prevHash,
    };
    const hash = sha256Hex(entryText(body, dataText));
    let data: Record<string, unknown> | undefined;
    const entry: AuditEntry = Object.freeze({
      seq: body.seq,
      at: body.at,
      type: body.type,
      actor: body.actor,
      subject: body.subject,
      get data() {
        return (data ??= JSON.parse(dataText) as Record<string, unknown>);
      },
      prevHash,
      hash,
    });
    dataTexts.set(entry, dataText);
    prevHash = hash;
    return entry;
  });
}

const dataTexts = new WeakMap<AuditEntry, string>();

/**
 * The canonical JSON text of a sealed entry's `data` (what its hash covers), for storage to
 * write as is instead of serialising the data again; `undefined` for entries not sealed here.
 */
export function sealedDataText(entry: AuditEntry): string | undefined {
  return dataTexts.get(entry);
}

function checkDraft(draft: AuditEntryDraft, index: number): void {
  const bad = (field: string, why: string) =>
    new GatehouseError('audit_entry_invalid', `audit entry draft ${index}: ${field} ${why}`, {
      details: { index, field },
    });
  for (const field of ['type', 'actor'] as const) {
    if (typeof draft[field] !== 'string' || draft[field] === '') throw bad(field, 'must be a non-empty string');
  }
  if (typeof draft.at !== 'string' || Number.isNaN(Date.parse(draft.at))) {
    throw bad('at', 'must be an ISO 8601 timestamp string');
  }
  if (draft.subject !== undefined && draft.subject !== null && typeof draft.subject !== 'string') {
    throw bad('subject', 'must be a string or null');
  }
  const data = draft.data as unknown;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw bad('data', 'must be a JSON object');
}
