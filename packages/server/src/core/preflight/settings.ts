import type { PreflightSettings } from './types.js';

/**
 * The config's `preflight:` section (snake_case, durations in ms; structurally `PreflightConfig`)
 * in the core's terms. Without a section, the checks that need no settings still run and a
 * failure asks a person (`require_approval`): the results are shown to the approver, and a team
 * that wants failures denied says so with `on_fail: deny`.
 */
export function preflightSettings(section?: {
  readonly frequency_cap?: { readonly max: number; readonly per_ms: number };
  readonly freezes: readonly { readonly from: string; readonly to: string; readonly reason?: string }[];
  readonly on_fail: 'deny' | 'require_approval';
}): PreflightSettings {
  return Object.freeze({
    ...(section?.frequency_cap
      ? { frequencyCap: Object.freeze({ max: section.frequency_cap.max, perMs: section.frequency_cap.per_ms }) }
      : {}),
    freezes: Object.freeze([...(section?.freezes ?? [])]),
    onFail: section?.on_fail ?? 'require_approval',
  });
}
