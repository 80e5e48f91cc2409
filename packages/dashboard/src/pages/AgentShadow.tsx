/**
 * The agent page's shadow evidence (docs/shadow-mode.md): what an observe-mode agent proposed
 * against what people did, per operation, the promote_when criteria with met / not met, each
 * operation's mode, and, for admins, promotion on that evidence (dry run → verdict → confirm).
 */
import { useEffect, useRef, useState } from 'react';
import {
  ApiError,
  api,
  errorText,
  type AgentModes,
  type CriterionCheck,
  type PromotionEvidence,
  type Rate,
  type ShadowMetrics,
  type ShadowReport,
} from '../api.js';
import { Age, Badge, Dialog, ErrorNote, Loading, pct } from '../components/ui.js';
import { useData } from '../hooks.js';

type Target = 'gated' | 'autonomous';
const ALL = '';

interface ShadowData {
  report: ShadowReport;
  modes: AgentModes | null;
  /** Per scope ('' = the whole agent): the criteria verdict of a dry-run promotion, when one applies. */
  verdicts: Map<string, PromotionEvidence['criteria']>;
}

/** Plain-language definitions, in the order the table uses the terms. */
const TERMS: [key: string, label: string][] = [
  ['proposals', 'Proposals'],
  ['precision', 'Agreement rate'],
  ['recall', 'Recall'],
  ['rule_adherence', 'Rule adherence'],
  ['agreement', 'Agree'],
  ['disagreement', 'Disagree'],
  ['missed', 'Missed'],
  ['unconfirmed', 'Unconfirmed'],
  ['superseded', 'Superseded'],
  ['ci95', '95% interval'],
];
const LOCAL_DEFINITIONS: Record<string, string> = {
  proposals: 'every record and field the agent would have changed while observed',
  precision: 'of the proposals a person answered, the share where the person set the same value',
};

const CRITERION_LABEL: Record<string, string> = {
  min_proposals: 'Proposals at least',
  precision: 'Agreement rate at least',
  recall: 'Recall at least',
  rule_adherence: 'Rule adherence at least',
  min_days: 'Days of evidence at least',
};

/** `GET /v1/agents/:id/shadow`, the modes, and a dry-run verdict per scope; `null` from an older server. */
async function loadShadow(id: string): Promise<ShadowData | null> {
  let report: ShadowReport;
  try {
    report = await api.shadow(id);
  } catch (e) {
    // An older server (no route), or a person whose roles may not read evidence (responder only).
    if (e instanceof ApiError && ((e.status === 404 && e.code !== 'agent_not_found') || e.status === 403)) return null;
    throw e;
  }
  const modes = await api.modes(id).catch(() => null);
  const me = report.agents.find((a) => a.agent_id === id);
  const scopes = [ALL, ...(me?.operations.map((o) => o.operation) ?? [])];
  const verdicts = new Map<string, PromotionEvidence['criteria']>();
  await Promise.all(
    scopes.map(async (scope) => {
      const from = scope === ALL ? modes?.mode : modes?.operations.find((o) => o.operation === scope)?.mode;
      if (from === 'autonomous' || from === 'paused') return;
      try {
        const r = await api.promote(id, { to: 'autonomous', dry_run: true, ...(scope ? { operation: scope } : {}) });
        verdicts.set(scope, r.criteria);
      } catch {
        // No verdict to show for this scope (already there, no grant): the table says so.
      }
    }),
  );
  return { report, modes, verdicts };
}

function RateCell({ rate }: { rate: Rate }) {
  if (rate.value === null) return <span className="muted">— (none answered)</span>;
  return (
    <>
      {pct(rate.value)}{' '}
      <span className="muted small">
        (95% CI {pct(rate.ci95[0])}–{pct(rate.ci95[1])}, {rate.successes}/{rate.trials})
      </span>
    </>
  );
}

function CriteriaCell({ verdict }: { verdict: PromotionEvidence['criteria'] | undefined }) {
  if (verdict === undefined) return <span className="muted">—</span>;
  if (verdict === null || !verdict.configured) return <span className="muted">none configured</span>;
  return verdict.met ? (
    <Badge value="pass" label="met" />
  ) : (
    <>
      <Badge value="fail" label="not met" /> <span className="small">{describeFailed(verdict.checks)}</span>
    </>
  );
}

const CRITERION_NOUN: Record<string, string> = {
  min_proposals: 'proposals',
  precision: 'agreement rate',
  recall: 'recall',
  rule_adherence: 'rule adherence',
  min_days: 'days of evidence',
};

/** "agreement rate 86% (needs 95%)" for every failed check. */
function describeFailed(checks: CriterionCheck[]): string {
  return checks
    .filter((c) => !c.met)
    .map((c) => `${CRITERION_NOUN[c.criterion] ?? c.criterion} ${formatActual(c)} (needs ${formatRequired(c)})`)
    .join(', ');
}

function formatRequired(c: CriterionCheck): string {
  return c.criterion === 'min_proposals' || c.criterion === 'min_days' ? String(c.required) : pct(c.required);
}
function formatActual(c: CriterionCheck): string {
  if (c.actual === null) return '—';
  if (c.criterion === 'min_proposals') return String(c.actual);
  if (c.criterion === 'min_days') return c.actual.toFixed(1);
  return pct(c.actual);
}

export function CriteriaTable({ checks, caption }: { checks: CriterionCheck[]; caption: string }) {
  return (
    <table className="table">
      <caption className="sr-only">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Criterion</th>
          <th scope="col">Required</th>
          <th scope="col">Actual</th>
          <th scope="col">95% interval</th>
          <th scope="col">Result</th>
        </tr>
      </thead>
      <tbody>
        {checks.map((c) => (
          <tr key={c.criterion} data-criterion={c.criterion}>
            <th scope="row">{CRITERION_LABEL[c.criterion] ?? c.criterion}</th>
            <td>{formatRequired(c)}</td>
            <td>{formatActual(c)}</td>
            <td>{c.ci95 ? `${pct(c.ci95[0])}–${pct(c.ci95[1])}` : <span className="muted">—</span>}</td>
            <td>{c.met ? <Badge value="pass" label="met" /> : <Badge value="fail" label="not met" />}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function MetricsRow({
  label,
  scope,
  m,
  mode,
  verdict,
}: {
  label: string;
  scope: string;
  m: ShadowMetrics;
  mode: string | undefined;
  verdict: PromotionEvidence['criteria'] | undefined;
}) {
  return (
    <tr data-scope={scope || 'all'}>
      <th scope="row">{label}</th>
      <td>{mode ? <Badge value={mode} /> : <span className="muted">—</span>}</td>
      <td>{m.proposals.toLocaleString()}</td>
      <td data-metric="agreement-rate">
        <RateCell rate={m.precision} />
      </td>
      <td>
        <RateCell rate={m.recall} />
      </td>
      <td>
        <RateCell rate={m.rule_adherence} />
      </td>
      <td>{m.agreement}</td>
      <td>{m.disagreement}</td>
      <td>{m.missed}</td>
      <td>
        {m.unconfirmed}
        {m.pending ? <span className="muted small"> ({m.pending} pending)</span> : null}
      </td>
      <td>{m.superseded}</td>
      <td>
        <CriteriaCell verdict={verdict} />
      </td>
    </tr>
  );
}

export function ShadowSection({
  agentId,
  admin,
  grantOperations,
  modeKey,
  onChanged,
}: {
  agentId: string;
  admin: boolean;
  /** `object.operation` for every write the agent's grants allow. */
  grantOperations: string[];
  /** Changes when the agent's mode changes (live, or through the mode switch): the modes are read again. */
  modeKey: string;
  onChanged: () => void;
}) {
  // Scoring reads every proposal and change in the window: not refetched on every live event.
  const { data, error, reload } = useData(() => loadShadow(agentId), `shadow:${agentId}`);
  const seenModeKey = useRef(modeKey);
  useEffect(() => {
    if (seenModeKey.current === modeKey) return;
    seenModeKey.current = modeKey;
    reload();
  }, [modeKey, reload]);
  if (data === null) return null;
  if (!data)
    return (
      <section aria-labelledby="shadow-h">
        <h2 id="shadow-h">Shadow evidence</h2>
        {error ? <ErrorNote error={error} what="the shadow report" /> : <Loading what="the shadow report" />}
      </section>
    );
  const { report, modes, verdicts } = data;
  const me = report.agents.find((a) => a.agent_id === agentId);
  // The modes route lists operations with a mode of their own; every other granted write runs on the agent's mode.
  const operations = [
    ...new Set([
      ...grantOperations,
      ...(me?.operations.map((o) => o.operation) ?? []),
      ...(modes?.operations.map((o) => o.operation) ?? []),
    ]),
  ].sort();
  const modeRows = modes
    ? operations.map(
        (operation) =>
          modes.operations.find((o) => o.operation === operation) ?? {
            operation,
            mode: modes.mode,
            source: modes.mode === modes.configured_mode && !modes.mode_set_by ? 'agent_config' : 'agent_runtime',
            configured_mode: null,
            set_by: null,
            set_at: null,
            reason: null,
          },
      )
    : [];
  const opMode = (op: string) => modeRows.find((o) => o.operation === op)?.mode;
  const definitions = { ...report.definitions, ...LOCAL_DEFINITIONS };
  const days = Math.round(report.match_window_ms / 86_400_000);
  const criteriaScopes = [...verdicts.entries()].filter(([, v]) => v && v.configured && v.checks.length > 0);

  return (
    <>
      <section aria-labelledby="shadow-h">
        <div className="section-head">
          <h2 id="shadow-h">Shadow evidence</h2>
          <button type="button" onClick={reload}>
            Refresh evidence
          </button>
        </div>
        <p className="muted small">
          What the agent proposed while observed, against what people did to the same records, from{' '}
          {new Date(report.from).toLocaleDateString()} to {new Date(report.to).toLocaleDateString()}; a person&apos;s
          change answers a proposal for{' '}
          {days >= 1 ? `${days} day${days === 1 ? '' : 's'}` : `${Math.round(report.match_window_ms / 3_600_000)} h`}.
        </p>
        {!me || me.metrics.proposals === 0 ? (
          <p className="muted">No shadowed proposals in this window: the agent has not run in observe mode lately.</p>
        ) : (
          <>
            <p className="callout" data-testid="shadow-summary">
              {agentId} proposed <strong>{me.metrics.proposals.toLocaleString()}</strong> change
              {me.metrics.proposals === 1 ? '' : 's'}
              {me.first_proposal_at ? ` since ${new Date(me.first_proposal_at).toLocaleDateString()}` : ''}; of the{' '}
              {me.metrics.precision.trials} people answered, <strong>{pct(me.metrics.precision.value)}</strong> match
              what they did; the policy would have let <strong>{pct(me.metrics.rule_adherence.value)}</strong> of its{' '}
              {me.metrics.actions} proposed actions through without a person
              {me.metrics.actions > 0 && me.metrics.allowed === me.metrics.actions ? ' (none broke a rule)' : ''}.
            </p>
            <div className="table-scroll">
              <table className="table">
                <caption className="sr-only">Shadow evidence of {agentId} per operation</caption>
                <thead>
                  <tr>
                    <th scope="col">Operation</th>
                    <th scope="col">Mode</th>
                    <th scope="col">Proposals</th>
                    <th scope="col">Agreement rate</th>
                    <th scope="col">Recall</th>
                    <th scope="col">Rule adherence</th>
                    <th scope="col">Agree</th>
                    <th scope="col">Disagree</th>
                    <th scope="col">Missed</th>
                    <th scope="col">Unconfirmed</th>
                    <th scope="col">Superseded</th>
                    <th scope="col">Criteria</th>
                  </tr>
                </thead>
                <tbody>
                  <MetricsRow
                    label="All operations"
                    scope={ALL}
                    m={me.metrics}
                    mode={modes?.mode}
                    verdict={verdicts.get(ALL)}
                  />
                  {me.operations.map((o) => (
                    <MetricsRow
                      key={o.operation}
                      label={o.operation}
                      scope={o.operation}
                      m={o.metrics}
                      mode={opMode(o.operation)}
                      verdict={verdicts.get(o.operation)}
                    />
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
        {me && me.metrics.proposals > 0 ? (
          <>
            <h3>What the terms mean</h3>
            <dl className="kv definitions">
              {TERMS.filter(([k]) => definitions[k]).map(([k, label]) => (
                <div key={k}>
                  <dt>{label}</dt>
                  <dd>{definitions[k]}</dd>
                </div>
              ))}
            </dl>
          </>
        ) : null}
        <h3>Promotion criteria (promote_when)</h3>
        {criteriaScopes.length === 0 ? (
          <p className="muted">
            No promote_when criteria apply: promotion to gated needs no evidence, promotion to autonomous needs an
            admin&apos;s written override.
          </p>
        ) : (
          criteriaScopes.map(([scope, v]) => (
            <div key={scope || 'all'} data-criteria-scope={scope || 'all'}>
              <h4>
                {scope || 'Whole agent'}:{' '}
                {v!.met ? <Badge value="pass" label="met" /> : <Badge value="fail" label="not met" />}
              </h4>
              <CriteriaTable checks={v!.checks} caption={`Promotion criteria for ${scope || 'the whole agent'}`} />
            </div>
          ))
        )}
        {admin ? (
          <PromoteControl
            agentId={agentId}
            operations={operations}
            onDone={() => {
              reload();
              onChanged();
            }}
          />
        ) : (
          <p className="muted small">Only admins promote an agent on its evidence.</p>
        )}
      </section>
      {modes ? (
        <section aria-labelledby="opmodes-h">
          <h2 id="opmodes-h">Modes per operation</h2>
          <table className="table">
            <caption className="sr-only">Effective mode of each operation of {agentId}</caption>
            <thead>
              <tr>
                <th scope="col">Operation</th>
                <th scope="col">Mode</th>
                <th scope="col">From</th>
                <th scope="col">Set by</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {modeRows.map((o) => (
                <tr key={o.operation} data-operation={o.operation}>
                  <th scope="row">{o.operation}</th>
                  <td>
                    <Badge value={o.mode} />
                  </td>
                  <td>{SOURCE[o.source] ?? o.source}</td>
                  <td>
                    {o.set_by ? (
                      <>
                        {o.set_by} <Age at={o.set_at} />
                      </>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td className="clip">{o.reason ?? <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
    </>
  );
}

const SOURCE: Record<string, string> = {
  agent_config: "the agent's mode in the config",
  agent_runtime: "the agent's mode, changed at run time",
  operation_config: 'operation_modes in the config',
  operation_runtime: 'a promotion or demotion of this operation',
  paused: 'the agent is paused',
};

function PromoteControl({
  agentId,
  operations,
  onDone,
}: {
  agentId: string;
  operations: string[];
  onDone: () => void;
}) {
  const [to, setTo] = useState<Target>('gated');
  const [operation, setOperation] = useState(ALL);
  const [evidence, setEvidence] = useState<PromotionEvidence>();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const scope = operation ? `${agentId} ${operation}` : agentId;
  const met = evidence ? evidence.criteria === null || evidence.criteria.met : false;

  const check = async () => {
    setBusy(true);
    setMessage(undefined);
    try {
      setReason('');
      setEvidence(await api.promote(agentId, { to, dry_run: true, ...(operation ? { operation } : {}) }));
    } catch (e) {
      setMessage({ ok: false, text: errorText(e) });
    } finally {
      setBusy(false);
    }
  };

  const confirm = async () => {
    if (!evidence) return;
    setBusy(true);
    try {
      const r = await api.promote(agentId, {
        to,
        ...(operation ? { operation } : {}),
        ...(!met ? { override_reason: reason.trim() } : {}),
      });
      setMessage({
        ok: true,
        text: `${scope} promoted from ${r.from} to ${r.to}${r.override_reason ? ' with an override (audited)' : ' on its evidence'}.`,
      });
      setEvidence(undefined);
      onDone();
    } catch (e) {
      setMessage({ ok: false, text: errorText(e) });
      setEvidence(undefined);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h3 id="promote-h">Promote</h3>
      <form
        className="filters"
        aria-labelledby="promote-h"
        onSubmit={(e) => {
          e.preventDefault();
          void check();
        }}
      >
        <div className="field">
          <label htmlFor="promote-to">Promote to</label>
          <select id="promote-to" value={to} onChange={(e) => setTo(e.target.value as Target)}>
            <option value="gated">gated (every write waits for a person)</option>
            <option value="autonomous">autonomous (writes run without a person)</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="promote-operation">Operation</label>
          <select id="promote-operation" value={operation} onChange={(e) => setOperation(e.target.value)}>
            <option value={ALL}>whole agent</option>
            {operations.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" disabled={busy}>
          Check evidence…
        </button>
      </form>
      {message ? (
        <p className={`callout ${message.ok ? 'callout-ok' : 'callout-bad'}`} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      ) : null}
      <Dialog title={`Promote ${scope} to ${to}`} open={evidence !== undefined} onClose={() => setEvidence(undefined)}>
        {evidence ? (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void confirm();
            }}
          >
            <p>
              {scope} goes from <strong>{evidence.from}</strong> to <strong>{evidence.to}</strong>. Evidence:{' '}
              {evidence.metrics.proposals} proposals, agreement rate {pct(evidence.metrics.precision.value)}, rule
              adherence {pct(evidence.metrics.rule_adherence.value)}.
            </p>
            {evidence.criteria && evidence.criteria.checks.length > 0 ? (
              <CriteriaTable checks={evidence.criteria.checks} caption={`Criteria for promoting ${scope}`} />
            ) : null}
            {met ? (
              <p className="callout callout-ok" role="status" data-verdict="met">
                {evidence.criteria && evidence.criteria.checks.length > 0
                  ? 'Every criterion is met.'
                  : 'No criteria apply: every write will still wait for a person.'}
              </p>
            ) : (
              <>
                <p className="callout callout-bad" data-verdict="not-met">
                  {evidence.criteria && evidence.criteria.checks.length > 0
                    ? `Criteria not met: ${describeFailed(evidence.criteria.checks)}.`
                    : 'No promote_when criteria are configured, so nothing the evidence could meet.'}{' '}
                  Promoting anyway is an override.
                </p>
                <label htmlFor="override-reason">Override reason (required; recorded in the audit log)</label>
                <textarea
                  id="override-reason"
                  required
                  rows={3}
                  value={reason}
                  onChange={(e) => setReason(e.target.value)}
                />
              </>
            )}
            <div className="buttons">
              <button type="submit" className="primary" disabled={busy || (!met && !reason.trim())}>
                {met ? 'Confirm promotion' : 'Promote with override'}
              </button>
              <button type="button" onClick={() => setEvidence(undefined)}>
                Cancel
              </button>
            </div>
          </form>
        ) : null}
      </Dialog>
    </>
  );
}
