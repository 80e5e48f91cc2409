/**
 * Test support: builds valid logs with checkpoints, and the single-row tamperings a person with
 * database access could make. Shared by the unit and property tests.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { hashEntry, sealEntries } from './chain.js';
import { createCheckpoint, keyIdOf } from './checkpoint.js';
import type { AuditCheckpoint, AuditEntry, AuditEntryDraft } from './types.js';

export interface TestKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyId: string;
}

export function newKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

const START = Date.parse('2026-03-02T09:00:00.000Z');
export const minute = (i: number) => new Date(START + i * 60_000).toISOString();

export function draft(i: number, data: Record<string, unknown> = {}): AuditEntryDraft {
  const types = ['action.executed', 'approval.granted', 'policy.changed', 'breaker.tripped'];
  return {
    at: minute(i),
    type: types[i % types.length] ?? 'action.executed',
    actor: i % 3 === 0 ? 'person:ana' : 'agent:outreach-bot',
    subject: i % 5 === 0 ? null : `contact:${1000 + i}`,
    data: { i, approver: i % 2 ? 'ana' : null, policyVersion: 3, ...data },
  };
}

/**
 * `n` entries appended in batches, with a checkpoint after each seq in `checkpointAfter`
 * (0 = a checkpoint of the empty log; repeating a seq = an idle checkpoint).
 */
export function makeLog(n: number, checkpointAfter: readonly number[], key: TestKey, drafts = draft) {
  const entries: AuditEntry[] = [];
  const checkpoints: AuditCheckpoint[] = [];
  const marks = [...checkpointAfter].sort((a, b) => a - b);
  const checkpoint = () => {
    const head = entries.at(-1);
    checkpoints.push(
      createCheckpoint({
        prev: checkpoints.at(-1) ?? null,
        head: head ? { seq: head.seq, hash: head.hash } : null,
        at: minute(entries.length + checkpoints.length + 0.5),
        privateKey: key.privateKey,
        keyId: key.keyId,
      }),
    );
  };
  for (let i = 0; i <= n; i++) {
    while (marks[0] === i) {
      checkpoint();
      marks.shift();
    }
    if (i < n) entries.push(...sealEntries(entries.at(-1) ?? null, [drafts(i + 1)]));
  }
  return { entries, checkpoints };
}

type Row = AuditEntry;
const at = (rows: Row[], seq: number) => rows.findIndex((r) => r.seq === seq);
const copy = (rows: Row[]) => rows.map((r) => ({ ...r, data: structuredClone(r.data) }));

export const tamper = {
  /** UPDATE … SET <field> = … WHERE seq = ? (hash left alone). */
  edit(rows: Row[], seq: number, change: Partial<Omit<Row, 'seq' | 'hash' | 'prevHash'>>): Row[] {
    const out = copy(rows);
    out[at(out, seq)] = { ...out[at(out, seq)]!, ...change };
    return out;
  },
  /** The same edit, with the row's own hash recomputed (but not the rows after it). */
  editAndRehash(rows: Row[], seq: number, change: Partial<Omit<Row, 'seq' | 'hash' | 'prevHash'>>): Row[] {
    const out = tamper.edit(rows, seq, change);
    const r = out[at(out, seq)]!;
    out[at(out, seq)] = { ...r, hash: hashEntry(r) };
    return out;
  },
  /** DELETE … WHERE seq = ? */
  remove(rows: Row[], seq: number): Row[] {
    return copy(rows).filter((r) => r.seq !== seq);
  },
  /** DELETE … WHERE seq > ? */
  truncate(rows: Row[], lastKept: number): Row[] {
    return copy(rows).filter((r) => r.seq <= lastKept);
  },
  /** Exchange every column but seq between two rows (read back in seq order). */
  swapRows(rows: Row[], a: number, b: number): Row[] {
    const out = copy(rows);
    const [ia, ib] = [at(out, a), at(out, b)];
    const [ra, rb] = [out[ia]!, out[ib]!];
    out[ia] = { ...rb, seq: a };
    out[ib] = { ...ra, seq: b };
    return out;
  },
  /** Exchange only the content columns (at, type, actor, subject, data), hashes stay put. */
  swapContent(rows: Row[], a: number, b: number): Row[] {
    const out = copy(rows);
    const [ia, ib] = [at(out, a), at(out, b)];
    const [ra, rb] = [out[ia]!, out[ib]!];
    const content = ({ at, type, actor, subject, data }: Row) => ({ at, type, actor, subject, data });
    out[ia] = { ...ra, ...content(rb) };
    out[ib] = { ...rb, ...content(ra) };
    return out;
  },
  /** Exchange two whole lines of an export (seqs travel with their rows). */
  swapLines(rows: Row[], a: number, b: number): Row[] {
    const out = copy(rows);
    const [ia, ib] = [at(out, a), at(out, b)];
    [out[ia], out[ib]] = [out[ib]!, out[ia]!];
    return out;
  },
  /** Edit one entry and recompute every hash from there on: a consistent but rewritten chain. */
  rewriteFrom(rows: Row[], seq: number, change: Partial<Omit<Row, 'seq' | 'hash' | 'prevHash'>>): Row[] {
    const out = tamper.edit(rows, seq, change);
    for (let i = at(out, seq); i < out.length; i++) {
      const prevHash = i === 0 ? out[0]!.prevHash : out[i - 1]!.hash;
      const r = { ...out[i]!, prevHash };
      out[i] = { ...r, hash: hashEntry(r) };
    }
    return out;
  },
};
