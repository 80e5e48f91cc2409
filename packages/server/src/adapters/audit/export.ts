/**
 * The audit export format (JSON Lines, see docs/audit-log-format.md): one entry per line, as its
 * RFC 8785 canonical JSON, in seq order; each checkpoint as `{"checkpoint":{…}}` on the line after
 * the entry it covers (checkpoints of the empty log first). An export can be verified with
 * nothing but the public key.
 */
import { canonicalJson } from '../../core/audit/canonical.js';
import type { AuditCheckpoint, AuditEntry } from '../../core/audit/types.js';
import { GatehouseError } from '../../core/errors.js';

/** Writes the export; each line passed to `write` ends with "\n". Answers what was written. */
export async function exportJsonl(
  entries: AsyncIterable<AuditEntry> | Iterable<AuditEntry>,
  write: (line: string) => void | Promise<void>,
  options: { checkpoints?: readonly AuditCheckpoint[] } = {},
): Promise<{ entries: number; checkpoints: number }> {
  const pending = [...(options.checkpoints ?? [])].sort((a, b) => a.seq - b.seq);
  let count = 0;
  let written = 0;
  const flushUpTo = async (seq: number) => {
    while (pending.length > 0 && (pending[0]?.lastEntrySeq ?? 0) <= seq) {
      await write(`${canonicalJson({ checkpoint: checkpointFields(pending.shift() as AuditCheckpoint) })}\n`);
      written += 1;
    }
  };
  await flushUpTo(0);
  for await (const entry of entries) {
    await flushUpTo(entry.seq - 1);
    await write(`${canonicalJson(entryFields(entry))}\n`);
    count += 1;
    await flushUpTo(entry.seq);
  }
  await flushUpTo(Infinity);
  return { entries: count, checkpoints: written };
}

export type AuditJsonlItem = { entry: AuditEntry; line: number } | { checkpoint: AuditCheckpoint; line: number };

/**
 * Reads an export line by line (blank lines skipped). Rows are passed through as they are, even
 * malformed ones: judging them is `verifyAudit`'s job. Only a line that is not JSON at all throws.
 */
export async function* readJsonl(lines: AsyncIterable<string> | Iterable<string>): AsyncGenerator<AuditJsonlItem> {
  let line = 0;
  for await (const text of lines) {
    line += 1;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (cause) {
      throw new GatehouseError('audit_export_invalid', `line ${line} of the audit export is not JSON`, {
        details: { line },
        cause,
      });
    }
    if (typeof value === 'object' && value !== null && 'checkpoint' in value && Object.keys(value).length === 1) {
      yield { checkpoint: (value as { checkpoint: AuditCheckpoint }).checkpoint, line };
    } else {
      yield { entry: value as AuditEntry, line };
    }
  }
}

/** Reads a whole (small) export held in memory; large files should stream readJsonl twice. */
export async function parseJsonlText(text: string): Promise<{ entries: AuditEntry[]; checkpoints: AuditCheckpoint[] }> {
  const entries: AuditEntry[] = [];
  const checkpoints: AuditCheckpoint[] = [];
  for await (const item of readJsonl(text.split('\n'))) {
    if ('checkpoint' in item) checkpoints.push(item.checkpoint);
    else entries.push(item.entry);
  }
  return { entries, checkpoints };
}

/** Only the format's fields: database columns beyond them are not part of the log. */
function entryFields(e: AuditEntry): AuditEntry {
  const { seq, at, type, actor, subject, data, prevHash, hash } = e;
  return { seq, at, type, actor, subject, data, prevHash, hash };
}

function checkpointFields(c: AuditCheckpoint): AuditCheckpoint {
  const { seq, at, lastEntrySeq, headHash, prevCheckpointHash, keyId, signature, hash } = c;
  return { seq, at, lastEntrySeq, headHash, prevCheckpointHash, keyId, signature, hash };
}
