import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from './diagnostics.js';
import { loadConfigFromString } from './load.js';
import { starterConfig } from './template.js';

describe('starterConfig', () => {
  it('loads without errors, warnings or environment variables', () => {
    const result = loadConfigFromString(starterConfig(), 'gatehouse.yaml', {});
    if (!result.ok) throw new Error(result.diagnostics.map(formatDiagnostic).join('\n'));
    expect(result.warnings).toEqual([]);
  });

  it('holds what the brief promises: sandbox, two people, an observe agent, a launch approval, a breaker', () => {
    const result = loadConfigFromString(starterConfig(), 'gatehouse.yaml', {});
    if (!result.ok) return expect.unreachable();
    const c = result.config;
    expect(Object.values(c.connectors).map((x) => x.type)).toEqual(['sandbox']);
    expect(c.people).toHaveLength(2);
    expect(c.agents.map((a) => a.mode)).toEqual(['observe']);
    const launch = c.policies[0];
    expect(launch?.effect).toBe('require_approval');
    expect(launch?.when.expr.evaluate({ action: { operation: 'launch' } })).toBe(true);
    expect(c.breakers).toHaveLength(1);
  });

  it('explains itself with comments', () => {
    expect(
      starterConfig()
        .split('\n')
        .filter((l) => l.trimStart().startsWith('#')).length,
    ).toBeGreaterThan(5);
  });
});
