/** The example agents' scripted fallback model lives in `@gatehouse/agent-tools/testing`. */
export { scriptedModel, type Script, type ScriptTurn, type ToolEvent } from '@gatehouse/agent-tools/testing';
