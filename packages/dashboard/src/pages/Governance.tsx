import { ApiError, api, builtInPermissions, type Governance } from '../api.js';
import { Badge, ErrorNote, Loading } from '../components/ui.js';
import { href, useData } from '../hooks.js';
import { GrantsTable } from './Agents.js';

/** `GET /v1/governance`; an older server gets the agents' grants only. */
async function loadGovernance(): Promise<Governance | { partial: true; agents: Governance['agents'] }> {
  try {
    return await api.governance();
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404) throw e;
  }
  return { partial: true, agents: (await api.agents()).results };
}

const dur = (v: string | number) =>
  typeof v === 'number' ? (v % 3_600_000 === 0 ? `${v / 3_600_000}h` : `${Math.round(v / 60_000)} min`) : v;

/** `{ role: admin }` → `role admin`; anything else as compact JSON. */
function notifyText(n: unknown): string {
  const list = Array.isArray(n) ? n : [n];
  return list
    .map((x) =>
      x && typeof x === 'object'
        ? Object.entries(x as Record<string, unknown>)
            .map(([k, v]) => `${k} ${String(v)}`)
            .join(', ')
        : String(x),
    )
    .join('; ');
}

export function GovernancePage() {
  const { data, error } = useData(loadGovernance, 'governance');
  if (!data) return error ? <ErrorNote error={error} what="governance" /> : <Loading what="governance" />;
  const full = 'partial' in data ? undefined : data;
  return (
    <div className="governance">
      <div className="page-head">
        <h1>Governance</h1>
        <p className="muted">Read from the running config. Change it in gatehouse.yaml and reload the server.</p>
      </div>
      {full ? (
        <>
          <section aria-labelledby="people-h">
            <h2 id="people-h">People and roles</h2>
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Person</th>
                  <th scope="col">Email</th>
                  <th scope="col">Roles</th>
                </tr>
              </thead>
              <tbody>
                {full.people.map((p) => (
                  <tr key={p.id}>
                    <th scope="row">
                      {p.name} <span className="muted">({p.id})</span>
                    </th>
                    <td>{p.email ?? '—'}</td>
                    <td>{p.roles.join(', ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <table className="table">
              <caption>What each role may do</caption>
              <thead>
                <tr>
                  <th scope="col">Role</th>
                  <th scope="col">Description</th>
                  <th scope="col">People</th>
                  <th scope="col">Permissions</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(full.roles).map(([id, r]) => (
                  <tr key={id}>
                    <th scope="row">{id}</th>
                    <td>{r.description ?? '—'}</td>
                    <td>{r.people?.length ? r.people.join(', ') : <span className="muted">nobody</span>}</td>
                    <td>
                      {[...new Set([...(r.built_in ? builtInPermissions(id) : []), ...r.permissions])].join(', ') || (
                        <span className="muted">none</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </>
      ) : (
        <p className="callout">This server has no GET /v1/governance yet; only the data-access registry is shown.</p>
      )}
      <section aria-labelledby="registry-h">
        <h2 id="registry-h">Data-access registry</h2>
        <p className="muted">Which agent may read and write which objects and fields, and how PII reaches it.</p>
        {data.agents.map((a) => (
          <div key={a.id} className="registry-agent">
            <h3>
              <a href={href('agents', a.id)}>{a.id}</a> <Badge value={a.mode} />
            </h3>
            <GrantsTable agent={a} />
          </div>
        ))}
      </section>
      {full ? (
        <>
          <section aria-labelledby="policies-h">
            <h2 id="policies-h">Policies</h2>
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Policy</th>
                  <th scope="col">When (CEL)</th>
                  <th scope="col">Effect</th>
                  <th scope="col">Approvers</th>
                  <th scope="col">Checklist</th>
                </tr>
              </thead>
              <tbody>
                {full.policies.map((p) => (
                  <tr key={p.id}>
                    <th scope="row">
                      {p.id}
                      {p.reason ? <div className="muted small">{p.reason}</div> : null}
                    </th>
                    <td>
                      <code>{p.when}</code>
                    </td>
                    <td>
                      <Badge value={p.effect} />
                    </td>
                    <td>{p.approvers ? `${p.approvers.count} × ${p.approvers.role}` : '—'}</td>
                    <td>{p.checklist?.length ? p.checklist.join(', ') : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <div className="two-col">
            <section aria-labelledby="checklists-h">
              <h2 id="checklists-h">Checklists</h2>
              <dl className="kv">
                {Object.entries(full.checklists).map(([id, text]) => (
                  <div key={id}>
                    <dt>{id}</dt>
                    <dd>{text}</dd>
                  </div>
                ))}
              </dl>
            </section>
            <section aria-labelledby="esc-h">
              <h2 id="esc-h">Escalation ladder</h2>
              <p>Approvals expire after {dur(full.approvals.expire_after)} (an expired approval is a rejection).</p>
              <ol>
                {full.approvals.escalation.map((s, i) => (
                  <li key={i}>
                    After {dur(s.after ?? s.after_ms ?? 0)}: notify {notifyText(s.notify)}
                  </li>
                ))}
              </ol>
              <h2>Notifications</h2>
              <ul>
                {full.notifications.map((n, i) => (
                  <li key={i}>
                    {n.type} → {n.target}
                  </li>
                ))}
              </ul>
            </section>
          </div>
        </>
      ) : null}
    </div>
  );
}
