/** The built-in sandbox CRM: a seeded, HubSpot-like marketing CRM behind the connector port. */
export { createSandboxConnector, type SandboxConnector, type SandboxOptions } from './connector.js';
export { generateSandbox, SANDBOX_BASE_DATE, type SandboxSize } from './generator.js';
export { SANDBOX_SCHEMA } from './schema.js';
export {
  createCampaignSimulator,
  subjectQuality,
  type CampaignSimulator,
  type KpiMetric,
  type KpiSample,
  type SimulatorOptions,
} from './simulator.js';
export {
  createPeopleSimulator,
  generatePeopleHistory,
  marketerSubject,
  territoryOwner,
  territoryTable,
  MARKETER_ACTORS,
  PEOPLE_SOURCE,
  REP_ACTORS,
  type BulkPeopleOptions,
  type PeopleOptions,
  type PeopleSimulator,
  type PeopleWorkSummary,
  type PersonChange,
  type TerritoryTable,
} from './people.js';
