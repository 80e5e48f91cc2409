/**
 * Broken variants of the example config, each one targeted text edit away from it. Each must
 * fail with a diagnostic on the exact line (the line holding `at` in the edited text), with the
 * exact field path and code, and a message that says what is wrong.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from './diagnostics.js';
import type { Env } from './interpolate.js';
import { loadConfigFromString } from './load.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const EXAMPLE = readFileSync(resolve(repoRoot, '../shared/gatehouse.example.yaml'), 'utf8');

interface Variant {
  name: string;
  /** Text of the example to replace (must occur exactly once) and its replacement. */
  from: string;
  to: string;
  env?: Env;
  /** Text on the line the diagnostic must point at, in the edited file. */
  at: string;
  /** Expected column, where the test pins it. */
  column?: number;
  path: string;
  code: string;
  message: RegExp;
}

const VARIANTS: Variant[] = [
  {
    name: "typo'd key",
    from: 'objects: [contacts]',
    to: 'objets: [contacts]',
    at: 'objets:',
    column: 9,
    path: 'agents[0].grants[0].objets',
    code: 'unknown_key',
    message: /^unknown key 'objets' \(did you mean 'objects'\?\)$/,
  },
  {
    name: 'wrong type',
    from: 'seed: 42',
    to: 'seed: forty-two',
    at: 'seed: forty-two',
    column: 11,
    path: 'connectors.crm.seed',
    code: 'invalid_type',
    message: /must be a number \(got 'forty-two'\)/,
  },
  {
    name: 'unknown role on a person',
    from: 'roles: [approver] }',
    to: 'roles: [approvr] }',
    at: 'id: lee',
    path: 'people[2].roles[0]',
    code: 'unknown_role',
    message: /unknown role 'approvr' \(did you mean 'approver'\?\)/,
  },
  {
    name: 'owner is not a person',
    from: 'owner: sam',
    to: 'owner: samuel',
    at: 'owner: samuel',
    column: 12,
    path: 'agents[0].owner',
    code: 'unknown_person',
    message: /owner 'samuel' is not a person.*maria, sam, lee, ana/,
  },
  {
    name: 'CEL that does not compile',
    from: '"changes.records > 100"',
    to: '"changes.records >> 100"',
    at: 'changes.records >> 100',
    path: 'policies[1].when',
    code: 'invalid_cel',
    message: /^invalid CEL: does not compile: at 1:\d+/,
  },
  {
    name: 'unknown CEL variable in a policy',
    from: "action.object == 'price_book'",
    to: "acton.object == 'price_book'",
    at: 'acton.object',
    path: 'policies[2].when',
    code: 'invalid_cel',
    message: /unknown variable 'acton'; available here: agent, action/,
  },
  {
    name: 'policy variable in a grant filter',
    from: `where: "record.country in ['US', 'CA']"`,
    to: `where: "action.object == 'contacts'"`,
    at: 'where: "action.object',
    path: 'agents[0].grants[0].where',
    code: 'invalid_cel',
    message: /unknown variable 'action'; available here: record$/,
  },
  {
    name: 'missing environment variable',
    from: '${HOOK_SECRET}',
    to: '${HOOK_TOKEN}',
    env: { HOOK_SECRET: 'set, but not the one used' },
    at: '${HOOK_TOKEN}',
    path: 'notifications[0].secret',
    code: 'missing_env',
    message: /environment variable HOOK_TOKEN is not set/,
  },
  {
    name: 'bad duration',
    from: 'window: 10m',
    to: 'window: 10 minutes',
    at: 'window: 10 minutes',
    path: 'breakers[1].window',
    code: 'invalid_duration',
    message: /must be a duration such as .*\(got '10 minutes'\)/,
  },
  {
    name: 'unit-less duration',
    from: 'expire_after: 24h',
    to: 'expire_after: 24',
    at: 'expire_after: 24',
    path: 'approvals.expire_after',
    code: 'invalid_duration',
    message: /\(got 24\)/,
  },
  {
    name: 'absurdly long duration',
    from: 'expire_after: 24h',
    to: 'expire_after: 9999999d',
    at: 'expire_after: 9999999d',
    path: 'approvals.expire_after',
    code: 'invalid_duration',
    message: /must be at most 3650d \(got '9999999d'\)/,
  },
  {
    name: 'duplicate agent id',
    from: '- id: campaign-runner',
    to: '- id: lead-router   # pasted from above',
    at: '# pasted from above',
    path: 'agents[2].id',
    code: 'duplicate_id',
    message: /duplicate agent id 'lead-router' \(also agents\[0\]\)/,
  },
  {
    name: 'duplicate person id',
    from: '{ id: lee, ',
    to: '{ id: sam, ',
    at: 'Lee Park',
    path: 'people[2].id',
    code: 'duplicate_id',
    message: /duplicate person id 'sam' \(also people\[1\]\)/,
  },
  {
    name: 'duplicate policy id',
    from: '- id: big-batches-need-two',
    to: '- id: launches-need-approval   # pasted from above',
    at: '# pasted from above',
    path: 'policies[1].id',
    code: 'duplicate_id',
    message: /duplicate policy id 'launches-need-approval'/,
  },
  {
    name: 'duplicate breaker id',
    from: '- id: agent-errors',
    to: '- id: ctr-drop   # pasted from above',
    at: '# pasted from above',
    path: 'breakers[1].id',
    code: 'duplicate_id',
    message: /duplicate breaker id 'ctr-drop'/,
  },
  {
    name: 'grant to an unknown connector',
    from: '      - connector: crm\n        objects: [campaigns, lists]',
    to: '      - connector: hubspot\n        objects: [campaigns, lists]',
    at: 'connector: hubspot',
    path: 'agents[2].grants[0].connector',
    code: 'unknown_connector',
    message: /unknown connector 'hubspot'; connectors defined: crm/,
  },
  {
    name: 'breaker scope names an unknown agent',
    from: '[subject-optimizer]',
    to: '[subject-optimiser]',
    at: 'subject-optimiser',
    column: 23,
    path: 'breakers[0].scope.agents[0]',
    code: 'unknown_agent',
    message: /unknown agent 'subject-optimiser' \(did you mean 'subject-optimizer'\?\)/,
  },
  {
    name: 'bad mode',
    from: 'mode: gated ',
    to: 'mode: gatd ',
    at: 'mode: gatd',
    path: 'agents[2].mode',
    code: 'invalid_value',
    message: /must be one of observe, gated, autonomous, paused \(got 'gatd'\) \(did you mean 'gated'\?\)/,
  },
  {
    name: 'YAML syntax error',
    from: 'when: "action.operation == \'launch\'"',
    to: "when: \"action.operation == 'launch'",
    at: "when: \"action.operation == 'launch'",
    path: '',
    code: 'yaml_syntax',
    message: /^YAML syntax error: Missing closing "quote/,
  },
  {
    name: 'duplicate key',
    from: '  listen: 127.0.0.1:4100',
    to: '  listen: 127.0.0.1:4100\n  listen: 0.0.0.0:4100',
    at: 'listen: 0.0.0.0',
    path: '',
    code: 'yaml_syntax',
    message: /Map keys must be unique/,
  },
  {
    name: 'unknown approver role',
    from: 'role: approver, count: 2',
    to: 'role: approvers, count: 2',
    at: 'role: approvers',
    path: 'policies[1].approvers.role',
    code: 'unknown_role',
    message:
      /unknown role 'approvers' \(did you mean 'approver'\?\); roles defined: admin, approver, auditor, responder/,
  },
  {
    name: 'unknown connector type',
    from: 'type: sandbox ',
    to: 'type: sandbx ',
    at: 'type: sandbx',
    path: 'connectors.crm.type',
    code: 'invalid_value',
    message: /must be one of sandbox, hubspot, replica \(got 'sandbx'\) \(did you mean 'sandbox'\?\)/,
  },
  {
    name: 'missing required key',
    from: '    owner: maria\n    mode: observe',
    to: '    mode: observe',
    at: '- id: subject-optimizer',
    path: 'agents[1].owner',
    code: 'missing_key',
    message: /^missing required key 'owner'$/,
  },
  {
    name: 'value out of range',
    from: 'confidence: 0.95',
    to: 'confidence: 1.5',
    at: 'confidence: 1.5',
    path: 'breakers[0].trip_when.confidence',
    code: 'out_of_range',
    message: /must be less than 1 \(got 1.5\)/,
  },
  {
    name: 'drop_pct without a baseline',
    from: '    baseline: trailing_7d\n',
    to: '',
    at: 'drop_pct: 40',
    path: 'breakers[0].trip_when.drop_pct',
    code: 'missing_key',
    message: /add baseline: trailing_7d/,
  },
  {
    name: 'notification target with both role and person',
    from: 'notify: [{ role: responder }] }',
    to: 'notify: [{ role: responder, person: sam }] }',
    at: 'person: sam',
    path: 'breakers[1].on_trip.notify[0]',
    code: 'invalid_value',
    message: /give exactly one of role or person/,
  },
  {
    name: 'unsupported version',
    from: 'version: 1',
    to: 'version: 2',
    at: 'version: 2',
    path: 'version',
    code: 'invalid_value',
    message: /reads version: 1 only \(got 2\)/,
  },
  {
    name: "typo'd section",
    from: 'breakers:',
    to: 'breakrs:',
    at: 'breakrs:',
    column: 1,
    path: 'breakrs',
    code: 'unknown_key',
    message: /did you mean 'breakers'/,
  },
];

const lineOf = (text: string, needle: string): number => {
  const lines = text.split('\n').flatMap((l, i) => (l.includes(needle) ? [i + 1] : []));
  if (lines.length !== 1) throw new Error(`'${needle}' is on ${lines.length} lines of the edited file; make it unique`);
  return lines[0]!;
};

describe('broken variants of the example', () => {
  it.each(VARIANTS)('$name', (v) => {
    expect(EXAMPLE.split(v.from), `'${v.from}' must occur exactly once in the example`).toHaveLength(2);
    const text = EXAMPLE.replace(v.from, v.to);
    const result = loadConfigFromString(text, 'gatehouse.yaml', v.env ?? { HOOK_SECRET: 's' });
    expect(result.ok).toBe(false);
    if (result.ok) return;

    const hit = result.diagnostics.find((d) => d.path === v.path && d.code === v.code);
    expect(hit, result.diagnostics.map(formatDiagnostic).join('\n')).toBeDefined();
    expect(hit!.line).toBe(lineOf(text, v.at));
    if (v.column !== undefined) expect(hit!.column).toBe(v.column);
    expect(hit!.message).toMatch(v.message);
    expect(hit!.file).toBe('gatehouse.yaml');
    // One edit, one problem: nothing else in the file is blamed.
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([formatDiagnostic(hit!)]);
  });

  it('formats a diagnostic as file:line:column path: message', () => {
    const text = EXAMPLE.replace('objects: [contacts]', 'objets: [contacts]');
    const result = loadConfigFromString(text, 'gatehouse.yaml', { HOOK_SECRET: 's' });
    expect(!result.ok && result.diagnostics.map(formatDiagnostic)).toEqual([
      `gatehouse.yaml:${lineOf(text, 'objets')}:9 agents[0].grants[0].objets: unknown key 'objets' (did you mean 'objects'?)`,
    ]);
  });
});
