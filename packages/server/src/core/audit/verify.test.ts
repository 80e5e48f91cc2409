import { describe, expect, it } from 'vitest';
import { hashEntry } from './chain.js';
import { createCheckpoint } from './checkpoint.js';
import { makeLog, newKey, tamper } from './make-log.case.js';
import { formatReport } from './report.js';
import type { AuditCheckpoint, AuditEntry } from './types.js';
import { verifyAudit } from './verify.js';

const key = newKey();
// 30 entries; checkpoints after 10, 20 and 25; entries 26–30 not yet covered.
const log = makeLog(30, [10, 20, 25], key);

async function verify(entries: AuditEntry[], checkpoints: AuditCheckpoint[] = log.checkpoints) {
  return verifyAudit({ entries, checkpoints, publicKey: key.publicKey });
}
async function* slowly(rows: AuditEntry[]) {
  for (const r of rows) {
    await Promise.resolve();
    yield r;
  }
}

describe('verifyAudit on an untouched log', () => {
  it('verifies and describes coverage', async () => {
    const report = await verifyAudit({
      entries: slowly(log.entries),
      checkpoints: log.checkpoints,
      publicKey: key.publicKey,
    });
    expect(report).toMatchObject({ ok: true, entries: 30, checkpoints: 3, uncoveredEntries: 5, problems: [] });
    expect(report.lastCheckpoint).toMatchObject({ seq: 3, lastEntrySeq: 25, keyId: key.keyId });
    expect(formatReport(report)).toMatch(
      /^OK: 30 entries, 3 checkpoints, last checkpoint #3 at \S+ covers entry 25 \(5 newer entries not yet covered/,
    );
  });

  it('verifies an empty log, with or without an idle checkpoint', async () => {
    expect((await verifyAudit({ entries: [], checkpoints: [], publicKey: key.publicKey })).ok).toBe(true);
    const idle = makeLog(0, [0, 0], key);
    const report = await verifyAudit({ entries: [], checkpoints: idle.checkpoints, publicKey: key.publicKey });
    expect(report).toMatchObject({ ok: true, checkpoints: 2, lastCheckpoint: { seq: 2, lastEntrySeq: 0 } });
  });

  it('accepts checkpoints handed over in any order', async () => {
    expect((await verify(log.entries, [...log.checkpoints].reverse())).ok).toBe(true);
  });
});

describe('verifyAudit names single-row tampering', () => {
  it('edited data, actor, type or time → modified at that seq, nothing else', async () => {
    for (const change of [
      { data: { approver: 'mallory' } },
      { actor: 'person:mallory' },
      { type: 'x' },
      { at: '2026-01-01T00:00:00.000Z' },
    ]) {
      const report = await verify(tamper.edit(log.entries, 17, change));
      expect(report.problems).toEqual([
        { kind: 'modified', seq: 17, message: 'entry 17 was modified: its content no longer matches its hash' },
      ]);
      expect(report.ok).toBe(false);
    }
  });

  it('an edit with the row hash recomputed → modified at that seq', async () => {
    const report = await verify(tamper.editAndRehash(log.entries, 12, { data: { approver: 'mallory' } }));
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatchObject({ kind: 'modified', seq: 12 });
    expect(report.problems[0]?.message).toContain('hash recomputed: entry 13 still links to its original hash');
  });

  it('an edit with the row hash recomputed on a checkpointed entry is one problem, not two', async () => {
    const report = await verify(tamper.editAndRehash(log.entries, 20, { actor: 'person:mallory' }));
    expect(report.problems.map((p) => [p.kind, p.seq])).toEqual([['modified', 20]]);
  });

  it('a row whose link was changed and hash recomputed → modified at that row, not its neighbours', async () => {
    const rows = log.entries.map((r) => ({ ...r }));
    const r = { ...rows[11]!, prevHash: 'a'.repeat(64) };
    rows[11] = { ...r, hash: hashEntry(r) };
    const report = await verify(rows);
    expect(report.problems).toEqual([
      {
        kind: 'modified',
        seq: 12,
        message: 'entry 12 was rewritten and its hash recomputed: it links to neither entry 11 nor entry 13',
      },
    ]);
  });

  it('entry 1 rewritten to start elsewhere → modified 1', async () => {
    const rows = log.entries.map((r) => ({ ...r }));
    const r = { ...rows[0]!, prevHash: 'b'.repeat(64) };
    rows[0] = { ...r, hash: hashEntry(r) };
    const report = await verify(rows);
    expect(report.problems.map((p) => [p.kind, p.seq, p.message])).toEqual([
      ['modified', 1, 'entry 1 was rewritten and its hash recomputed: it does not start from the genesis hash'],
    ]);
  });

  it('a deleted middle row → removed naming the missing seq', async () => {
    const report = await verify(tamper.remove(log.entries, 14));
    expect(report.problems).toEqual([
      { kind: 'removed', seq: 14, message: 'entry 14 is missing: entry 13 is followed by entry 15' },
    ]);
  });

  it('the first row deleted → removed 1', async () => {
    const report = await verify(tamper.remove(log.entries, 1));
    expect(report.problems).toEqual([
      { kind: 'removed', seq: 1, message: 'entry 1 is missing: the log starts at entry 2' },
    ]);
  });

  it('a deleted row that a checkpoint covered exactly → removed only', async () => {
    const report = await verify(tamper.remove(log.entries, 10));
    expect(report.problems.map((p) => [p.kind, p.seq])).toEqual([['removed', 10]]);
  });

  it('a deleted row with the later rows renumbered to close the gap → removed', async () => {
    const rows = tamper.remove(log.entries, 14).map((r) => (r.seq > 14 ? { ...r, seq: r.seq - 1 } : r));
    const report = await verify(rows);
    expect(report.problems.map((p) => [p.kind, p.seq])).toEqual([['removed', 14]]);
    expect(report.problems[0]?.message).toMatch(/^entry 14 was deleted and the entries after it renumbered/);
  });

  it('two rows swapped in the table (seq column kept) → reordered naming both', async () => {
    const report = await verify(tamper.swapRows(log.entries, 8, 15));
    expect(report.problems).toEqual([
      {
        kind: 'reordered',
        seq: 8,
        otherSeq: 15,
        message: "entries 8 and 15 were swapped: each holds the other's content",
      },
    ]);
  });

  it('two rows swapped with their hashes left in place → reordered', async () => {
    const report = await verify(tamper.swapContent(log.entries, 3, 4));
    expect(report.problems.map((p) => [p.kind, p.seq, p.otherSeq])).toEqual([['reordered', 3, 4]]);
  });

  it('only the data of two rows swapped → reordered, naming the field', async () => {
    const rows = log.entries.map((r) => ({ ...r }));
    [rows[4]!.data, rows[9]!.data] = [rows[9]!.data, rows[4]!.data];
    const report = await verify(rows);
    expect(report.problems).toEqual([
      {
        kind: 'reordered',
        seq: 5,
        otherSeq: 10,
        message: "entries 5 and 10 were swapped: each holds the other's data",
      },
    ]);
  });

  it('two lines of an export swapped (seqs travel along) → reordered naming both', async () => {
    for (const [a, b] of [
      [8, 15],
      [3, 4],
      [1, 30],
    ] as const) {
      const report = await verify(tamper.swapLines(log.entries, a, b));
      expect(report.problems).toEqual([
        {
          kind: 'reordered',
          seq: a,
          otherSeq: b,
          message: `entries ${a} and ${b} were swapped: entry ${b} appears where entry ${a} belongs`,
        },
      ]);
    }
  });

  it('the last rows deleted, covered by a checkpoint → truncated', async () => {
    const report = await verify(tamper.truncate(log.entries, 22));
    const cp3 = log.checkpoints[2]!;
    expect(report.problems).toEqual([
      {
        kind: 'truncated',
        seq: 23,
        endSeq: 25,
        checkpointSeq: 3,
        message: `the log ends at 22 but checkpoint 3 (signed ${cp3.at}) covers up to 25: entries 23–25 were deleted`,
      },
    ]);
  });

  it('the last rows deleted, not yet covered → undetectable until the next checkpoint (documented)', async () => {
    const report = await verify(tamper.truncate(log.entries, 27));
    expect(report.ok).toBe(true);
    expect(report.uncoveredEntries).toBe(2);
  });

  it('a duplicated row → inserted', async () => {
    const rows = [...log.entries.slice(0, 7), { ...log.entries[6]! }, ...log.entries.slice(7)];
    const report = await verify(rows);
    expect(report.problems).toEqual([
      { kind: 'inserted', seq: 7, message: 'entry 7 appears twice: a copy was inserted' },
    ]);
  });

  it('a forged row claiming an existing seq → inserted, and the genuine one is kept', async () => {
    const forged = { ...log.entries[6]!, actor: 'person:mallory' };
    const rows = [...log.entries.slice(0, 6), forged, ...log.entries.slice(6)];
    const report = await verify(rows);
    expect(report.problems.map((p) => [p.kind, p.seq])).toEqual([['inserted', 7]]);
  });

  it('a row that is not an entry at all → inserted', async () => {
    const rows = [...log.entries.slice(0, 3), { hello: 'world' } as unknown as AuditEntry, ...log.entries.slice(3)];
    const report = await verify(rows);
    expect(report.problems).toEqual([
      { kind: 'inserted', message: 'row 4 of the log is not an audit entry (after entry 3)' },
    ]);
  });
});

describe('verifyAudit against recomputed chains and checkpoints', () => {
  it('a chain rewritten with all hashes recomputed → one checkpoint_mismatch that narrows it down', async () => {
    const report = await verify(tamper.rewriteFrom(log.entries, 14, { data: { approver: 'mallory' } }));
    expect(report.problems).toHaveLength(1);
    const [p] = report.problems;
    expect(p).toMatchObject({ kind: 'checkpoint_mismatch', seq: 20, checkpointSeq: 2 });
    expect(p?.message).toContain('checkpoint 2 (signed ');
    expect(p?.message).toContain('the chain was rewritten from somewhere in entries 11–20 on');
    expect(p?.message).toContain('checkpoint 3 disagrees too');
  });

  it('a rewrite after the last checkpoint cannot be seen (documented limitation)', async () => {
    expect((await verify(tamper.rewriteFrom(log.entries, 27, { actor: 'x' }))).ok).toBe(true);
  });

  it('an edited checkpoint → bad_checkpoint_signature, and it vouches for nothing', async () => {
    const rewritten = tamper.rewriteFrom(log.entries, 22, { actor: 'x' });
    const cps = log.checkpoints.map((c) => (c.seq === 3 ? { ...c, headHash: rewritten[24]!.hash } : c));
    const report = await verify(rewritten, cps);
    expect(report.problems.map((p) => [p.kind, p.checkpointSeq])).toEqual([['bad_checkpoint_signature', 3]]);
    expect(report.lastCheckpoint?.seq).toBe(2);
  });

  it('a checkpoint re-signed with another key → bad_checkpoint_signature naming both keys', async () => {
    const other = newKey();
    const forged = createCheckpoint({
      prev: log.checkpoints[1]!,
      head: { seq: 25, hash: log.entries[24]!.hash },
      at: log.checkpoints[2]!.at,
      privateKey: other.privateKey,
      keyId: other.keyId,
    });
    const report = await verify(log.entries, [log.checkpoints[0]!, log.checkpoints[1]!, forged]);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatchObject({ kind: 'bad_checkpoint_signature', checkpointSeq: 3 });
    expect(report.problems[0]?.message).toContain(other.keyId);
    expect(report.problems[0]?.message).toContain(key.keyId);
  });

  it('a deleted middle checkpoint → checkpoint_chain_broken', async () => {
    const report = await verify(log.entries, [log.checkpoints[0]!, log.checkpoints[2]!]);
    expect(report.problems).toEqual([
      {
        kind: 'checkpoint_chain_broken',
        checkpointSeq: 3,
        message: 'checkpoint 2 is missing: checkpoint 3 follows checkpoint 1',
      },
    ]);
  });

  it('an edited checkpoint hash field → checkpoint_chain_broken', async () => {
    const cps = log.checkpoints.map((c) => (c.seq === 1 ? { ...c, hash: 'f'.repeat(64) } : c));
    const report = await verify(log.entries, cps);
    expect(report.problems.map((p) => [p.kind, p.checkpointSeq])).toEqual([['checkpoint_chain_broken', 1]]);
  });

  it('deleting the newest checkpoints with their entries is caught only by freshness', async () => {
    const entries = tamper.truncate(log.entries, 20);
    const cps = log.checkpoints.slice(0, 2);
    expect((await verify(entries, cps)).ok).toBe(true);
    const now = new Date(Date.parse(cps[1]!.at) + 3 * 3_600_000);
    const report = await verifyAudit({
      entries,
      checkpoints: cps,
      publicKey: key.publicKey,
      freshness: { now, maxAgeMs: 7_200_000 },
    });
    expect(report.problems.map((p) => [p.kind, p.checkpointSeq])).toEqual([['truncated', 2]]);
    const fresh = await verifyAudit({
      entries,
      checkpoints: cps,
      publicKey: key.publicKey,
      freshness: { now: new Date(Date.parse(cps[1]!.at) + 60_000), maxAgeMs: 7_200_000 },
    });
    expect(fresh.ok).toBe(true);
  });
});

describe('verifyAudit does not cascade', () => {
  it('a wrecked log produces a bounded, aggregated report', async () => {
    const big = makeLog(3000, [1000, 2000, 3000], key);
    const rows = big.entries.map((r) => (r.seq >= 100 && r.seq < 2600 ? { ...r, actor: 'x' } : r));
    const report = await verify(rows, big.checkpoints);
    expect(report.problems).toEqual([
      {
        kind: 'modified',
        seq: 100,
        endSeq: 2599,
        message: 'entries 100–2599 (2500 entries) were modified: their content no longer matches their hashes',
      },
    ]);
  });

  it('caps the listed problems and counts the rest', async () => {
    const big = makeLog(400, [], key);
    const rows = big.entries.map((r) => (r.seq % 2 === 0 ? { ...r, actor: `x${r.seq}` } : r));
    const report = await verify(rows, []);
    expect(report.problems).toHaveLength(50);
    expect(report.moreProblems).toBe(150);
    expect(formatReport(report)).toContain('… and 150 more problems not listed');
  });

  it('formats problems for people', async () => {
    const report = await verify(tamper.remove(log.entries, 14));
    expect(formatReport(report)).toBe(
      [
        `TAMPERED: 1 problem in 29 entries, 3 checkpoints; last checkpoint #3 at ${log.checkpoints[2]!.at} covers entry 25 (5 newer entries not yet covered by a checkpoint)`,
        '  - removed at entry 14: entry 14 is missing: entry 13 is followed by entry 15',
      ].join('\n'),
    );
  });
});

describe('verifyAudit on long logs', () => {
  const big = makeLog(3000, [1000, 2000, 3000], key);

  it('a deleted row far from the end → removed only', async () => {
    const report = await verify(tamper.remove(big.entries, 100), big.checkpoints);
    expect(report.problems.map((p) => [p.kind, p.seq])).toEqual([['removed', 100]]);
  });

  it('a line moved further than the reorder window → reordered at that seq only', async () => {
    const rows = big.entries.filter((r) => r.seq !== 5);
    rows.splice(2000, 0, big.entries[4]!);
    const report = await verify(rows, big.checkpoints);
    expect(report.problems).toEqual([
      { kind: 'reordered', seq: 5, message: 'entry 5 is out of place: it appears after entry 2001' },
    ]);
  });

  it('lines swapped further apart than the window → both named', async () => {
    const report = await verify(tamper.swapLines(big.entries, 10, 2500), big.checkpoints);
    expect(report.problems.map((p) => [p.kind, p.seq])).toEqual([
      ['reordered', 10],
      ['reordered', 2500],
    ]);
  });
});
