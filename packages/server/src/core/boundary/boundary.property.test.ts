/**
 * Property tests: for random grants over a small universe, nothing outside a grant is ever
 * shown or written. The oracles below restate the rules independently of the implementation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileCel, type CompiledCel } from '../cel.js';
import { checkWrite } from './check-write.js';
import { projectRecord } from './project-record.js';
import { checkRecordInScope } from './scope.js';
import type { AgentBoundary, CrmRecord, Grant, WriteAction } from './types.js';

const CONNECTORS = ['crm', 'erp'] as const;
const OBJECTS = ['contacts', 'deals', 'price_book'] as const;
const OPERATIONS = ['read', 'update', 'create', 'launch'] as const;
const FIELDS = ['email', 'firstname', 'country', 'owner_id', 'score'] as const;
const PII = new Set<string>(['email', 'firstname']);
const SECRET = { hashSecret: 'prop-secret' };

// Segment filters, including ones that error (missing property, string > int) or return a string.
const WHERES: readonly CompiledCel[] = [
  "record.country in ['US', 'CA']",
  "record.country == 'DE'",
  'record.score > 5',
  "record.nope == 'x'",
  'record.country',
  'true',
  'false',
  "record.id.startsWith('a')",
  // Errors that quote the value they failed on.
  'int(record.email) > 1',
  "{'x': 1}[record.firstname] == 1",
].map((s) => {
  const r = compileCel(s, 'where');
  if (!r.ok) throw new Error(r.message);
  return r.expr;
});

const subset = <T>(xs: readonly T[]) => fc.subarray([...xs]);

const grantArb: fc.Arbitrary<Grant> = fc.record(
  {
    connector: fc.constantFrom(...CONNECTORS),
    objects: subset(OBJECTS),
    operations: subset(OPERATIONS),
    readFields: subset(FIELDS),
    writeFields: subset(FIELDS),
    where: fc.constantFrom(...WHERES),
    pii: fc.constantFrom('mask' as const, 'hash' as const, 'allow' as const),
  },
  { requiredKeys: ['connector', 'objects', 'operations', 'pii'] },
);

const agentArb: fc.Arbitrary<AgentBoundary> = fc.record(
  {
    id: fc.constant('agent-x'),
    grants: fc.array(grantArb, { maxLength: 4 }),
    limits: fc.record({ maxBatch: fc.integer({ min: 0, max: 5 }) }, { requiredKeys: [] }),
  },
  { requiredKeys: ['id', 'grants'] },
);

// PII values are uppercase and at least 4 characters, everything else lowercase or digits, so a
// raw PII value can only appear in the output if it leaked (masks add `***`, hashes are lowercase hex).
const piiValue = fc.oneof(fc.stringMatching(/^PII[A-Z]{1,8}$/), fc.stringMatching(/^PII[A-Z]{1,6}@example\.com$/));
const recordArb: fc.Arbitrary<CrmRecord> = fc.record({
  id: fc.constantFrom('a1', 'b2', 'a3'),
  properties: fc.record(
    {
      email: fc.option(piiValue),
      firstname: fc.option(piiValue),
      country: fc.option(fc.constantFrom('US', 'CA', 'DE')),
      owner_id: fc.constantFrom('u1', 'u2'),
      score: fc.constantFrom('1', '7', 'x'),
    },
    { requiredKeys: [] },
  ),
});

const whereHolds = (g: Grant, r: CrmRecord): boolean =>
  g.where === undefined || g.where.evaluate({ record: { ...r.properties, id: r.id } }) === true;

describe('boundary properties', () => {
  it('projectRecord never shows an unreadable field, an out-of-scope record or raw PII', () => {
    fc.assert(
      fc.property(fc.array(grantArb, { maxLength: 4 }), recordArb, (grants, record) => {
        const view = projectRecord(grants, record, PII, SECRET);
        const covering = grants.filter((g) => g.operations.includes('read') && whereHolds(g, record));
        if (covering.length === 0) {
          expect(view).toBeUndefined();
          return;
        }
        expect(view).toBeDefined();
        if (!view) return;
        expect(view.id).toBe(record.id);
        for (const field of Object.keys(view.properties)) {
          expect(field in record.properties).toBe(true);
          expect(covering.some((g) => g.readFields === undefined || g.readFields.includes(field))).toBe(true);
        }
        if (covering.some((g) => g.pii !== 'allow')) {
          const shown = JSON.stringify(view);
          for (const field of PII) {
            const raw = record.properties[field];
            if (typeof raw === 'string') expect(shown).not.toContain(raw);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('checkWrite never permits an ungranted connector, object, operation, field or batch size', () => {
    const actionArb: fc.Arbitrary<WriteAction> = fc.record({
      connector: fc.constantFrom(...CONNECTORS),
      object: fc.constantFrom(...OBJECTS),
      operation: fc.constantFrom(...OPERATIONS),
      records: fc.array(
        fc.record({
          id: fc.constantFrom('a1', 'b2'),
          changes: fc.dictionary(fc.constantFrom(...FIELDS), fc.constant('v'), { maxKeys: 3 }),
        }),
        { maxLength: 7 },
      ),
    });
    fc.assert(
      fc.property(agentArb, actionArb, (agent, action) => {
        const result = checkWrite(agent, action);
        const fields = new Set((action.records ?? []).flatMap((r) => Object.keys(r.changes)));
        const permitting = agent.grants.filter(
          (g) =>
            g.connector === action.connector &&
            g.objects.includes(action.object) &&
            g.operations.includes(action.operation) &&
            [...fields].every((f) => g.writeFields?.includes(f)),
        );
        const maxBatch = agent.limits?.maxBatch;
        const withinBatch = maxBatch === undefined || (action.records ?? []).length <= maxBatch;
        // Sound and complete: ok exactly when one grant permits everything and the batch fits.
        expect(result.ok).toBe(permitting.length > 0 && withinBatch);
        if (result.ok) {
          expect(permitting).toContain(result.grant);
          expect(result.grants).toEqual(permitting);
        } else if (!agent.grants.some((g) => g.connector === action.connector)) {
          expect(result.code).toBe('connector_not_granted');
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('a record is in scope exactly when some grant’s where returns true, and refusals quote no PII', () => {
    fc.assert(
      fc.property(fc.array(grantArb, { minLength: 1, maxLength: 3 }), recordArb, (grants, record) => {
        const result = checkRecordInScope(grants, record);
        expect(result.ok).toBe(grants.some((g) => whereHolds(g, record)));
        // Refusal details (errors included) never quote a PII value.
        for (const field of PII) {
          const raw = record.properties[field];
          if (typeof raw === 'string') expect(JSON.stringify(result)).not.toContain(raw);
        }
      }),
      { numRuns: 500 },
    );
  });
});
