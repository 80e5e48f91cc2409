export * from './errors.js';
export * from './actions.js';
export * from './records.js';
export * from './kpis.js';
