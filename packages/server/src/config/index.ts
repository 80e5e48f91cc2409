/** gatehouse.yaml: loading, checking and the starter template. */
export { loadConfig, loadConfigFromString, configOrThrow, CONFIG_UNREADABLE, type ConfigResult } from './load.js';
export { formatDiagnostic, type Diagnostic } from './diagnostics.js';
export { checkConfig, type CheckOutcome } from './check.js';
export { starterConfig } from './template.js';
export { contentVersion } from './compile.js';
export { parseDuration } from './duration.js';
export type { Env } from './interpolate.js';
export { BUILT_IN_ROLES, AGENT_MODES } from './schema.js';
export type * from './types.js';
