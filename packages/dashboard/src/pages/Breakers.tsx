import { useState } from 'react';
import { ApiError, api, can, errorText, type Breaker, type BreakerDetail, type Incident } from '../api.js';
import { MetricChart } from '../components/charts.js';
import { Age, Badge, Dialog, ErrorNote, JsonValue, KeyValue, Loading, pct } from '../components/ui.js';
import { href, useData, useSession } from '../hooks.js';

/** `GET /v1/breakers/:id`; an older server gets the list entry and its incidents (no chart). */
async function loadBreaker(id: string): Promise<BreakerDetail> {
  try {
    return await api.breaker(id);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404 || e.code === 'breaker_not_found') throw e;
  }
  const [list, incidents] = await Promise.all([api.breakers(), api.incidents(id)]);
  const b = list.results.find((x) => x.id === id);
  if (!b) throw new ApiError(404, 'breaker_not_found', `no breaker ${id}`);
  return { ...b, series: [], tripped_at: null, trip_point: null, incidents: incidents.results };
}

export function BreakersPage({ id }: { id: string | undefined }) {
  return id ? <BreakerView id={id} /> : <BreakerList />;
}

const tripText = (t: Record<string, unknown>) =>
  Object.entries(t)
    .map(([k, v]) => `${k.replaceAll('_', ' ')} ${String(v)}`)
    .join(', ');

function BreakerList() {
  const { data, error } = useData(api.breakers, 'breakers', true);
  if (!data) return error ? <ErrorNote error={error} what="breakers" /> : <Loading what="breakers" />;
  return (
    <div>
      <div className="page-head">
        <h1>Breakers &amp; incidents</h1>
      </div>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Breaker</th>
            <th scope="col">State</th>
            <th scope="col">Metric</th>
            <th scope="col">Trips when</th>
            <th scope="col">Scopes</th>
          </tr>
        </thead>
        <tbody>
          {data.results.map((b: Breaker) => (
            <tr key={b.id} data-breaker={b.id} data-state={b.state}>
              <th scope="row">
                <a href={href('breakers', b.id)}>{b.id}</a>
              </th>
              <td>
                <Badge value={b.state} /> <Age at={b.since} />
              </td>
              <td>
                <code>{b.metric}</code>
                {b.baseline ? <span className="muted small"> vs {b.baseline}</span> : null}
              </td>
              <td>{tripText(b.trip_when)}</td>
              <td>
                {b.scopes.map((s) => (
                  <div key={s.scope}>
                    {s.scope}: <Badge value={s.state} />
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RollbackView({ rb }: { rb: Incident['rollback'] }) {
  if (!rb) return <p className="muted">No rollback for this incident.</p>;
  const n = (k: string) => {
    const v = rb[k];
    return typeof v === 'number' ? v : Array.isArray(v) ? v.length : 0;
  };
  return (
    <ul className="summary-counts" aria-label="Rollback results">
      <li className="ok">
        <strong>{n('restored')}</strong> restored
      </li>
      <li className={n('conflicts') > 0 ? 'warn' : ''}>
        <strong>{n('conflicts')}</strong> conflicts
      </li>
      <li className={n('irreversible') > 0 ? 'irreversible' : ''}>
        <strong>{n('irreversible')}</strong> irreversible
      </li>
    </ul>
  );
}

function BreakerView({ id }: { id: string }) {
  const { session } = useSession();
  const { data, error, reload } = useData(() => loadBreaker(id), `breaker:${id}`, true);
  const [scope, setScope] = useState<string>();
  const [comment, setComment] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  if (!data) return error ? <ErrorNote error={error} what={`breaker ${id}`} /> : <Loading what="the breaker" />;
  const responder = can(session, 'breakers.reset');
  const ratio = /ctr|rate|ratio/.test(data.metric);

  const reset = async () => {
    if (!scope) return;
    try {
      await api.resetBreaker(id, comment.trim(), scope);
      setMessage({ ok: true, text: `Reset ${scope}.` });
      setComment('');
      reload();
    } catch (e) {
      setMessage({ ok: false, text: errorText(e) });
    }
    setScope(undefined);
  };

  return (
    <div>
      <div className="page-head">
        <p className="crumbs">
          <a href={href('breakers')}>Breakers</a> /
        </p>
        <h1>
          {data.id} <Badge value={data.state} />
        </h1>
        <p className="muted">
          <code>{data.metric}</code> {data.baseline ? `vs ${data.baseline}` : ''} · trips when{' '}
          {tripText(data.trip_when)}
        </p>
      </div>
      {message ? (
        <p className={`callout ${message.ok ? 'callout-ok' : 'callout-bad'}`} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      ) : null}
      <section aria-labelledby="scopes-h">
        <h2 id="scopes-h">Scopes</h2>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Scope</th>
              <th scope="col">State</th>
              <th scope="col">Last evaluation</th>
              <th scope="col">Changed by</th>
              {responder ? <th scope="col">Action</th> : null}
            </tr>
          </thead>
          <tbody>
            {data.scopes.map((s) => (
              <tr key={s.scope} data-scope={s.scope} data-state={s.state}>
                <th scope="row">{s.scope}</th>
                <td>
                  <Badge value={s.state} /> <Age at={s.since} />
                </td>
                <td>
                  {s.last_evaluation ? (
                    <>
                      {s.last_evaluation.outcome ? <Badge value={s.last_evaluation.outcome} /> : null}{' '}
                      {s.last_evaluation.reason}
                    </>
                  ) : (
                    <span className="muted">not evaluated yet</span>
                  )}
                </td>
                <td>{s.updated_by ?? <span className="muted">—</span>}</td>
                {responder ? (
                  <td>
                    {s.state === 'open' || s.state === 'half_open' ? (
                      <button type="button" onClick={() => setScope(s.scope)}>
                        Reset…
                      </button>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
        {!responder ? <p className="muted small">Only responders reset a tripped breaker.</p> : null}
      </section>
      <section aria-labelledby="chart-h">
        <h2 id="chart-h">Metric against baseline (7 days)</h2>
        {data.series.length > 0 ? (
          <MetricChart
            series={data.series}
            tripPoint={data.trip_point}
            label={`${data.metric} and its baseline over 7 days${data.trip_point ? `, tripped at ${data.trip_point.at}` : ''}`}
            format={ratio ? (v) => pct(v) : (v) => v.toPrecision(3)}
          />
        ) : (
          <p className="muted">No samples for this metric yet.</p>
        )}
        {data.trip_point ? (
          <p>
            Tripped <Age at={data.trip_point.at} />: {ratio ? pct(data.trip_point.value) : data.trip_point.value} vs
            baseline {ratio ? pct(data.trip_point.baseline) : data.trip_point.baseline}.
          </p>
        ) : null}
      </section>
      <section aria-labelledby="inc-h">
        <h2 id="inc-h">Incidents</h2>
        {data.incidents.length === 0 ? <p className="muted">No incidents.</p> : null}
        {data.incidents.map((inc) => (
          <article key={inc.id} className="incident" aria-labelledby={`inc-${inc.id}`}>
            <h3 id={`inc-${inc.id}`}>
              {inc.id} <span className="muted small">{inc.scope}</span> <Age at={inc.opened_at ?? inc.at} />
            </h3>
            <div className="two-col">
              <div>
                <h4>Evidence</h4>
                <KeyValue
                  entries={Object.entries(inc.evidence)
                    .filter(([k]) => k !== 'incident_id')
                    .map(([k, v]) => [k.replaceAll('_', ' '), <JsonValue key={k} value={v} />])}
                />
              </div>
              <div>
                <h4>Rollback</h4>
                <RollbackView rb={inc.rollback} />
              </div>
            </div>
          </article>
        ))}
      </section>
      <Dialog
        title={`Reset ${data.id} for ${scope ?? ''}`}
        open={scope !== undefined}
        onClose={() => setScope(undefined)}
      >
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void reset();
          }}
        >
          <p>
            Resetting closes the breaker for this scope (half-open with its probe budget where one is configured). An
            agent the trip paused keeps its mode until an admin changes it.
          </p>
          <label htmlFor="reset-comment">What was fixed (recorded in the audit log)</label>
          <textarea id="reset-comment" required rows={3} value={comment} onChange={(e) => setComment(e.target.value)} />
          <div className="buttons">
            <button type="submit" className="primary" disabled={!comment.trim()}>
              Reset breaker
            </button>
            <button type="button" onClick={() => setScope(undefined)}>
              Cancel
            </button>
          </div>
        </form>
      </Dialog>
    </div>
  );
}
