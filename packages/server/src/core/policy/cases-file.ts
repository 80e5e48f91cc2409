/**
 * The policy test file (`gatehouse policy test CASES.yaml`), in the spirit of `opa test` and
 * Cerbos `*_test.yaml`: a table of inputs and the decisions expected for them.
 *
 * ```yaml
 * cases:
 *   - name: launches need approval
 *     agent: { id: campaign-runner, mode: gated, owner: maria }
 *     action: { connector: crm, object: campaigns, operation: launch, reason: "spring launch" }
 *     changes: { records: 1, fields: 0, irreversible: 1 }   # optional, counts default to 0
 *     now: "2026-03-02T10:00:00Z"                           # optional, default: the clock
 *     checks: { consent: { ok: true } }                     # optional
 *     expect: { effect: require_approval, rules: [launches-need-approval] }
 * ```
 *
 * `expect` may also state `defaulted`, `approvers` and `checklist`; what it leaves out is not
 * compared. Every mistake in the file (unknown keys, wrong types, a rule id no policy has) is an
 * error naming the file, line and column, because a typo that silently passes is worse than none.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type YAMLSeq } from 'yaml';
import { GatehouseError } from '../errors.js';
import { EFFECTS, type Approvers, type CheckResult, type Effect, type PolicyInput } from './types.js';

export interface ExpectedDecision {
  readonly effect: Effect;
  readonly rules?: readonly string[];
  readonly defaulted?: boolean;
  readonly approvers?: readonly Approvers[];
  readonly checklist?: readonly string[];
}

export interface PolicyCase {
  readonly name: string;
  readonly line: number;
  /** `now` absent: the runner fills it from its clock. */
  readonly input: Omit<PolicyInput, 'now'> & { readonly now?: Date };
  readonly expect: ExpectedDecision;
}

export const INVALID_POLICY_CASES = 'invalid_policy_cases';

export function parsePolicyCases(text: string, fileName: string, ruleIds: ReadonlySet<string>): PolicyCase[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  const [syntax] = doc.errors;
  if (syntax) {
    const pos = syntax.linePos?.[0] ?? { line: 1, col: 1 };
    throw invalid(fileName, pos.line, pos.col, firstLine(syntax.message));
  }
  const r = reader(fileName, lineCounter);
  const root = r.fields(doc.contents, 'the file', ['cases']);
  const casesNode = r.required(root, 'cases', doc.contents as Node, 'the file');
  if (!isSeq(casesNode) || casesNode.items.length === 0) return r.fail(casesNode, "'cases' must be a non-empty list");
  return casesNode.items.map((item, i) => parseCase(r, item as Node, `cases[${i}]`, ruleIds));
}

function parseCase(r: Reader, node: Node, where: string, ruleIds: ReadonlySet<string>): PolicyCase {
  const c = r.fields(node, where, ['name', 'agent', 'action', 'changes', 'now', 'checks', 'expect']);
  const agentNode = r.required(c, 'agent', node, where);
  const agent = r.fields(agentNode, `${where}.agent`, ['id', 'mode', 'owner']);
  const actionNode = r.required(c, 'action', node, where);
  const action = r.fields(actionNode, `${where}.action`, ['connector', 'object', 'operation', 'reason']);
  const changesNode = c.get('changes');
  const changes = changesNode
    ? r.fields(changesNode, `${where}.changes`, ['records', 'fields', 'irreversible'])
    : new Map<string, Node>();
  const text = (m: Map<string, Node>, parent: Node, what: string, key: string, fallback?: string): string => {
    const value = m.get(key);
    if (value === undefined && fallback !== undefined) return fallback;
    return r.str(r.required(m, key, parent, what), `${what}.${key}`);
  };
  const nowNode = c.get('now');
  const now = nowNode ? parseNow(r, nowNode, `${where}.now`) : undefined;
  const checksNode = c.get('checks');
  const checks = checksNode ? parseChecks(r, checksNode, `${where}.checks`) : undefined;

  return {
    name: r.str(r.required(c, 'name', node, where), `${where}.name`),
    line: r.at(node).line,
    input: {
      agent: {
        id: text(agent, agentNode, `${where}.agent`, 'id'),
        mode: text(agent, agentNode, `${where}.agent`, 'mode', 'autonomous'),
        owner: text(agent, agentNode, `${where}.agent`, 'owner', ''),
      },
      action: {
        connector: text(action, actionNode, `${where}.action`, 'connector'),
        object: text(action, actionNode, `${where}.action`, 'object'),
        operation: text(action, actionNode, `${where}.action`, 'operation'),
        reason: text(action, actionNode, `${where}.action`, 'reason', ''),
      },
      changes: {
        records: r.count(changes.get('records'), `${where}.changes.records`),
        fields: r.count(changes.get('fields'), `${where}.changes.fields`),
        irreversible: r.count(changes.get('irreversible'), `${where}.changes.irreversible`),
      },
      ...(now ? { now } : {}),
      ...(checks ? { checks } : {}),
    },
    expect: parseExpect(r, r.required(c, 'expect', node, where), `${where}.expect`, ruleIds),
  };
}

function parseNow(r: Reader, node: Node, what: string): Date {
  const now = new Date(r.str(node, what));
  return Number.isNaN(now.getTime()) ? r.fail(node, `${what} must be an RFC 3339 timestamp`) : now;
}

function parseChecks(r: Reader, node: Node, what: string): Record<string, CheckResult> {
  if (!isMap(node)) return r.fail(node, `${what} must be a mapping of check name to result`);
  const checks: Record<string, CheckResult> = {};
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const value = pair.value as Node | null;
    const ok = isMap(value) ? (value.get('ok', true) as Node | undefined) : undefined;
    if (!value || !ok) return r.fail(value ?? (pair.key as Node), `${what}.${key} must be a mapping with 'ok'`);
    r.bool(ok, `${what}.${key}.ok`);
    checks[key] = value.toJSON() as CheckResult;
  }
  return checks;
}

function parseExpect(r: Reader, node: Node, what: string, ruleIds: ReadonlySet<string>): ExpectedDecision {
  const e = r.fields(node, what, ['effect', 'rules', 'defaulted', 'approvers', 'checklist']);
  const effectNode = r.required(e, 'effect', node, what);
  const effect = r.str(effectNode, `${what}.effect`);
  if (!isEffect(effect))
    return r.fail(effectNode, `${what}.effect must be one of ${EFFECTS.join(', ')}; got '${effect}'`);

  const rulesNode = e.get('rules');
  const rules = rulesNode ? r.strings(rulesNode, `${what}.rules`) : undefined;
  const unknown = rules?.findIndex((id) => !ruleIds.has(id)) ?? -1;
  if (unknown >= 0) {
    r.fail(
      (rulesNode as YAMLSeq<Node>).items[unknown],
      `no policy has the id '${rules?.[unknown]}'; policies: ${[...ruleIds].join(', ') || '(none)'}`,
    );
  }
  const defaultedNode = e.get('defaulted');
  const checklistNode = e.get('checklist');
  const approversNode = e.get('approvers');
  return {
    effect,
    ...(rules ? { rules } : {}),
    ...(defaultedNode ? { defaulted: r.bool(defaultedNode, `${what}.defaulted`) } : {}),
    ...(checklistNode ? { checklist: r.strings(checklistNode, `${what}.checklist`) } : {}),
    ...(approversNode ? { approvers: parseApprovers(r, approversNode, `${what}.approvers`) } : {}),
  };
}

function parseApprovers(r: Reader, node: Node, what: string): Approvers[] {
  if (!isSeq(node)) return r.fail(node, `${what} must be a list`);
  return node.items.map((item, j) => {
    const a = item as Node;
    const m = r.fields(a, `${what}[${j}]`, ['role', 'count']);
    return {
      role: r.str(r.required(m, 'role', a, `${what}[${j}]`), `${what}[${j}].role`),
      count: r.count(r.required(m, 'count', a, `${what}[${j}]`), `${what}[${j}].count`),
    };
  });
}

const isEffect = (s: string): s is Effect => (EFFECTS as readonly string[]).includes(s);

type Reader = ReturnType<typeof reader>;

/** Typed accessors over YAML nodes; every failure names the file, line and column of the node. */
function reader(fileName: string, lineCounter: LineCounter) {
  const at = (node: Node | null | undefined): { line: number; col: number } =>
    node?.range ? lineCounter.linePos(node.range[0]) : { line: 1, col: 1 };
  const fail = (node: Node | null | undefined, message: string): never => {
    const { line, col } = at(node);
    throw invalid(fileName, line, col, message);
  };
  return {
    at,
    fail,
    /** A mapping's values by key, refusing keys the format does not have (typos must not pass silently). */
    fields(node: unknown, what: string, allowed: readonly string[]): Map<string, Node> {
      if (!isMap(node)) return fail(node as Node, `${what} must be a mapping`);
      const out = new Map<string, Node>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : '';
        if (!allowed.includes(key)) {
          fail(pair.key as Node, `unknown key '${key}' in ${what}; expected one of: ${allowed.join(', ')}`);
        }
        out.set(key, pair.value as Node);
      }
      return out;
    },
    required: (m: Map<string, Node>, key: string, parent: Node, what: string): Node =>
      m.get(key) ?? fail(parent, `${what} is missing '${key}'`),
    str: (node: Node, what: string): string =>
      isScalar(node) && typeof node.value === 'string' && node.value !== ''
        ? node.value
        : fail(node, `${what} must be a non-empty string`),
    count: (node: Node | undefined, what: string): number =>
      node === undefined
        ? 0
        : isScalar(node) && typeof node.value === 'number' && Number.isSafeInteger(node.value) && node.value >= 0
          ? node.value
          : fail(node, `${what} must be a whole number ≥ 0`),
    bool: (node: Node, what: string): boolean =>
      isScalar(node) && typeof node.value === 'boolean' ? node.value : fail(node, `${what} must be true or false`),
    strings: (node: Node, what: string): string[] =>
      isSeq(node)
        ? node.items.map((n, i) =>
            isScalar(n) && typeof n.value === 'string' && n.value !== ''
              ? n.value
              : fail(n as Node, `${what}[${i}] must be a non-empty string`),
          )
        : fail(node, `${what} must be a list of strings`),
  };
}

function invalid(file: string, line: number, column: number, message: string): GatehouseError {
  return new GatehouseError(INVALID_POLICY_CASES, `${file}:${line}:${column}: ${message}`, {
    details: { file, line, column },
  });
}

/** The yaml package's message without its own position suffix and code frame (we prefix file:line:col). */
function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}
