import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from './canonical.js';
import { GENESIS_HASH, hashEntry, sealEntries } from './chain.js';
import { draft } from './make-log.case.js';

describe('hashEntry', () => {
  const body = {
    seq: 1,
    at: '2026-03-02T09:00:00.000Z',
    type: 'approval.granted',
    actor: 'person:ana',
    subject: 'deal:7',
    data: { approver: 'ana', policyVersion: 3, changeSetHash: 'ab12' },
    prevHash: GENESIS_HASH,
  };

  it('is SHA-256 over the canonical JSON of exactly the seven content fields', () => {
    const canonical =
      '{"actor":"person:ana","at":"2026-03-02T09:00:00.000Z","data":{"approver":"ana","changeSetHash":"ab12","policyVersion":3},' +
      `"prevHash":"${GENESIS_HASH}","seq":1,"subject":"deal:7","type":"approval.granted"}`;
    expect(hashEntry(body)).toBe(sha256Hex(canonical));
    expect(hashEntry({ ...body, hash: 'ignored', extra: 1 } as typeof body)).toBe(hashEntry(body));
  });

  it.each(['seq', 'at', 'type', 'actor', 'subject', 'data', 'prevHash'] as const)('covers %s', (field) => {
    const changed = { ...body, [field]: field === 'seq' ? 2 : field === 'data' ? { approver: 'mallory' } : 'other' };
    expect(hashEntry(changed)).not.toBe(hashEntry(body));
  });

  it('hashes a null subject differently from a missing approver in data', () => {
    expect(hashEntry({ ...body, subject: null })).not.toBe(hashEntry(body));
  });
});

describe('sealEntries', () => {
  it('starts a new log at seq 1 from the genesis hash', () => {
    const [first] = sealEntries(null, [draft(1)]);
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH });
    expect(first?.hash).toBe(hashEntry(first!));
  });

  it('continues contiguously after the head and chains every entry', () => {
    const head = { seq: 41, hash: 'a'.repeat(64) };
    const entries = sealEntries(head, [draft(1), draft(2), draft(3)]);
    expect(entries.map((e) => e.seq)).toEqual([42, 43, 44]);
    expect(entries.map((e) => e.prevHash)).toEqual([head.hash, entries[0]!.hash, entries[1]!.hash]);
    for (const e of entries) expect(e.hash).toBe(hashEntry(e));
  });

  it('returns nothing for no drafts', () => {
    expect(sealEntries({ seq: 3, hash: 'b'.repeat(64) }, [])).toEqual([]);
  });

  it('stores exactly what was hashed: a copy of data, undefined properties dropped, subject defaulted to null', () => {
    const data: Record<string, unknown> = { approver: 'ana', note: undefined };
    const [e] = sealEntries(null, [{ at: '2026-03-02T09:00:00.000Z', type: 't', actor: 'a', data }]);
    data.approver = 'mallory';
    expect(e?.data).toEqual({ approver: 'ana' });
    expect(e?.subject).toBeNull();
    expect(Object.isFrozen(e)).toBe(true);
    // What comes back from a JSON store hashes the same.
    expect(hashEntry(JSON.parse(JSON.stringify(e)))).toBe(e?.hash);
  });

  it.each([
    ['an empty actor', { ...draft(1), actor: '' }, /actor must be a non-empty string/],
    ['a non-date at', { ...draft(1), at: 'yesterday' }, /at must be an ISO 8601/],
    ['array data', { ...draft(1), data: [] as unknown as Record<string, unknown> }, /data must be a JSON object/],
    ['NaN in data', { ...draft(1), data: { n: NaN } }, /cannot canonicalise \$\.n/],
  ])('refuses a draft with %s', (_name, bad, message) => {
    expect(() => sealEntries(null, [draft(0), bad])).toThrow(message);
  });
});

describe('sealEntries hashes exactly what hashEntry hashes', () => {
  it('for any strings (unicode, quotes, escapes), subjects and JSON data', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 12 });
    fc.assert(
      fc.property(
        fc.record({
          type: text.filter((s) => s !== ''),
          actor: text.filter((s) => s !== ''),
          subject: fc.option(text, { nil: undefined }),
          data: fc.dictionary(text, fc.jsonValue({ maxDepth: 3 })),
        }),
        fc.nat({ max: 1_000_000 }),
        (d, seq) => {
          const [e] = sealEntries({ seq, hash: 'c'.repeat(64) }, [{ ...d, at: '2026-03-02T09:00:00.000Z' }]);
          expect(e!.hash).toBe(hashEntry(e!));
        },
      ),
      { numRuns: 300 },
    );
  });
});
