import { ApiError, api, type AgentStatus, type Overview, type OverviewAgent, type OutcomeCounts } from '../api.js';
import { Sparkline } from '../components/charts.js';
import { Badge, ErrorNote, Loading, StatusLight, pct } from '../components/ui.js';
import { href, useData } from '../hooks.js';

const OUTCOMES: { key: keyof OutcomeCounts; label: string }[] = [
  { key: 'executed', label: 'executed' },
  { key: 'pending_approval', label: 'pending' },
  { key: 'shadowed', label: 'shadowed' },
  { key: 'denied', label: 'denied' },
  { key: 'rejected', label: 'rejected' },
  { key: 'failed', label: 'failed' },
  { key: 'expired', label: 'expired' },
  { key: 'revision_requested', label: 'sent back' },
  { key: 'breaker_open', label: 'halted' },
  { key: 'rolled_back', label: 'rolled back' },
  { key: 'in_progress', label: 'in progress' },
];

const EMPTY: OutcomeCounts = {
  executed: 0,
  denied: 0,
  shadowed: 0,
  pending_approval: 0,
  failed: 0,
  rejected: 0,
  expired: 0,
  total: 0,
};

/**
 * The overview from `GET /v1/overview`; a server without that route gets one assembled from the
 * older list routes (today's counts then cover the latest 500 actions only).
 */
async function loadOverview(): Promise<Overview> {
  try {
    return await api.overview();
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404 || e.code === 'approval_not_found') throw e;
  }
  const [agents, approvals, breakers, actions] = await Promise.all([
    api.agents(),
    api.approvals('pending'),
    api.breakers(),
    api.actions({ limit: 500 }),
  ]);
  const midnight = new Date();
  midnight.setUTCHours(0, 0, 0, 0);
  return {
    generated_at: new Date().toISOString(),
    connectors: [],
    kpis: [],
    agents: agents.results.map((a): OverviewAgent => {
      const today: OutcomeCounts = { ...EMPTY };
      for (const x of actions.results) {
        if (x.agent !== a.id || new Date(x.created_at) < midnight) continue;
        today[x.status] = (today[x.status] ?? 0) + 1;
        today.total++;
      }
      const mine = breakers.results.flatMap((b) =>
        b.scopes
          .filter((s) => s.scope === `agent:${a.id}` || s.scope === 'all')
          .map((s) => ({ id: b.id, state: s.state })),
      );
      const pending = approvals.results.filter((p) => p.agent === a.id).length;
      const status: AgentStatus = mine.some((b) => b.state === 'open' || b.state === 'forced_open')
        ? 'breaker_open'
        : a.mode === 'paused'
          ? 'paused'
          : pending > 0
            ? 'waiting'
            : 'running';
      return {
        id: a.id,
        owner: a.owner,
        mode: a.mode,
        configured_mode: a.configured_mode,
        status,
        today,
        pending_approvals: pending,
        breakers: mine,
      };
    }),
  };
}

function OutcomeBar({ today }: { today: OutcomeCounts }) {
  const total = Math.max(today.total, 1);
  return (
    <div className="outcome-bar" aria-hidden="true">
      {OUTCOMES.map(({ key }) =>
        today[key] ? (
          <span key={key} className={`seg seg-${key}`} style={{ width: `${(100 * (today[key] ?? 0)) / total}%` }} />
        ) : null,
      )}
    </div>
  );
}

function AgentCard({ agent }: { agent: OverviewAgent }) {
  return (
    <article
      className={`card agent-card card-${agent.status}`}
      data-agent={agent.id}
      data-status={agent.status}
      aria-labelledby={`agent-${agent.id}`}
    >
      <header>
        <h3 id={`agent-${agent.id}`}>
          <a href={href('agents', agent.id)}>{agent.id}</a>
        </h3>
        <StatusLight status={agent.status} />
      </header>
      <p className="meta">
        <Badge value={agent.mode} label={`mode: ${agent.mode}`} />
        {agent.mode !== agent.configured_mode ? (
          <span className="muted"> (configured {agent.configured_mode})</span>
        ) : null}
        <span className="muted"> · owner {agent.owner}</span>
      </p>
      <OutcomeBar today={agent.today} />
      <dl className="counts" aria-label={`Actions today by ${agent.id}`}>
        <div>
          <dt>today</dt>
          <dd>{agent.today.total}</dd>
        </div>
        {OUTCOMES.filter(({ key }) => (agent.today[key] ?? 0) > 0 || key === 'executed').map(({ key, label }) => (
          <div key={key} className={`count-${key}`}>
            <dt>{label}</dt>
            <dd>{agent.today[key] ?? 0}</dd>
          </div>
        ))}
      </dl>
      <footer>
        {agent.pending_approvals > 0 ? (
          <a href={href('approvals')} className="pending-link">
            {agent.pending_approvals} pending approval{agent.pending_approvals === 1 ? '' : 's'}
          </a>
        ) : (
          <span className="muted">No pending approvals</span>
        )}
        <ul className="breaker-chips" aria-label="Breakers">
          {agent.breakers.map((b) => (
            <li key={b.id}>
              <a href={href('breakers', b.id)} className={`chip chip-${b.state}`}>
                {b.id}: {b.state.replaceAll('_', ' ')}
              </a>
            </li>
          ))}
        </ul>
      </footer>
    </article>
  );
}

const isRatio = (metric: string) => /ctr|rate|ratio/.test(metric);

export function OverviewPage() {
  const { data, error, loading } = useData(loadOverview, 'overview', true);
  if (!data) return error ? <ErrorNote error={error} what="the overview" /> : <Loading what="the overview" />;
  const attention = data.agents.filter((a) => a.status === 'breaker_open' || a.status === 'paused').length;
  const pending = data.agents.reduce((n, a) => n + a.pending_approvals, 0);
  const total = data.agents.reduce((n, a) => n + a.today.total, 0);
  return (
    <div className="overview" aria-busy={loading}>
      <div className="page-head">
        <h1>Overview</h1>
        <p className="muted">
          {data.agents.length} agents · {total.toLocaleString()} actions today · {pending} pending approvals ·{' '}
          {attention} halted · updated {new Date(data.generated_at).toLocaleTimeString()}
        </p>
      </div>
      {error ? <ErrorNote error={error} what="the latest overview (showing the previous one)" /> : null}
      <section aria-labelledby="agents-h">
        <h2 id="agents-h">Agents</h2>
        <div className="cards" data-testid="agent-cards">
          {data.agents.map((a) => (
            <AgentCard key={a.id} agent={a} />
          ))}
        </div>
      </section>
      <div className="two-col">
        <section aria-labelledby="kpi-h">
          <h2 id="kpi-h">Metrics breakers watch (24 h)</h2>
          {data.kpis.length === 0 ? <p className="muted">No KPI samples yet.</p> : null}
          <ul className="kpis">
            {data.kpis.map((k) => {
              const last = [...k.points].reverse().find((p) => p.value !== null)?.value ?? null;
              return (
                <li key={`${k.breaker_id}:${k.metric}`}>
                  <div>
                    <strong>{k.metric}</strong>{' '}
                    <a href={href('breakers', k.breaker_id)} className="muted">
                      {k.breaker_id}
                    </a>
                  </div>
                  <Sparkline
                    points={k.points}
                    baseline={k.points.map((p) => ({ at: p.at, value: p.baseline ?? null }))}
                    label={`${k.metric} over the last 24 hours, against its baseline`}
                  />
                  <span className="kpi-last">
                    {last === null ? '—' : isRatio(k.metric) ? pct(last) : last.toLocaleString()}
                  </span>
                </li>
              );
            })}
          </ul>
        </section>
        <section aria-labelledby="conn-h">
          <h2 id="conn-h">Connectors</h2>
          {data.connectors.length === 0 ? <p className="muted">Connector health needs a newer server.</p> : null}
          <ul className="connectors">
            {data.connectors.map((c) => (
              <li key={c.id}>
                <span className={`dot ${c.ok ? 'dot-ok' : 'dot-bad'}`} aria-hidden="true" />
                <strong>{c.id}</strong> <span className="muted">{c.type}</span> — {c.ok ? 'healthy' : 'failing'}
                {c.detail ? <span className="muted"> · {c.detail}</span> : null}
              </li>
            ))}
          </ul>
        </section>
      </div>
    </div>
  );
}
