import { describe, expect, it } from 'vitest';
import { loadConfigFromString } from '../../src/config/index.js';
import { criteriaFor } from '../../src/core/shadow/criteria.js';
import { agentDefinitions } from '../../src/wiring.js';
import { exampleConfigText } from '../helpers/gatehouse.js';

const DAY = 86_400_000;

function withPromoteWhen(value: string): string {
  const text = exampleConfigText({ dir: '/tmp/gh-shadow-config' }).replace(
    /(- id: lead-router\n\s+owner: sam\n\s+mode: autonomous[^\n]*\n)/,
    `$1    promote_when: ${value}\n    operation_modes: { contacts.update: autonomous }\n`,
  );
  if (!text.includes('promote_when')) throw new Error('example config changed');
  return text;
}

const load = (value: string) => loadConfigFromString(withPromoteWhen(value), 'gatehouse.yaml', { HOOK_SECRET: 's' });

describe('agents[].promote_when', () => {
  it('compiles criteria, durations and per-operation criteria', () => {
    const r = load(
      '{ min_proposals: 200, precision: 0.95, rule_adherence: 0.99, window: 14d, match_window: 3d, contacts.update: { precision: 0.97, min_days: 7 } }',
    );
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    const agent = r.config.agents.find((a) => a.id === 'lead-router')!;
    expect(agent.promote_when).toEqual({
      min_proposals: 200,
      precision: 0.95,
      rule_adherence: 0.99,
      window_ms: 14 * DAY,
      match_window_ms: 3 * DAY,
      operations: { 'contacts.update': { precision: 0.97, min_days: 7 } },
    });
    expect(criteriaFor(agent.promote_when, 'contacts.update')).toMatchObject({
      min_proposals: 200,
      precision: 0.97,
      min_days: 7,
      window_ms: 14 * DAY,
    });
    expect(agentDefinitions(r.config).get('lead-router')!.operationModes).toEqual({ 'contacts.update': 'autonomous' });
  });

  it('fills the default windows', () => {
    const r = load('{ precision: 0.9 }');
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    expect(r.config.agents.find((a) => a.id === 'lead-router')!.promote_when).toEqual({
      precision: 0.9,
      window_ms: 14 * DAY,
      match_window_ms: 7 * DAY,
      operations: {},
    });
  });

  it.each([
    ['{ precison: 0.9 }', "unknown key 'precison'"],
    ['{ precision: 1.5 }', 'precision'],
    ['{ window: 14 }', 'window'],
    ['{ contacts.update: { precison: 0.9 } }', 'precison'],
    ['{ contacts.update: 0.9 }', 'contacts.update'],
  ])('refuses %s naming the problem', (value, needle) => {
    const r = load(value);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.diagnostics.map((d) => `${d.path} ${d.message}`).join('\n');
    expect(text).toContain(needle);
    expect(text).toContain('promote_when');
  });
});
