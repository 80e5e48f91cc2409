/**
 * Gathering what a breaker judges: the counts behind its metric in the window and the baseline,
 * for one scope key. Reads only; the verdict is `evaluateTrip`'s (evaluate.ts).
 *
 * Windows (all `[from, to)`, ending at the evaluation's `now`):
 * - window: `[now − window_ms, now)`;
 * - baseline `trailing_<d>`: the `d` before the window, `[now − window_ms − d, now − window_ms)`;
 * - baseline `same_hours_last_week`: the window moved back seven days (week-over-week, so a
 *   weekday's usual dip does not trip).
 *
 * Attribution: an `agent:<id>` scope judges only the samples of what that agent touched — the
 * `email_id` of marketing emails and the `campaign_id` of campaigns in change sets of its
 * executed (or since rolled back) actions created within {@link ATTRIBUTION_MS} before the
 * baseline starts — plus samples that name the agent itself in `dims.agent`. An agent that
 * touched nothing has no data, which is never a pass. The `all` scope judges every sample.
 *
 * Operational metrics count the scope's actions created in each period (by their current
 * status): `executed` counts executed and rolled-back actions, `approved` the actions that went
 * through an approval and were carried out, `rejected` those a person rejected.
 */
import type { BreakerConfig } from '../../config/types.js';
import type { ActionRow, KpiSample, Repos } from '../ports/storage.js';
import type { TripInput } from './evaluate.js';
import {
  aggregate,
  isOperationalMetric,
  kpiComponents,
  operationalCounts,
  type ActionCounts,
  type RatioCounts,
} from './metrics.js';
import { agentsOfScopeKey, parseScopeKey } from './scope.js';

/** How far before the baseline an agent's change still makes a record "its" record. */
export const ATTRIBUTION_MS = 30 * 86_400_000;
const WEEK_MS = 7 * 86_400_000;
const PAGE = 500;

/** Change-set objects whose records are KPI dimensions, and the dimension they map to. */
export const ATTRIBUTED_OBJECTS: Readonly<Record<string, string>> = {
  marketing_emails: 'email_id',
  campaigns: 'campaign_id',
};

export interface Period {
  readonly from: string;
  readonly to: string;
}

export interface Signal {
  readonly input: TripInput;
  readonly window: Period;
  readonly baseline?: Period;
  /** What the scope was narrowed to (agent scopes): dims values per dimension. */
  readonly attributed?: Readonly<Record<string, readonly string[]>>;
}

type SignalRepos = Pick<Repos, 'actions' | 'changesets' | 'kpis'>;

const iso = (ms: number) => new Date(ms).toISOString();

/** The window and baseline periods of a breaker evaluated at `now`. */
export function periodsOf(
  breaker: Pick<BreakerConfig, 'window_ms' | 'baseline'>,
  now: Date,
): { window: Period; baseline?: Period } {
  const end = now.getTime();
  const start = end - breaker.window_ms;
  const window = { from: iso(start), to: iso(end) };
  const b = breaker.baseline;
  if (!b) return { window };
  if (b.kind === 'trailing') return { window, baseline: { from: iso(start - b.window_ms), to: iso(start) } };
  return { window, baseline: { from: iso(start - WEEK_MS), to: iso(end - WEEK_MS) } };
}

/** Every action of `agentId` created in `[since, before)`, any status. */
export async function actionsOf(
  repos: Pick<Repos, 'actions'>,
  agentId: string,
  since: string,
  before: string,
  statuses?: readonly string[],
): Promise<ActionRow[]> {
  const out: ActionRow[] = [];
  let afterId: string | undefined;
  for (;;) {
    const page = await repos.actions.list({
      agentId,
      since,
      before,
      order: 'asc',
      limit: PAGE,
      ...(statuses ? { statuses } : {}),
      ...(afterId !== undefined ? { afterId } : {}),
    });
    out.push(...page);
    if (page.length < PAGE) return out;
    afterId = page[page.length - 1]!.id;
  }
}

/** The dims values an agent's changes touched (email_id → ids, campaign_id → ids). */
export async function attributedDims(
  repos: Pick<Repos, 'actions' | 'changesets'>,
  agentId: string,
  since: string,
  before: string,
): Promise<Map<string, Set<string>>> {
  const dims = new Map<string, Set<string>>(Object.values(ATTRIBUTED_OBJECTS).map((d) => [d, new Set<string>()]));
  for (const action of await actionsOf(repos, agentId, since, before, ['executed', 'rolled_back'])) {
    if (!action.changesetId) continue;
    for (let offset = 0; ; offset += PAGE) {
      const records = await repos.changesets.listRecords(action.changesetId, { offset, limit: PAGE });
      for (const r of records) {
        const dim = ATTRIBUTED_OBJECTS[r.object];
        if (dim && !r.noop) dims.get(dim)!.add(r.recordId);
      }
      if (records.length < PAGE) break;
    }
  }
  return dims;
}

function countActions(rows: readonly ActionRow[]): ActionCounts {
  const c = { submitted: 0, executed: 0, failed: 0, denied: 0, approved: 0, rejected: 0 };
  for (const a of rows) {
    c.submitted++;
    if (a.status === 'executed' || a.status === 'rolled_back') c.executed++;
    if (a.status === 'failed') c.failed++;
    if (a.status === 'denied') c.denied++;
    if (a.status === 'rejected') c.rejected++;
    if (a.approvalId && ['executing', 'executed', 'failed', 'rolled_back'].includes(a.status)) c.approved++;
  }
  return c;
}

async function operational(
  repos: SignalRepos,
  metric: string,
  agentIds: readonly string[],
  period: Period,
): Promise<RatioCounts> {
  const rows: ActionRow[] = [];
  for (const id of agentIds) rows.push(...(await actionsOf(repos, id, period.from, period.to)));
  if (!isOperationalMetric(metric)) throw new RangeError(`${metric} is not an operational metric`);
  return operationalCounts(metric, countActions(rows));
}

/** Loads the KPI samples of the metric's components over `[from, to)`, narrowed to the scope. */
async function kpiSamples(
  repos: SignalRepos,
  metric: string,
  range: Period,
  keep: (s: KpiSample) => boolean,
): Promise<KpiSample[]> {
  const out: KpiSample[] = [];
  for (const component of kpiComponents(metric)) {
    for (const s of await repos.kpis.query({ metric: component, from: range.from, to: range.to })) {
      if (keep(s)) out.push(s);
    }
  }
  return out;
}

/**
 * The counts a breaker judges for one scope key at `now`. Throws only on storage errors; the
 * caller turns those into an `error` evaluation.
 */
export async function gatherSignal(
  repos: SignalRepos,
  breaker: Pick<BreakerConfig, 'metric' | 'window_ms' | 'baseline'>,
  scopeKey: string,
  agentIds: Iterable<string>,
  now: Date,
): Promise<Signal> {
  const { window, baseline } = periodsOf(breaker, now);
  const spans = {
    windowMs: breaker.window_ms,
    ...(baseline ? { baselineSpanMs: Date.parse(baseline.to) - Date.parse(baseline.from) } : {}),
  };
  if (isOperationalMetric(breaker.metric)) {
    const agents = agentsOfScopeKey(scopeKey, agentIds);
    const w = await operational(repos, breaker.metric, agents, window);
    const b = baseline ? await operational(repos, breaker.metric, agents, baseline) : undefined;
    return { input: { window: w, ...(b ? { baseline: b } : {}), ...spans }, window, ...(baseline ? { baseline } : {}) };
  }

  const scope = parseScopeKey(scopeKey);
  let keep: (s: KpiSample) => boolean = () => true;
  let attributed: Record<string, string[]> | undefined;
  if (scope?.type === 'agent') {
    const earliest = Date.parse((baseline ?? window).from) - ATTRIBUTION_MS;
    const dims = await attributedDims(repos, scope.agentId, iso(earliest), window.to);
    attributed = Object.fromEntries([...dims].map(([k, v]) => [k, [...v].sort()]));
    keep = (s) => s.dims.agent === scope.agentId || [...dims].some(([k, ids]) => ids.has(s.dims[k] ?? '\u0000'));
  }
  const from = baseline && baseline.from < window.from ? baseline.from : window.from;
  const to = baseline && baseline.to > window.to ? baseline.to : window.to;
  const samples = await kpiSamples(repos, breaker.metric, { from, to }, keep);
  const w = aggregate(breaker.metric, samples, window);
  const b = baseline ? aggregate(breaker.metric, samples, baseline) : undefined;
  return {
    input: { window: w, ...(b ? { baseline: b } : {}), ...spans },
    window,
    ...(baseline ? { baseline } : {}),
    ...(attributed ? { attributed } : {}),
  };
}
