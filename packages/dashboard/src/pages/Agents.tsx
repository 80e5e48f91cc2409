import { useState } from 'react';
import { ApiError, api, can, errorText, type ActionView, type Agent, type AgentDetail } from '../api.js';
import { Age, Badge, Dialog, ErrorNote, KeyValue, Loading, pct } from '../components/ui.js';
import { href, useData, useSession } from '../hooks.js';
import { ShadowSection } from './AgentShadow.js';

const MODES = ['observe', 'gated', 'autonomous', 'paused'] as const;

/** `GET /v1/agents/:id`; an older server gets the list entry plus its recent actions. */
async function loadAgent(id: string): Promise<AgentDetail> {
  try {
    return await api.agent(id);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404 || e.code === 'agent_not_found') throw e;
  }
  const [agents, actions] = await Promise.all([api.agents(), api.actions({ agent: id, limit: 50 })]);
  const agent = agents.results.find((a) => a.id === id);
  if (!agent) throw new ApiError(404, 'agent_not_found', `no agent ${id}`);
  return { ...agent, recent_actions: actions.results, stats: undefined as unknown as AgentDetail['stats'] };
}

export function AgentsPage({ id }: { id: string | undefined }) {
  return id ? <AgentView id={id} /> : <AgentList />;
}

function AgentList() {
  const { data, error } = useData(api.agents, 'agents', true);
  if (!data) return error ? <ErrorNote error={error} what="agents" /> : <Loading what="agents" />;
  return (
    <div>
      <div className="page-head">
        <h1>Agents</h1>
      </div>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">Mode</th>
            <th scope="col">Owner</th>
            <th scope="col">Grants</th>
            <th scope="col">Mode set</th>
          </tr>
        </thead>
        <tbody>
          {data.results.map((a) => (
            <tr key={a.id}>
              <th scope="row">
                <a href={href('agents', a.id)}>{a.id}</a>
                {a.description ? <div className="muted small">{a.description}</div> : null}
              </th>
              <td>
                <Badge value={a.mode} />
                {a.mode !== a.configured_mode ? (
                  <span className="muted small"> configured {a.configured_mode}</span>
                ) : null}
              </td>
              <td>{a.owner}</td>
              <td>{a.grants.map((g) => `${g.connector}: ${g.objects.join(', ')}`).join('; ')}</td>
              <td>
                {a.mode_set_by ? (
                  <>
                    by {a.mode_set_by} <Age at={a.mode_set_at} />
                  </>
                ) : (
                  <span className="muted">config</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function GrantsTable({ agent }: { agent: Agent }) {
  return (
    <table className="table">
      <caption className="sr-only">Grants of {agent.id}</caption>
      <thead>
        <tr>
          <th scope="col">Connector</th>
          <th scope="col">Objects</th>
          <th scope="col">Operations</th>
          <th scope="col">Reads fields</th>
          <th scope="col">Writes fields</th>
          <th scope="col">Only records where</th>
          <th scope="col">PII</th>
        </tr>
      </thead>
      <tbody>
        {agent.grants.map((g, i) => (
          <tr key={i}>
            <td>{g.connector}</td>
            <td>{g.objects.join(', ')}</td>
            <td>{g.operations.join(', ')}</td>
            <td>{g.read_fields ? g.read_fields.join(', ') : <span className="muted">all</span>}</td>
            <td>{g.write_fields.length ? g.write_fields.join(', ') : <span className="muted">none</span>}</td>
            <td>{g.where ? <code>{g.where}</code> : <span className="muted">all records</span>}</td>
            <td>
              {g.pii === null || g.pii === undefined ? (
                <span className="muted">—</span>
              ) : typeof g.pii === 'string' ? (
                g.pii
              ) : (
                JSON.stringify(g.pii)
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ActionsTable({ actions }: { actions: ActionView[] }) {
  if (actions.length === 0) return <p className="muted">No actions yet.</p>;
  return (
    <table className="table">
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Operation</th>
          <th scope="col">Outcome</th>
          <th scope="col">Reason</th>
          <th scope="col">Records</th>
        </tr>
      </thead>
      <tbody>
        {actions.map((a) => (
          <tr key={a.id}>
            <td>
              <Age at={a.created_at} />
            </td>
            <td>
              {a.object}.{a.operation}
              {a.approval ? (
                <>
                  {' '}
                  <a href={href('approvals', a.approval.id)} className="small">
                    approval
                  </a>
                </>
              ) : null}
            </td>
            <td>
              <Badge value={a.status} />
              {a.error ? <div className="muted small">{a.error.code}</div> : null}
            </td>
            <td className="clip">{a.reason}</td>
            <td>{a.changeset?.summary.records ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AgentView({ id }: { id: string }) {
  const { session } = useSession();
  const { data, error, reload } = useData(() => loadAgent(id), `agent:${id}`, true);
  const [target, setTarget] = useState<string>();
  const [comment, setComment] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  if (!data) return error ? <ErrorNote error={error} what={`agent ${id}`} /> : <Loading what="the agent" />;
  const admin = can(session, 'agents.mode');

  const confirm = async () => {
    if (!target) return;
    try {
      await api.setMode(id, target, comment.trim());
      setMessage({ ok: true, text: `Mode set to ${target}.` });
      setTarget(undefined);
      setComment('');
      reload();
    } catch (e) {
      setMessage({ ok: false, text: errorText(e) });
      setTarget(undefined);
    }
  };

  return (
    <div>
      <div className="page-head">
        <p className="crumbs">
          <a href={href('agents')}>Agents</a> /
        </p>
        <h1>{data.id}</h1>
        {data.description ? <p>{data.description}</p> : null}
      </div>
      <div className="two-col">
        <section aria-labelledby="mode-h">
          <h2 id="mode-h">Mode</h2>
          <KeyValue
            entries={[
              ['Mode now', <Badge key="m" value={data.mode} />],
              ['Configured', data.configured_mode],
              [
                'Set by',
                data.mode_set_by ? (
                  <>
                    {data.mode_set_by} <Age at={data.mode_set_at} />
                  </>
                ) : (
                  'config'
                ),
              ],
              ['Owner', data.owner],
            ]}
          />
          {admin ? (
            <div className="mode-switch" role="group" aria-label="Change mode">
              {MODES.map((m) => (
                <button key={m} type="button" disabled={m === data.mode} onClick={() => setTarget(m)}>
                  {m === 'paused' ? 'Pause' : `Set ${m}`}
                </button>
              ))}
            </div>
          ) : (
            <p className="muted small">Only admins change an agent's mode.</p>
          )}
          {message ? (
            <p
              className={`callout ${message.ok ? 'callout-ok' : 'callout-bad'}`}
              role={message.ok ? 'status' : 'alert'}
            >
              {message.text}
            </p>
          ) : null}
        </section>
        <section aria-labelledby="stats-h">
          <h2 id="stats-h">Record</h2>
          {data.stats ? (
            <KeyValue
              entries={[
                ['Actions today', data.stats.today.total],
                ['Executed today', data.stats.today.executed],
                ['Actions, last 7 days', data.stats.last_7d.total],
                ['Approvals decided', data.stats.approvals_decided],
                [
                  'Override rate',
                  <span key="o" title="Share of decided approvals people rejected, revised or edited">
                    {pct(data.stats.override_rate)}
                  </span>,
                ],
              ]}
            />
          ) : (
            <p className="muted">Statistics need a newer server (GET /v1/agents/:id).</p>
          )}
        </section>
      </div>
      <ShadowSection
        agentId={data.id}
        admin={admin}
        grantOperations={data.grants.flatMap((g) =>
          g.operations.filter((o) => o !== 'read').flatMap((o) => g.objects.map((obj) => `${obj}.${o}`)),
        )}
        modeKey={`${data.mode}:${data.mode_set_at ?? ''}`}
        onChanged={reload}
      />
      <section aria-labelledby="grants-h">
        <h2 id="grants-h">Grants</h2>
        <GrantsTable agent={data} />
        {data.limits ? (
          <p className="muted small">
            Limits:{' '}
            {Object.entries(data.limits)
              .map(([k, v]) => `${k.replaceAll('_', ' ')} ${String(v)}`)
              .join(' · ')}
          </p>
        ) : null}
      </section>
      <section aria-labelledby="recent-h">
        <h2 id="recent-h">Recent actions</h2>
        <ActionsTable actions={data.recent_actions} />
      </section>
      <Dialog
        title={`Change ${data.id} to ${target ?? ''}`}
        open={target !== undefined}
        onClose={() => setTarget(undefined)}
      >
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void confirm();
          }}
        >
          <p>
            {data.id} goes from <strong>{data.mode}</strong> to <strong>{target}</strong> at once, on every instance.
          </p>
          <label htmlFor="mode-comment">Why (recorded in the audit log)</label>
          <textarea id="mode-comment" required rows={3} value={comment} onChange={(e) => setComment(e.target.value)} />
          <div className="buttons">
            <button type="submit" className="primary" disabled={!comment.trim()}>
              Confirm
            </button>
            <button type="button" onClick={() => setTarget(undefined)}>
              Cancel
            </button>
          </div>
        </form>
      </Dialog>
    </div>
  );
}
