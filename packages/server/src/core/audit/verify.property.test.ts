/**
 * Property: for a random valid log and one random tampering of the kind a person with database
 * access could make, verify reports exactly one problem, of the right kind, at the right seq;
 * an untouched log always verifies.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical.js';
import { makeLog, newKey, tamper } from './make-log.case.js';
import type { AuditEntry, AuditEntryDraft, AuditProblemKind } from './types.js';
import { verifyAudit } from './verify.js';

const key = newKey();

const draftArb: fc.Arbitrary<AuditEntryDraft> = fc.record({
  // A small pool of values so that neighbouring entries often look alike.
  at: fc.constantFrom('2026-03-02T09:00:00.000Z', '2026-03-02T09:00:01.000Z', '2026-03-02T10:00:00.000Z'),
  type: fc.constantFrom('action.executed', 'approval.granted'),
  actor: fc.constantFrom('agent:a', 'person:ana'),
  subject: fc.option(fc.constantFrom('contact:1', 'deal:2'), { nil: null }),
  data: fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
});

const logArb = fc
  .record({
    drafts: fc.array(draftArb, { minLength: 1, maxLength: 30 }),
    marks: fc.array(fc.nat(), { maxLength: 4 }),
  })
  .map(({ drafts, marks }) => {
    const n = drafts.length;
    const { entries, checkpoints } = makeLog(
      n,
      marks.map((m) => m % (n + 1)),
      key,
      (i) => drafts[i - 1]!,
    );
    return { entries, checkpoints };
  });

type Tampering = { rows: AuditEntry[]; kind: AuditProblemKind; seq: number; otherSeq?: number };

const sameContent = (a: AuditEntry, b: AuditEntry) =>
  canonicalJson([a.at, a.type, a.actor, a.subject, a.data]) ===
  canonicalJson([b.at, b.type, b.actor, b.subject, b.data]);

function tamperArb(entries: AuditEntry[], covered: number): fc.Arbitrary<Tampering | null> {
  const n = entries.length;
  const seq = fc.integer({ min: 1, max: n });
  const options: fc.Arbitrary<Tampering | null>[] = [
    fc.tuple(seq, fc.constantFrom('actor', 'type', 'at', 'data', 'subject'), fc.boolean()).map(([s, field, rehash]) => {
      const r = entries[s - 1]!;
      const change =
        field === 'data'
          ? { data: { ...r.data, approver: 'mallory' } }
          : field === 'subject'
            ? { subject: r.subject === null ? 'contact:666' : null }
            : { [field]: `${r[field]}x` };
      // A recomputed row hash is only visible if a later entry still links to the original.
      if (rehash && s < n) return { rows: tamper.editAndRehash(entries, s, change), kind: 'modified', seq: s };
      return { rows: tamper.edit(entries, s, change), kind: 'modified', seq: s };
    }),
    seq.map((s) => (s < n ? { rows: tamper.remove(entries, s), kind: 'removed', seq: s } : null)),
    fc.tuple(seq, seq, fc.constantFrom('rows', 'content', 'lines')).map(([x, y, how]) => {
      if (x === y) return null;
      const [a, b] = x < y ? [x, y] : [y, x];
      if (how === 'content' && sameContent(entries[a - 1]!, entries[b - 1]!)) return null; // a no-op
      const rows =
        how === 'rows'
          ? tamper.swapRows(entries, a, b)
          : how === 'content'
            ? tamper.swapContent(entries, a, b)
            : tamper.swapLines(entries, a, b);
      return { rows, kind: 'reordered', seq: a, otherSeq: b };
    }),
    fc
      .integer({ min: 0, max: n })
      .map((last) =>
        last < covered ? { rows: tamper.truncate(entries, last), kind: 'truncated', seq: last + 1 } : null,
      ),
  ];
  return fc.oneof(...options);
}

describe('verifyAudit (property)', () => {
  it('a valid log always verifies', async () => {
    await fc.assert(
      fc.asyncProperty(logArb, async ({ entries, checkpoints }) => {
        const report = await verifyAudit({ entries, checkpoints, publicKey: key.publicKey });
        expect(report.problems).toEqual([]);
        expect(report.ok).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('one tampering is reported as one problem of the right kind at the right seq', async () => {
    const caseArb = logArb.chain((log) => {
      const covered = Math.max(0, ...log.checkpoints.map((c) => c.lastEntrySeq));
      return tamperArb(log.entries, covered).map((t) => ({ ...log, t }));
    });
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ checkpoints, t }) => {
        fc.pre(t !== null);
        const report = await verifyAudit({ entries: t.rows, checkpoints, publicKey: key.publicKey });
        expect(report.ok).toBe(false);
        expect(report.problems).toHaveLength(1);
        expect(report.problems[0]).toMatchObject({
          kind: t.kind,
          seq: t.seq,
          ...(t.otherSeq === undefined ? {} : { otherSeq: t.otherSeq }),
        });
      }),
      { numRuns: 400 },
    );
  });
});
