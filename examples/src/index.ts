/**
 * The example agents, each a `run(client, options)` against `@gatehouse/sdk`. `gatehouse demo`
 * drives them over loopback HTTP; each also has a runnable entry (`<agent>/main.ts`).
 */
export * as leadRouter from './lead-router/index.js';
export * as subjectOptimizer from './subject-optimizer/index.js';
export * as campaignRunner from './campaign-runner/index.js';
export { scriptedModel, type Script, type ScriptTurn, type ToolEvent } from './scripted-model.js';
export { clientFromEnv, modelFromEnv, ConfigError } from './env.js';
