/**
 * `gatehouse check [--config F]`: exit 0 and a one-line summary when the file is valid,
 * 1 with every diagnostic when it is not, 2 when the file cannot be read at all.
 */
import { formatDiagnostic } from './diagnostics.js';
import type { Env } from './interpolate.js';
import { CONFIG_UNREADABLE, loadConfig } from './load.js';

export interface CheckOutcome {
  readonly exitCode: 0 | 1 | 2;
  readonly output: string;
}

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function checkConfig(path: string, env: Env = process.env): CheckOutcome {
  const result = loadConfig(path, env);
  if (!result.ok) {
    const lines = result.diagnostics.map(formatDiagnostic);
    if (result.diagnostics.some((d) => d.code === CONFIG_UNREADABLE)) {
      return {
        exitCode: 2,
        output: `${lines.join('\n')}\n(use --config to point at another file; \`gatehouse init\` writes a starter)`,
      };
    }
    const total = count(result.diagnostics.length, 'problem', 'problems');
    return { exitCode: 1, output: [...lines, `INVALID: ${path} (${total})`].join('\n') };
  }
  const c = result.config;
  const summary = [
    count(c.people.length, 'person', 'people'),
    count(c.agents.length, 'agent', 'agents'),
    count(c.policies.length, 'policy', 'policies'),
    count(c.breakers.length, 'breaker', 'breakers'),
    count(Object.keys(c.connectors).length, 'connector', 'connectors'),
  ].join(', ');
  const warnings = result.warnings.map((w) => `warning: ${formatDiagnostic(w)}`);
  return { exitCode: 0, output: [`OK: ${path} (${summary})`, ...warnings].join('\n') };
}
