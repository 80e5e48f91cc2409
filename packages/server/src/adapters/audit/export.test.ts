import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../core/audit/canonical.js';
import { makeLog, newKey } from '../../core/audit/make-log.case.js';
import { verifyAudit } from '../../core/audit/verify.js';
import { exportJsonl, parseJsonlText, readJsonl } from './export.js';

const key = newKey();

async function exportText(log: ReturnType<typeof makeLog>) {
  const lines: string[] = [];
  const counts = await exportJsonl(log.entries, (l) => void lines.push(l), { checkpoints: log.checkpoints });
  return { text: lines.join(''), lines, counts };
}

describe('exportJsonl', () => {
  it('writes one canonical line per entry, each checkpoint right after the entry it covers', async () => {
    const log = makeLog(5, [0, 2, 2, 5], key);
    const { lines, counts } = await exportText(log);
    expect(counts).toEqual({ entries: 5, checkpoints: 4 });
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    const shape = lines.map((l) => {
      const v = JSON.parse(l);
      return 'checkpoint' in v ? `c${v.checkpoint.seq}` : `e${v.seq}`;
    });
    expect(shape).toEqual(['c1', 'e1', 'e2', 'c2', 'c3', 'e3', 'e4', 'e5', 'c4']);
    expect(lines[1]).toBe(`${canonicalJson(log.entries[0])}\n`);
  });

  it('drops columns that are not part of the format and accepts async sources and writers', async () => {
    const log = makeLog(2, [], key);
    async function* rows() {
      for (const e of log.entries) yield await Promise.resolve({ ...e, id: 99, created_at: 'x' });
    }
    const out: string[] = [];
    await exportJsonl(rows(), async (l) => {
      await Promise.resolve();
      out.push(l);
    });
    expect(JSON.parse(out[0]!)).not.toHaveProperty('id');
  });

  it('round-trips: an export verifies with nothing but the public key', async () => {
    const log = makeLog(12, [5, 10], key);
    const { text } = await exportText(log);
    const parsed = await parseJsonlText(text);
    expect(parsed.entries).toEqual(log.entries);
    expect(parsed.checkpoints).toEqual(log.checkpoints);
    const report = await verifyAudit({ ...parsed, publicKey: key.publicKey });
    expect(report).toMatchObject({ ok: true, entries: 12, checkpoints: 2 });
  });
});

describe('readJsonl', () => {
  it('numbers lines, skips blank ones and names a line that is not JSON', async () => {
    const items = [];
    for await (const item of readJsonl(['{"seq":1}', '', '{"checkpoint":{"seq":1}}'])) items.push(item);
    expect(items).toEqual([
      { entry: { seq: 1 }, line: 1 },
      { checkpoint: { seq: 1 }, line: 3 },
    ]);
    await expect(parseJsonlText('{"seq":1}\n{oops')).rejects.toMatchObject({
      code: 'audit_export_invalid',
      message: 'line 2 of the audit export is not JSON',
    });
  });
});
