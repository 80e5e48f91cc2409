import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  ApiError,
  api,
  can,
  errorText,
  type ApprovalDetail,
  type ApprovalSummary,
  type ChangeRecord,
  type Decision,
  type PreflightResult,
  type PreviewAnswer,
  type Value,
} from '../api.js';
import { Age, Badge, Dialog, ErrorNote, Loading } from '../components/ui.js';
import { href, navigate, useData, useSession } from '../hooks.js';

/** Records per page of the diff; the server pages with ?offset&limit. */
const PAGE = 25;

/** A rough risk score for sorting the inbox: quorum, escalation, operation kind, checklist. */
export function riskOf(a: ApprovalSummary): number {
  let r = 0;
  if (a.required > 1) r += 2;
  r += a.escalation_level;
  if (a.operation && /\.(launch|delete|send|enroll|merge)$/.test(a.operation)) r += 2;
  if (a.checklist.length > 0) r += 1;
  return r;
}
const riskLabel = (r: number) => (r >= 4 ? 'high' : r >= 2 ? 'medium' : 'low');

type SortBy = 'risk' | 'age';

function sortApprovals(list: ApprovalSummary[], by: SortBy): ApprovalSummary[] {
  const age = (a: ApprovalSummary) => new Date(a.created_at).getTime();
  return [...list].sort((a, b) =>
    by === 'risk' ? riskOf(b) - riskOf(a) || age(a) - age(b) : age(a) - age(b) || riskOf(b) - riskOf(a),
  );
}

const isTyping = (t: EventTarget | null) =>
  t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));

export function ApprovalsPage({ id }: { id: string | undefined }) {
  const list = useData(() => api.approvals('pending'), 'approvals', true);
  const [sortBy, setSortBy] = useState<SortBy>('risk');
  const [help, setHelp] = useState(false);
  const approveRef = useRef<(() => void) | null>(null);
  const sorted = useMemo(() => sortApprovals(list.data?.results ?? [], sortBy), [list.data, sortBy]);

  const move = useCallback(
    (delta: number) => {
      if (sorted.length === 0) return;
      const i = sorted.findIndex((a) => a.id === id);
      const next = sorted[i < 0 ? 0 : Math.min(sorted.length - 1, Math.max(0, i + delta))];
      if (next) navigate('approvals', next.id);
    },
    [sorted, id],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'Escape' && help) return setHelp(false);
      if (isTyping(e.target)) return;
      if (e.key === 'j') move(1);
      else if (e.key === 'k') move(-1);
      else if (e.key === 'a') approveRef.current?.();
      else if (e.key === 'r') document.getElementById('decision-comment')?.focus();
      else if (e.key === '?') setHelp((h) => !h);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [move, help]);

  return (
    <div className="approvals">
      <div className="page-head">
        <h1>Approvals</h1>
        <p className="muted">
          Press <kbd>?</kbd> for keyboard shortcuts.{' '}
          <button type="button" className="link" onClick={() => setHelp(true)}>
            Shortcuts
          </button>
        </p>
      </div>
      <div className="inbox">
        <section className="inbox-list" aria-labelledby="inbox-h">
          <div className="inbox-head">
            <h2 id="inbox-h">Pending ({sorted.length})</h2>
            <label>
              Sort by{' '}
              <select value={sortBy} onChange={(e) => setSortBy(e.target.value as SortBy)}>
                <option value="risk">risk, then age</option>
                <option value="age">age (oldest first)</option>
              </select>
            </label>
          </div>
          {list.error ? <ErrorNote error={list.error} what="approvals" /> : null}
          {!list.data && !list.error ? <Loading what="approvals" /> : null}
          {list.data && sorted.length === 0 ? <p className="muted">Nothing is waiting for a decision.</p> : null}
          <ol className="inbox-items">
            {sorted.map((a) => {
              const risk = riskLabel(riskOf(a));
              return (
                <li key={a.id}>
                  <a
                    href={href('approvals', a.id)}
                    aria-current={a.id === id ? 'true' : undefined}
                    data-approval={a.id}
                  >
                    <span className="row1">
                      <strong>{a.operation ?? a.action_id}</strong>
                      <span className={`risk risk-${risk}`}>{risk} risk</span>
                    </span>
                    <span className="row2">
                      {a.agent ?? 'unknown agent'} · <Age at={a.created_at} /> · {a.approvals}/{a.required} approvals
                    </span>
                    {a.reason ? <span className="row3">{a.reason}</span> : null}
                  </a>
                </li>
              );
            })}
          </ol>
        </section>
        <section className="inbox-detail" aria-label="Approval detail">
          {id ? (
            <ApprovalView
              key={id}
              id={id}
              approveRef={approveRef}
              onDecided={() => {
                list.reload();
              }}
            />
          ) : (
            <p className="muted placeholder">Select an approval (or press j) to see its change set.</p>
          )}
        </section>
      </div>
      <Dialog title="Keyboard shortcuts" open={help} onClose={() => setHelp(false)}>
        <table className="shortcuts">
          <caption className="sr-only">Approvals inbox shortcuts</caption>
          <tbody>
            {[
              ['j', 'Next approval'],
              ['k', 'Previous approval'],
              ['a', 'Approve (when every checklist item is ticked)'],
              ['r', 'Write a reason to reject or request revision'],
              ['?', 'Show or hide this help'],
              ['Esc', 'Close this help'],
            ].map(([k, d]) => (
              <tr key={k}>
                <th scope="row">
                  <kbd>{k}</kbd>
                </th>
                <td>{d}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <button type="button" onClick={() => setHelp(false)} autoFocus>
          Close
        </button>
      </Dialog>
    </div>
  );
}

type Edits = Record<string, Record<string, Value>>;

function changedFields(r: ChangeRecord): string[] {
  const keys = new Set([...Object.keys(r.after), ...Object.keys(r.before)]);
  return [...keys].filter((k) => k in r.after);
}

function show(v: Value | undefined) {
  return v === null || v === undefined ? (
    <span className="muted">(empty)</span>
  ) : v === '' ? (
    <span className="muted">""</span>
  ) : (
    v
  );
}

function DecisionSummary({ decision, title }: { decision: Decision; title: string }) {
  return (
    <div className="decision-summary">
      <h3>{title}</h3>
      <p>
        <Badge value={decision.effect} label={decision.effect.replaceAll('_', ' ')} />{' '}
        {decision.rules.length > 0 ? (
          <>
            rules: <strong>{decision.rules.join(', ')}</strong>
          </>
        ) : (
          <span className="muted">no policy rule matched</span>
        )}
      </p>
      {decision.reasons.length > 0 ? (
        <ul>
          {decision.reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function Preflight({ checks }: { checks: Record<string, PreflightResult> | undefined | null }) {
  const entries = Object.entries(checks ?? {});
  if (entries.length === 0) return <p className="muted">No pre-flight checks apply to this operation.</p>;
  return (
    <ul className="checks">
      {entries.map(([name, r]) => (
        <li key={name}>
          <Badge value={r.ok ? 'pass' : (r.severity ?? 'fail')} label={r.ok ? 'pass' : (r.severity ?? 'fail')} />{' '}
          <strong>{name}</strong>
          {r.summary ? <span> — {r.summary}</span> : null}
        </li>
      ))}
    </ul>
  );
}

function ApprovalView({
  id,
  approveRef,
  onDecided,
}: {
  id: string;
  approveRef: React.RefObject<(() => void) | null>;
  onDecided: () => void;
}) {
  const { session } = useSession();
  const [offset, setOffset] = useState(0);
  const { data, error, reload } = useData(() => api.approval(id, offset, PAGE), `${id}:${offset}`, true);
  const [ticked, setTicked] = useState<Record<string, boolean>>({});
  const [comment, setComment] = useState('');
  const [editing, setEditing] = useState(false);
  const [edits, setEdits] = useState<Edits>({});
  const [preview, setPreview] = useState<PreviewAnswer>();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string }>();
  const [confirmEdits, setConfirmEdits] = useState(false);

  const agents = useData(api.agents, 'agents-for-owner');
  const owner = agents.data?.results.find((a) => a.id === data?.action.agent)?.owner;
  const isOwner = owner !== undefined && owner === session?.person.id;
  const mayDecide =
    can(session, 'approvals.decide') && (!data || session!.person.roles.includes(data.role)) && !isOwner;
  const pending = data?.status === 'pending';
  const myVote = data?.votes.find((v) => v.person === session?.person.id);
  const allTicked = (data?.checklist ?? []).every((c) => ticked[c.id]);
  const canApprove = !!data && pending && mayDecide && !myVote && allTicked && !busy;
  const editCount = Object.values(edits).reduce((n, f) => n + Object.keys(f).length, 0);

  const decide = useCallback(
    async (decision: 'approve' | 'reject' | 'revise', withEdits?: Edits) => {
      if (!data) return;
      if (decision !== 'approve' && !comment.trim()) {
        setMessage({
          kind: 'error',
          text: decision === 'reject' ? 'Give a reason to reject.' : 'Say what should be revised.',
        });
        document.getElementById('decision-comment')?.focus();
        return;
      }
      setBusy(true);
      setMessage(undefined);
      try {
        const out = await api.decide(id, {
          decision,
          ...(comment.trim() ? { comment: comment.trim() } : {}),
          checklist: Object.fromEntries(data.checklist.map((c) => [c.id, !!ticked[c.id]])),
          ...(withEdits && Object.keys(withEdits).length > 0 ? { edits: withEdits } : {}),
        });
        const verb = decision === 'approve' ? 'Approved' : decision === 'reject' ? 'Rejected' : 'Revision requested';
        setMessage({
          kind: 'ok',
          text: `${verb}: ${out.approval.approvals}/${out.approval.required} approvals; the action is now ${out.action.status.replaceAll('_', ' ')}.`,
        });
        setEditing(false);
        setPreview(undefined);
        setConfirmEdits(false);
        reload();
        onDecided();
      } catch (e) {
        setMessage({ kind: 'error', text: errorText(e) });
      } finally {
        setBusy(false);
      }
    },
    [data, comment, id, ticked, reload, onDecided],
  );

  useEffect(() => {
    approveRef.current = canApprove && !editing ? () => void decide('approve') : null;
    return () => {
      approveRef.current = null;
    };
  }, [approveRef, canApprove, editing, decide]);

  const runPreview = async () => {
    setBusy(true);
    setMessage(undefined);
    try {
      setPreview(await api.preview(id, edits));
      setConfirmEdits(true);
    } catch (e) {
      setMessage({
        kind: 'error',
        text:
          e instanceof ApiError && e.status === 404 && e.code !== 'approval_not_found'
            ? 'This server cannot preview edits yet (no POST /v1/approvals/:id/preview).'
            : errorText(e),
      });
    } finally {
      setBusy(false);
    }
  };

  if (!data) return error ? <ErrorNote error={error} what={`approval ${id}`} /> : <Loading what="the approval" />;
  const action = data.action;
  const cs = action.changeset;
  const pages = Math.max(1, Math.ceil(data.records_total / PAGE));
  const page = Math.floor(offset / PAGE) + 1;

  return (
    <article className="approval" aria-labelledby="approval-title" data-approval-status={data.status}>
      <header className="approval-head">
        <h2 id="approval-title">
          {action.object}.{action.operation} by <a href={href('agents', action.agent)}>{action.agent}</a>
        </h2>
        <p>
          <Badge value={data.status} />{' '}
          <Badge value={action.status} label={`action ${action.status.replaceAll('_', ' ')}`} />{' '}
          <span className="muted">
            requested <Age at={data.created_at} /> · expires <Age at={data.expires_at} /> · needs role {data.role}
            {data.escalation_level > 0 ? ` · escalated ${data.escalation_level}×` : ''}
          </span>
        </p>
      </header>

      <section aria-labelledby="reason-h">
        <h3 id="reason-h">Agent's reason</h3>
        <blockquote className="reason">{action.reason}</blockquote>
      </section>

      <div className="two-col">
        <section aria-labelledby="rules-h">
          <h3 id="rules-h">Why it needs approval</h3>
          <DecisionSummary decision={action.decision} title="" />
        </section>
        <section aria-labelledby="quorum-h">
          <h3 id="quorum-h">Quorum</h3>
          <progress max={data.required} value={Math.min(data.approvals, data.required)} aria-label="Approvals so far" />
          <p>
            <strong>
              {data.approvals} of {data.required}
            </strong>{' '}
            approval{data.required === 1 ? '' : 's'}
          </p>
          {data.votes.length === 0 ? (
            <p className="muted">No votes yet.</p>
          ) : (
            <ul className="votes">
              {data.votes.map((v) => (
                <li key={`${v.person}:${v.at}`}>
                  <strong>{v.person}</strong>{' '}
                  <Badge
                    value={
                      v.decision === 'approve'
                        ? 'approved'
                        : v.decision === 'reject'
                          ? 'rejected'
                          : 'revision_requested'
                    }
                    label={v.decision}
                  />
                  {v.edited ? ' (with edits)' : ''} <Age at={v.at} />
                  {v.comment ? <span className="muted"> — {v.comment}</span> : null}
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>

      <section aria-labelledby="preflight-h">
        <h3 id="preflight-h">Pre-flight checks</h3>
        <Preflight checks={action.decision.checks} />
      </section>

      <section aria-labelledby="diff-h">
        <h3 id="diff-h">Change set</h3>
        <ul className="summary-counts" aria-label="Change set summary">
          <li>
            <strong>{cs.summary.records}</strong> records
          </li>
          <li>
            <strong>{cs.summary.fields}</strong> fields
          </li>
          <li className={cs.summary.irreversible > 0 ? 'irreversible' : ''}>
            <strong>{cs.summary.irreversible}</strong> irreversible
          </li>
          {cs.summary.noop ? (
            <li>
              <strong>{cs.summary.noop}</strong> unchanged
            </li>
          ) : null}
          {cs.summary.missing ? (
            <li>
              <strong>{cs.summary.missing}</strong> missing
            </li>
          ) : null}
        </ul>
        {cs.summary.irreversible > 0 ? (
          <p className="callout callout-bad" role="note">
            <strong>
              {cs.summary.irreversible} irreversible change{cs.summary.irreversible === 1 ? '' : 's'}.
            </strong>{' '}
            These cannot be rolled back by Gatehouse if a breaker trips; they are marked below.
          </p>
        ) : null}
        {action.target !== undefined ? (
          <p>
            Target: <code>{action.target}</code>
          </p>
        ) : null}
        {cs.records.length > 0 ? (
          <>
            <table className="diff" aria-describedby="diff-h">
              <thead>
                <tr>
                  <th scope="col">Record</th>
                  <th scope="col">Field</th>
                  <th scope="col">Before</th>
                  <th scope="col">After</th>
                </tr>
              </thead>
              <tbody>
                {cs.records.map((r) => {
                  const fields = changedFields(r);
                  return fields.map((f, i) => {
                    const edited = edits[r.id]?.[f];
                    return (
                      <tr
                        key={`${r.id}:${f}`}
                        className={r.reversibility === 'irreversible' ? 'row-irreversible' : r.noop ? 'row-noop' : ''}
                      >
                        {i === 0 ? (
                          <th scope="rowgroup" rowSpan={fields.length}>
                            <code>{r.id}</code>
                            {r.object ? <span className="muted"> {r.object}</span> : null}
                            <br />
                            {r.reversibility !== 'reversible' ? <Badge value={r.reversibility} /> : null}
                            {r.noop ? <Badge value="void" label="no change" /> : null}
                          </th>
                        ) : null}
                        <td>
                          <code>{f}</code>
                        </td>
                        <td className="before">{show(r.before[f])}</td>
                        <td className="after">
                          {editing ? (
                            <input
                              aria-label={`New value of ${f} for ${r.id}`}
                              value={edited ?? r.after[f] ?? ''}
                              onChange={(e) => {
                                const v = e.target.value;
                                setPreview(undefined);
                                setConfirmEdits(false);
                                setEdits((prev) => {
                                  const rec = { ...(prev[r.id] ?? {}) };
                                  if (v === (r.after[f] ?? '')) delete rec[f];
                                  else rec[f] = v;
                                  const next = { ...prev, [r.id]: rec };
                                  if (Object.keys(rec).length === 0) delete next[r.id];
                                  return next;
                                });
                              }}
                            />
                          ) : (
                            show(r.after[f])
                          )}
                        </td>
                      </tr>
                    );
                  });
                })}
              </tbody>
            </table>
            {pages > 1 ? (
              <nav className="pager" aria-label="Change set pages">
                <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
                  Previous
                </button>
                <span>
                  Records {offset + 1}–{Math.min(offset + PAGE, data.records_total)} of {data.records_total} (page{' '}
                  {page} of {pages})
                </span>
                <button type="button" disabled={page >= pages} onClick={() => setOffset(offset + PAGE)}>
                  Next
                </button>
              </nav>
            ) : null}
          </>
        ) : action.target === undefined ? (
          <p className="muted">No record changes.</p>
        ) : null}
      </section>

      <section aria-labelledby="checklist-h">
        <h3 id="checklist-h">Checklist</h3>
        {data.checklist.length === 0 ? (
          <p className="muted">The policy asks for no checklist.</p>
        ) : (
          <fieldset className="checklist" disabled={!pending || !mayDecide}>
            <legend className="sr-only">Confirm each item before approving</legend>
            {data.checklist.map((c) => (
              <label key={c.id}>
                <input
                  type="checkbox"
                  name={`check-${c.id}`}
                  checked={!!ticked[c.id]}
                  onChange={(e) => setTicked((t) => ({ ...t, [c.id]: e.target.checked }))}
                />{' '}
                {c.description} <span className="muted">({c.id})</span>
              </label>
            ))}
          </fieldset>
        )}
      </section>

      {message ? (
        <p
          className={`callout ${message.kind === 'ok' ? 'callout-ok' : 'callout-bad'}`}
          role={message.kind === 'ok' ? 'status' : 'alert'}
        >
          {message.text}
        </p>
      ) : null}

      {pending && mayDecide && !myVote ? (
        <section className="decide" aria-labelledby="decide-h">
          <h3 id="decide-h">Your decision</h3>
          <label htmlFor="decision-comment">
            Comment (required to reject or request revision; goes to the agent and the audit log)
          </label>
          <textarea id="decision-comment" rows={2} value={comment} onChange={(e) => setComment(e.target.value)} />
          {!allTicked ? (
            <p className="muted" id="approve-hint">
              Tick every checklist item to approve.
            </p>
          ) : null}
          <div className="buttons">
            <button
              type="button"
              className="primary"
              disabled={!canApprove || editing}
              aria-describedby={!allTicked ? 'approve-hint' : undefined}
              onClick={() => void decide('approve')}
            >
              Approve
            </button>
            <button type="button" className="danger" disabled={busy} onClick={() => void decide('reject')}>
              Reject
            </button>
            <button type="button" disabled={busy} onClick={() => void decide('revise')}>
              Request revision
            </button>
            {cs.records.length > 0 ? (
              <button
                type="button"
                aria-pressed={editing}
                disabled={busy}
                onClick={() => {
                  setEditing(!editing);
                  setEdits({});
                  setPreview(undefined);
                  setConfirmEdits(false);
                }}
              >
                {editing ? 'Cancel edits' : 'Approve with edits…'}
              </button>
            ) : null}
          </div>
          {editing ? (
            <div className="edit-panel">
              <p>
                Edit the after-values in the table above ({editCount} edited). Edits are re-planned and re-judged by the
                server before they count.
              </p>
              <button type="button" disabled={busy || editCount === 0} onClick={() => void runPreview()}>
                Preview re-judged decision
              </button>
            </div>
          ) : null}
        </section>
      ) : pending && isOwner ? (
        <p className="callout" role="note">
          You own <strong>{action.agent}</strong>: an agent's owner never decides its approvals (separation of duties).
        </p>
      ) : pending && !mayDecide ? (
        <p className="callout" role="note">
          You can read this approval; deciding it needs the <strong>{data.role}</strong> role.
        </p>
      ) : myVote && pending ? (
        <p className="callout" role="note">
          You voted <strong>{myVote.decision}</strong>; waiting for {data.required - data.approvals} more.
        </p>
      ) : null}

      <Dialog title="Approve with edits" open={confirmEdits && !!preview} onClose={() => setConfirmEdits(false)}>
        {preview ? (
          <div>
            <DecisionSummary decision={preview.decision} title="Re-judged decision" />
            <p>
              {preview.changeset.summary.records} records, {preview.changeset.summary.fields} fields,{' '}
              {preview.changeset.summary.irreversible} irreversible.
            </p>
            <Preflight checks={preview.preflight ?? preview.decision.checks} />
            {preview.decision.effect === 'deny' ? (
              <p className="callout callout-bad">The edited change set is denied by policy; it cannot be approved.</p>
            ) : null}
            <div className="buttons">
              <button
                type="button"
                className="primary"
                disabled={busy || preview.decision.effect === 'deny' || !allTicked}
                onClick={() => void decide('approve', edits)}
              >
                Confirm approve with edits
              </button>
              <button type="button" onClick={() => setConfirmEdits(false)}>
                Back
              </button>
            </div>
            {!allTicked ? <p className="muted">Tick every checklist item first.</p> : null}
          </div>
        ) : null}
      </Dialog>
    </article>
  );
}

export type { ApprovalDetail };
