import { useState, type FormEvent } from 'react';
import { api, can, type AuditEntry } from '../api.js';
import { Age, ErrorNote, Loading } from '../components/ui.js';
import { useData, useSession } from '../hooks.js';

const FIELDS = [
  { name: 'agent', label: 'Agent', placeholder: 'lead-router' },
  { name: 'person', label: 'Person', placeholder: 'maria' },
  { name: 'action', label: 'Action id', placeholder: 'act_…' },
  { name: 'type', label: 'Entry type', placeholder: 'approval.decided' },
] as const;

type Filters = Record<'agent' | 'person' | 'action' | 'type' | 'from' | 'to' | 'q', string>;
const EMPTY: Filters = { agent: '', person: '', action: '', type: '', from: '', to: '', q: '' };

const iso = (local: string) => (local ? new Date(local).toISOString() : undefined);

function Verify() {
  // Verifying reads the whole chain: on demand, not on every live event.
  const { data, error, reload, loading } = useData(api.verify, 'verify');
  if (!data) return error ? <ErrorNote error={error} what="the chain verification" /> : <Loading what="verification" />;
  return (
    <div className={`callout ${data.ok ? 'callout-ok' : 'callout-bad'}`} role="status" data-chain-ok={data.ok}>
      <strong>{data.ok ? 'Hash chain verified' : 'Hash chain verification FAILED'}</strong> —{' '}
      {data.entries.toLocaleString()} entries, {data.checkpoints} signed checkpoints.{' '}
      {data.last_checkpoint ? (
        <>
          Last signed checkpoint: entry {data.last_checkpoint.seq}, <Age at={data.last_checkpoint.at} />
          {data.last_checkpoint.key_id ? <> (key {data.last_checkpoint.key_id})</> : null}.
        </>
      ) : (
        'No signed checkpoint yet.'
      )}{' '}
      <button type="button" className="link" onClick={reload} disabled={loading}>
        {loading ? 'Verifying…' : 'Verify again'}
      </button>
      {data.problems.length > 0 ? (
        <ul>
          {data.problems.slice(0, 10).map((p, i) => (
            <li key={i}>
              <code>{JSON.stringify(p)}</code>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function AuditPage() {
  const { session } = useSession();
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [extra, setExtra] = useState<AuditEntry[]>([]);
  const [after, setAfter] = useState<string>();
  const params = {
    agent: filters.agent,
    person: filters.person,
    action: filters.action,
    type: filters.type,
    from: iso(filters.from),
    to: iso(filters.to),
    q: filters.q,
    order: 'desc',
    limit: 100,
  };
  const [nonce, setNonce] = useState(0);
  const { data, error } = useData(() => api.audit(params), `audit:${JSON.stringify(filters)}:${nonce}`);
  if (!can(session, 'audit.read'))
    return (
      <div>
        <h1>Audit</h1>
        <p className="callout">Reading the audit log needs the auditor or admin role.</p>
      </div>
    );
  const rows = [...(data?.results ?? []), ...extra];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setExtra([]);
    setAfter(undefined);
    setFilters(draft);
  };
  const more = async () => {
    const next = after ?? data?.paging?.next.before;
    if (!next) return;
    const page = await api.audit({ ...params, before: next });
    setExtra((x) => [...x, ...page.results]);
    setAfter(page.paging?.next.before ?? '');
  };
  const nextAfter = after === undefined ? data?.paging?.next.before : after;
  const exportHref = '/v1/audit/export?format=jsonl';
  return (
    <div>
      <div className="page-head">
        <h1>Audit log</h1>
        <p className="muted">Newest first. Every entry is hash-chained to the one before it.</p>
        <p>
          <a href={exportHref} download>
            Export the whole log (JSON lines)
          </a>
        </p>
      </div>
      <Verify />
      <form className="filters" onSubmit={submit} aria-label="Filter the audit log">
        {FIELDS.map((f) => (
          <label key={f.name}>
            {f.label}
            <input
              value={draft[f.name]}
              placeholder={f.placeholder}
              onChange={(e) => setDraft({ ...draft, [f.name]: e.target.value })}
            />
          </label>
        ))}
        <label>
          From
          <input
            type="datetime-local"
            value={draft.from}
            onChange={(e) => setDraft({ ...draft, from: e.target.value })}
          />
        </label>
        <label>
          To
          <input type="datetime-local" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
        </label>
        <label className="grow">
          Text
          <input
            type="search"
            value={draft.q}
            placeholder="words in the entry"
            onChange={(e) => setDraft({ ...draft, q: e.target.value })}
          />
        </label>
        <div className="buttons">
          <button type="submit" className="primary">
            Apply
          </button>
          <button
            type="button"
            onClick={() => {
              setExtra([]);
              setAfter(undefined);
              setNonce((n) => n + 1);
            }}
          >
            Refresh
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(EMPTY);
              setFilters(EMPTY);
              setExtra([]);
              setAfter(undefined);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      {error ? <ErrorNote error={error} what="audit entries" /> : null}
      {!data && !error ? <Loading what="audit entries" /> : null}
      {data ? (
        <table className="table audit">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">When</th>
              <th scope="col">Type</th>
              <th scope="col">Actor</th>
              <th scope="col">Subject</th>
              <th scope="col">Data</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((e) => (
              <tr key={e.seq}>
                <td>{e.seq}</td>
                <td>
                  <time dateTime={e.at}>{new Date(e.at).toLocaleString()}</time>
                </td>
                <td>
                  <code>{e.type}</code>
                </td>
                <td>{e.actor}</td>
                <td>{e.subject ?? '—'}</td>
                <td className="clip" title={JSON.stringify(e.data)}>
                  <code className="json">{JSON.stringify(e.data)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {data && rows.length === 0 ? <p className="muted">No entries match.</p> : null}
      {nextAfter ? (
        <button type="button" onClick={() => void more()}>
          Load more
        </button>
      ) : null}
    </div>
  );
}
