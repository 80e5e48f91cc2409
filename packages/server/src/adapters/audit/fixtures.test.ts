/**
 * Frozen fixtures (packages/server/test/fixtures/audit, made once, see its README): a valid log of
 * 12 entries and 2 checkpoints, and tampered copies of it. These pin the persisted format: if the
 * hashing or signing input ever changes, valid.jsonl stops verifying. Never regenerate them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hashEntry } from '../../core/audit/chain.js';
import { hashCheckpoint, keyIdOf } from '../../core/audit/checkpoint.js';
import { formatReport } from '../../core/audit/report.js';
import { verifyAudit } from '../../core/audit/verify.js';
import { parseJsonlText } from './export.js';
import { loadVerifyKey } from './signing-key.js';

const dir = fileURLToPath(new URL('../../../test/fixtures/audit/', import.meta.url));
const publicKey = loadVerifyKey(`${dir}audit-key.pub`);

async function verifyFixture(name: string) {
  const { entries, checkpoints } = await parseJsonlText(readFileSync(`${dir}${name}`, 'utf8'));
  return verifyAudit({ entries, checkpoints, publicKey });
}

describe('audit fixtures', () => {
  it('valid.jsonl verifies, and its hashes are the documented ones', async () => {
    const { entries, checkpoints } = await parseJsonlText(readFileSync(`${dir}valid.jsonl`, 'utf8'));
    for (const e of entries) expect(hashEntry(e)).toBe(e.hash);
    for (const c of checkpoints) expect(hashCheckpoint(c)).toBe(c.hash);
    expect(checkpoints.every((c) => c.keyId === keyIdOf(publicKey))).toBe(true);
    const report = await verifyAudit({ entries, checkpoints, publicKey });
    expect(formatReport(report)).toBe(
      'OK: 12 entries, 2 checkpoints, last checkpoint #2 at 2026-03-02T10:18:00.000Z covers entry 10 ' +
        '(2 newer entries not yet covered by a checkpoint)',
    );
  });

  it.each([
    ['edited.jsonl', 'modified', 7, 'entry 7 was modified: its content no longer matches its hash'],
    ['deleted.jsonl', 'removed', 4, 'entry 4 is missing: entry 3 is followed by entry 5'],
    ['swapped.jsonl', 'reordered', 3, "entries 3 and 8 were swapped: each holds the other's content"],
    ['swapped-lines.jsonl', 'reordered', 3, 'entries 3 and 8 were swapped: entry 8 appears where entry 3 belongs'],
    [
      'truncated.jsonl',
      'truncated',
      9,
      'the log ends at 8 but checkpoint 2 (signed 2026-03-02T10:18:00.000Z) covers up to 10: entries 9–10 were deleted',
    ],
  ])('%s → %s at entry %i', async (file, kind, seq, message) => {
    const report = await verifyFixture(file);
    expect(report.ok).toBe(false);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatchObject({ kind, seq, message });
  });

  it('rehashed.jsonl (chain rewritten from entry 3 with hashes recomputed) → one checkpoint_mismatch', async () => {
    const report = await verifyFixture('rehashed.jsonl');
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatchObject({ kind: 'checkpoint_mismatch', seq: 5, checkpointSeq: 1 });
    expect(report.problems[0]?.message).toMatch(
      /^checkpoint 1 \(signed 2026-03-02T09:30:00.000Z\) vouches that entry 5 had hash 1ce2c0b8098b…, but the log has [0-9a-f]{12}…: the chain was rewritten from somewhere in entries 1–5 on and the hashes recomputed; checkpoint 2 disagrees too$/,
    );
  });

  it('forged-checkpoint.jsonl (rewritten chain, checkpoint re-signed by another key) → bad_checkpoint_signature', async () => {
    const report = await verifyFixture('forged-checkpoint.jsonl');
    expect(report.problems.map((p) => [p.kind, p.checkpointSeq])).toEqual([['bad_checkpoint_signature', 2]]);
    expect(report.lastCheckpoint?.seq).toBe(1);
  });

  it('deleted-checkpoint.jsonl → checkpoint_chain_broken', async () => {
    const report = await verifyFixture('deleted-checkpoint.jsonl');
    expect(report.problems).toEqual([
      {
        kind: 'checkpoint_chain_broken',
        checkpointSeq: 2,
        message: 'checkpoint 1 is missing: the first checkpoint is 2',
      },
    ]);
  });

  it('truncated-uncovered.jsonl verifies: entries after the last checkpoint wait for the next one (documented)', async () => {
    const report = await verifyFixture('truncated-uncovered.jsonl');
    expect(report).toMatchObject({ ok: true, entries: 10, uncoveredEntries: 0 });
  });
});
