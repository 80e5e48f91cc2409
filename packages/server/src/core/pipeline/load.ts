/** Reading actions back: the change set is rebuilt from storage exactly as it was planned. */
import type { PlannedRecordChange, PropertyValue } from '../ports/connector.js';
import type { Repos } from '../ports/storage.js';
import type { ChangeSet, ChangeSetSummary } from './changeset.js';

interface StoredSummary extends ChangeSetSummary {
  object: string;
  operation: string;
  target: string | null;
  missing_ids?: string[];
}

/** Loads the action's current change set; `limit` bounds the records read (views of huge sets). */
export async function loadChangeSet(
  repos: Pick<Repos, 'changesets'>,
  changesetId: string,
  limit = Number.MAX_SAFE_INTEGER,
): Promise<(ChangeSet & { id: string; truncated: boolean }) | undefined> {
  const header = await repos.changesets.get(changesetId);
  if (!header) return undefined;
  const s = header.summary as StoredSummary;
  const records: PlannedRecordChange[] = [];
  const page = 2000;
  for (let offset = 0; offset < Math.min(header.recordCount, limit); offset += page) {
    const rows = await repos.changesets.listRecords(changesetId, { offset, limit: Math.min(page, limit - offset) });
    for (const r of rows) {
      records.push({
        object: r.object,
        id: r.recordId,
        before: (r.before ?? {}) as Record<string, PropertyValue>,
        after: (r.after ?? {}) as Record<string, PropertyValue>,
        fingerprint: r.fingerprint ?? '',
        reversibility: r.reversibility,
        noop: r.noop,
      });
    }
    if (rows.length < page) break;
  }
  return {
    id: header.id,
    hash: header.hash,
    object: s.object,
    operation: s.operation,
    ...(s.target !== null && s.target !== undefined ? { target: s.target } : {}),
    summary: {
      records: s.records,
      fields: s.fields,
      irreversible: s.irreversible,
      compensatable: s.compensatable,
      noop: s.noop,
      missing: s.missing,
      ...(s.data_source !== undefined ? { data_source: s.data_source } : {}),
    },
    records,
    missing: s.missing_ids ?? [],
    truncated: records.length < header.recordCount,
  };
}

export async function loadAction(repos: Pick<Repos, 'actions' | 'changesets'>, id: string, recordLimit?: number) {
  const action = await repos.actions.get(id);
  if (!action) return undefined;
  const changeset = action.changesetId ? await loadChangeSet(repos, action.changesetId, recordLimit) : undefined;
  return { action, changeset };
}
