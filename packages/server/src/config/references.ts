/**
 * Cross-references between sections: roles, people, agents, connectors and ids must line up.
 *
 * These checks read the raw (interpolated) data rather than the schema's output so that they
 * run even when the schema found problems elsewhere: one `gatehouse check` shows every mistake.
 * Values of the wrong shape are skipped here; the schema already reports them.
 */
import type { Finding, PathSegment } from './diagnostics.js';
import { BUILT_IN_ROLES } from './schema.js';
import { didYouMean } from './suggest.js';

type Raw = Record<string, unknown>;

const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const keys = (v: unknown): string[] => (isRecord(v) ? Object.keys(v) : []);

/** Items of a top-level list that are mappings, with their index in the file. */
function entries(root: Raw, section: string): [number, Raw][] {
  return list(root[section]).flatMap((item, i): [number, Raw][] => (isRecord(item) ? [[i, item]] : []));
}

export interface Findings {
  readonly errors: Finding[];
  readonly warnings: Finding[];
}

export function checkReferences(data: unknown): Findings {
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  if (!isRecord(data)) return { errors, warnings };

  const error = (path: PathSegment[], code: string, message: string, at?: 'key') =>
    errors.push({ path, code, message, ...(at && { at }) });
  const warn = (path: PathSegment[], code: string, message: string) => warnings.push({ path, code, message });

  /** Ids of a section, reporting duplicates at the second occurrence. */
  const ids = (section: string, noun: string): Set<string> => {
    const seen = new Map<string, number>();
    for (const [i, item] of entries(data, section)) {
      const id = str(item.id);
      if (id === undefined) continue;
      const first = seen.get(id);
      if (first !== undefined)
        error([section, i, 'id'], 'duplicate_id', `duplicate ${noun} id '${id}' (also ${section}[${first}])`);
      else seen.set(id, i);
    }
    return new Set(seen.keys());
  };

  const people = ids('people', 'person');
  const agents = ids('agents', 'agent');
  ids('policies', 'policy');
  ids('breakers', 'breaker');
  const connectors = new Set(keys(data.connectors));
  const customRoles = keys(data.roles);
  const roles = new Set<string>([...BUILT_IN_ROLES, ...customRoles]);

  for (const role of customRoles) {
    if ((BUILT_IN_ROLES as readonly string[]).includes(role)) {
      error(
        ['roles', role],
        'duplicate_id',
        `'${role}' is a built-in role; choose another name for a custom role`,
        'key',
      );
    }
  }

  /** `value` must name a member of `set`; `what` is the set's name in the message. */
  const known = (path: PathSegment[], value: unknown, set: Set<string>, code: string, noun: string, what: string) => {
    const id = str(value);
    if (id === undefined || set.has(id)) return;
    const choices = set.size === 0 ? `no ${what} are defined` : `${what} defined: ${[...set].join(', ')}`;
    error(path, code, `unknown ${noun} '${id}'${didYouMean(id, set)}; ${choices}`);
  };
  const role = (path: PathSegment[], value: unknown) => known(path, value, roles, 'unknown_role', 'role', 'roles');
  const person = (path: PathSegment[], value: unknown) =>
    known(path, value, people, 'unknown_person', 'person', 'people');
  const notifyTarget = (path: PathSegment[], target: unknown) => {
    if (!isRecord(target)) return;
    role([...path, 'role'], target.role);
    person([...path, 'person'], target.person);
  };

  for (const [i, p] of entries(data, 'people')) {
    list(p.roles).forEach((r, j) => role(['people', i, 'roles', j], r));
  }

  for (const [id, c] of Object.entries(isRecord(data.connectors) ? data.connectors : {})) {
    if (!isRecord(c) || c.type !== 'replica') continue;
    if (c.from === id) error(['connectors', id, 'from'], 'invalid_value', 'a replica cannot copy itself');
    else known(['connectors', id, 'from'], c.from, connectors, 'unknown_connector', 'connector', 'connectors');
  }

  for (const [i, a] of entries(data, 'agents')) {
    const owner = str(a.owner);
    if (owner !== undefined && !people.has(owner)) {
      const listed = people.size === 0 ? 'nobody is listed under people' : `people: ${[...people].join(', ')}`;
      const message = `owner '${owner}' is not a person${didYouMean(owner, people)}; ${listed}`;
      error(['agents', i, 'owner'], 'unknown_person', message);
    }
    const granted = new Set<string>();
    for (const [j, g] of list(a.grants).entries()) {
      if (!isRecord(g)) continue;
      known(
        ['agents', i, 'grants', j, 'connector'],
        g.connector,
        connectors,
        'unknown_connector',
        'connector',
        'connectors',
      );
      for (const o of list(g.objects)) for (const op of list(g.operations)) granted.add(`${String(o)}.${String(op)}`);
    }
    const observeOn = str(a.observe_on);
    if (observeOn !== undefined) {
      const path = ['agents', i, 'observe_on'];
      const all = isRecord(data.connectors) ? data.connectors : {};
      const replicas = new Set(Object.keys(all).filter((id) => isRecord(all[id]) && all[id].type === 'replica'));
      const target = all[observeOn];
      const sources = new Set(
        list(a.grants).flatMap((g) => (isRecord(g) && str(g.connector) ? [String(g.connector)] : [])),
      );
      if (!connectors.has(observeOn)) {
        const choices =
          replicas.size === 0 ? 'no replica connectors are defined' : `replicas defined: ${[...replicas].join(', ')}`;
        error(
          path,
          'unknown_connector',
          `unknown connector '${observeOn}'${didYouMean(observeOn, replicas)}; ${choices}`,
        );
      } else if (!isRecord(target) || target.type !== 'replica') {
        error(
          path,
          'invalid_value',
          `observe_on must name a connector of type replica; '${observeOn}' is ${isRecord(target) ? `type ${String(target.type)}` : 'not a connector'}`,
        );
      } else if (!sources.has(String(target.from))) {
        error(
          path,
          'invalid_value',
          `replica '${observeOn}' copies '${String(target.from)}', which this agent has no grant on; observe_on must name a replica of a connector the agent is granted (granted: ${[...sources].join(', ') || 'none'})`,
        );
      }
    }
    for (const key of keys(a.operation_modes)) {
      if (!granted.has(key)) {
        warn(['agents', i, 'operation_modes', key], 'unused_setting', `no grant of this agent allows '${key}'`);
      }
    }
  }

  for (const [i, p] of entries(data, 'policies')) {
    if (isRecord(p.approvers)) {
      role(['policies', i, 'approvers', 'role'], p.approvers.role);
      const r = str(p.approvers.role);
      const count = typeof p.approvers.count === 'number' ? p.approvers.count : 1;
      const holders = entries(data, 'people').filter(([, q]) => list(q.roles).includes(r)).length;
      if (r !== undefined && roles.has(r) && holders < count) {
        warn(
          ['policies', i, 'approvers', 'count'],
          'approvers_short',
          `needs ${count} approvers with role '${r}' but only ${holders} ${holders === 1 ? 'person has' : 'people have'} it; such actions can never be approved`,
        );
      }
      if (typeof p.effect === 'string' && p.effect !== 'require_approval') {
        warn(
          ['policies', i, 'approvers'],
          'unused_setting',
          `approvers only apply to effect: require_approval (this policy is ${p.effect})`,
        );
      }
    }
  }

  for (const [i, step] of list(isRecord(data.approvals) ? data.approvals.escalation : []).entries()) {
    if (isRecord(step)) notifyTarget(['approvals', 'escalation', i, 'notify'], step.notify);
  }

  for (const [i, b] of entries(data, 'breakers')) {
    const scope = isRecord(b.scope) ? b.scope.agents : undefined;
    if (Array.isArray(scope)) {
      scope.forEach((a, j) =>
        known(['breakers', i, 'scope', 'agents', j], a, agents, 'unknown_agent', 'agent', 'agents'),
      );
    }
    const onTrip = isRecord(b.on_trip) ? b.on_trip : {};
    list(onTrip.notify).forEach((t, j) => notifyTarget(['breakers', i, 'on_trip', 'notify', j], t));
  }

  const admins = entries(data, 'people').filter(([, p]) => list(p.roles).includes('admin'));
  if (people.size > 0 && admins.length === 0) {
    warn(['people'], 'no_admin', 'nobody has the admin role: nobody can change agent modes or reset breakers');
  }
  return { errors, warnings };
}
