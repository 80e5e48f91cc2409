import { describe, expect, it } from 'vitest';
import { compileCel, type CompiledCel } from '../cel.js';
import { checkWrite } from './check-write.js';
import { hashValue, maskValue } from './pii.js';
import { projectRecord } from './project-record.js';
import { checkRecordInScope, readGrantsFor } from './scope.js';
import type { AgentBoundary, CrmRecord, Grant } from './types.js';

const where = (source: string): CompiledCel => {
  const r = compileCel(source, 'where');
  if (!r.ok) throw new Error(r.message);
  return r.expr;
};

// The three agents of gatehouse.example.yaml.
const leadRouterGrant: Grant = {
  connector: 'crm',
  objects: ['contacts'],
  operations: ['read', 'update'],
  readFields: ['email', 'firstname', 'lifecyclestage', 'country', 'owner_id', 'lead_score'],
  writeFields: ['owner_id'],
  where: where("record.country in ['US', 'CA']"),
  pii: 'mask',
};
const leadRouter: AgentBoundary = {
  id: 'lead-router',
  grants: [leadRouterGrant],
  limits: { maxBatch: 200, actionsPerMinute: 120 },
};
const campaignRunner: AgentBoundary = {
  id: 'campaign-runner',
  grants: [{ connector: 'crm', objects: ['campaigns', 'lists'], operations: ['read', 'launch', 'pause'], pii: 'mask' }],
};
const pii = new Set(['email', 'firstname', 'phone']);
const secret = { hashSecret: 'server-secret' };

const contact = (id: string, properties: Record<string, string | null>): CrmRecord => ({ id, properties });
const maria = contact('c_1', {
  email: 'maria@example.com',
  firstname: 'Maria',
  phone: '+1 555 0100',
  country: 'US',
  owner_id: 'u_2',
  lifecyclestage: 'lead',
  lead_score: '42',
  notes: 'internal',
});
const update = (n: number, changes: Record<string, unknown> = { owner_id: 'u_7' }) => ({
  connector: 'crm',
  object: 'contacts',
  operation: 'update',
  records: Array.from({ length: n }, (_, i) => ({ id: `c_${i}`, changes })),
});

describe('checkWrite', () => {
  it('allows a granted write and returns the grant', () => {
    const r = checkWrite(leadRouter, update(1));
    expect(r).toMatchObject({ ok: true, grant: leadRouterGrant });
  });

  it('refuses in order: connector, object, operation, batch, field', () => {
    expect(checkWrite(leadRouter, { ...update(1), connector: 'hubspot' })).toMatchObject({
      ok: false,
      code: 'connector_not_granted',
    });
    expect(checkWrite(leadRouter, { ...update(1), object: 'deals' })).toMatchObject({ code: 'object_not_granted' });
    expect(checkWrite(leadRouter, { ...update(1), operation: 'delete' })).toMatchObject({
      code: 'operation_not_granted',
      message: 'lead-router may not delete contacts',
      details: { granted: ['read', 'update'] },
    });
    // An oversized batch that also writes a forbidden field is refused for its size first.
    expect(checkWrite(leadRouter, update(201, { lifecyclestage: 'mql' }))).toMatchObject({
      code: 'batch_too_large',
      details: { records: 201, maxBatch: 200 },
    });
    expect(checkWrite(leadRouter, update(200)).ok).toBe(true);
  });

  it('names the agent, object and field of a forbidden write', () => {
    const r = checkWrite(leadRouter, update(3, { owner_id: 'u_7', lifecyclestage: 'customer' }));
    expect(r).toMatchObject({
      ok: false,
      code: 'field_not_writable',
      message: 'lead-router may not write contacts.lifecyclestage',
      details: { field: 'lifecyclestage', writable: ['owner_id'] },
    });
  });

  it('treats absent writeFields as no property writes, but allows non-record operations', () => {
    expect(
      checkWrite(campaignRunner, {
        connector: 'crm',
        object: 'campaigns',
        operation: 'launch',
        records: [{ id: 'cmp_1', changes: { name: 'x' } }],
      }),
    ).toMatchObject({ code: 'field_not_writable', message: 'campaign-runner may not write campaigns.name' });
    expect(
      checkWrite(campaignRunner, { connector: 'crm', object: 'campaigns', operation: 'launch', target: 'cmp_1' }).ok,
    ).toBe(true);
  });

  it('does not pair one grant’s fields with another grant’s segment', () => {
    const agent: AgentBoundary = {
      id: 'a',
      grants: [
        { connector: 'crm', objects: ['contacts'], operations: ['update'], writeFields: ['owner_id'], pii: 'mask' },
        { connector: 'crm', objects: ['contacts'], operations: ['update'], writeFields: ['lead_score'], pii: 'mask' },
      ],
    };
    expect(checkWrite(agent, update(1, { owner_id: 'x' })).ok).toBe(true);
    expect(checkWrite(agent, update(1, { owner_id: 'x', lead_score: '3' }))).toMatchObject({
      code: 'field_not_writable',
      message: expect.stringContaining('no single grant') as string,
    });
  });
});

describe('checkRecordInScope', () => {
  it('evaluates where against the record as read', () => {
    expect(checkRecordInScope(leadRouterGrant, maria).ok).toBe(true);
    const de = contact('c_2', { ...maria.properties, country: 'DE' });
    expect(checkRecordInScope(leadRouterGrant, de)).toMatchObject({ ok: false, code: 'record_out_of_scope' });
  });

  it('fails closed when where errors or is not a boolean', () => {
    const noCountry = contact('c_3', { email: 'x@y.z' });
    const r = checkRecordInScope(leadRouterGrant, noCountry);
    expect(r).toMatchObject({ ok: false, code: 'record_out_of_scope' });
    if (!r.ok)
      expect(r.details.errors).toEqual([{ where: "record.country in ['US', 'CA']", error: expect.any(String) }]);
    const nonBool = { ...leadRouterGrant, where: where('record.country') };
    expect(checkRecordInScope(nonBool, maria)).toMatchObject({
      ok: false,
      details: { errors: [{ error: 'where returned a string, not a boolean' }] },
    });
  });

  it('never quotes a property value in a where error', () => {
    const convert = { ...leadRouterGrant, where: where('int(record.email) > 1') };
    const r = checkRecordInScope(convert, maria);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.details.errors).toEqual([
        { where: 'int(record.email) > 1', error: 'Cannot convert <record.email> to a BigInt' },
      ]);
    expect(JSON.stringify(r)).not.toContain('maria@example.com');
  });

  it('exposes the record id to where', () => {
    const byId = { ...leadRouterGrant, where: where("record.id == 'c_1'") };
    expect(checkRecordInScope(byId, maria).ok).toBe(true);
  });

  it('is in scope when any of several grants has the record', () => {
    const ca = { ...leadRouterGrant, where: where("record.country == 'DE'") };
    const de = contact('c_2', { ...maria.properties, country: 'DE' });
    expect(checkRecordInScope([leadRouterGrant, ca], de)).toMatchObject({ ok: true, grant: ca });
  });
});

describe('projectRecord', () => {
  it('keeps readable fields and masks PII', () => {
    expect(projectRecord(leadRouterGrant, maria, pii, secret)).toEqual({
      id: 'c_1',
      properties: {
        email: 'm***@example.com',
        firstname: 'M***',
        country: 'US',
        owner_id: 'u_2',
        lifecyclestage: 'lead',
        lead_score: '42',
      },
    });
  });

  it('hides records outside the segment (the caller answers 404)', () => {
    expect(projectRecord(leadRouterGrant, contact('c_2', { country: 'DE' }), pii, secret)).toBeUndefined();
    expect(projectRecord(leadRouterGrant, contact('c_3', {}), pii, secret)).toBeUndefined();
  });

  it('reads all properties when readFields is absent, and null stays null', () => {
    const all: Grant = { connector: 'crm', objects: ['contacts'], operations: ['read'], pii: 'mask' };
    const view = projectRecord(all, contact('c_4', { ...maria.properties, firstname: null }), pii, secret);
    expect(view?.properties).toMatchObject({ firstname: null, phone: '+***', notes: 'internal' });
  });

  it('hashes with a keyed, joinable, irreversible digest', () => {
    const hashed: Grant = { ...leadRouterGrant, pii: 'hash' };
    const view = projectRecord(hashed, maria, pii, secret);
    expect(view?.properties.email).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(view?.properties.email).toBe(hashValue('maria@example.com', 'server-secret'));
    expect(hashValue('maria@example.com', 'other-secret')).not.toBe(view?.properties.email);
    expect(JSON.stringify(view)).not.toMatch(/maria|Maria/);
  });

  it('shows raw values under allow', () => {
    const view = projectRecord({ ...leadRouterGrant, pii: 'allow' }, maria, pii, secret);
    expect(view?.properties.email).toBe('maria@example.com');
  });

  it('ignores grants without the read operation', () => {
    const writeOnly: Grant = { ...leadRouterGrant, operations: ['update'] };
    expect(projectRecord(writeOnly, maria, pii, secret)).toBeUndefined();
    expect(readGrantsFor({ id: 'w', grants: [writeOnly] }, 'crm', 'contacts')).toEqual([]);
  });

  it('unions fields of matching grants and applies the strictest PII mode', () => {
    const everyone: Grant = {
      connector: 'crm',
      objects: ['contacts'],
      operations: ['read'],
      readFields: ['notes', 'email'],
      pii: 'hash',
    };
    const both = projectRecord([leadRouterGrant, everyone], maria, pii, secret);
    expect(Object.keys(both?.properties ?? {}).sort()).toEqual(
      ['country', 'email', 'firstname', 'lead_score', 'lifecyclestage', 'notes', 'owner_id'].sort(),
    );
    expect(both?.properties.email).toMatch(/^sha256:/);
    // Outside the US/CA segment only the second grant applies.
    const de = projectRecord(
      [leadRouterGrant, everyone],
      { ...maria, properties: { ...maria.properties, country: 'DE' } },
      pii,
      secret,
    );
    expect(Object.keys(de?.properties ?? {}).sort()).toEqual(['email', 'notes']);
  });
});

describe('maskValue', () => {
  it.each([
    ['maria@example.com', 'm***@example.com'],
    ['Maria', 'M***'],
    ['+1 555 0100', '+***'],
    ['Al', '***'],
    ['ab@example.com', '***@example.com'],
    ['@handle', '@***'],
    ['', '***'],
  ])('%s → %s', (raw, masked) => expect(maskValue(raw)).toBe(masked));
});
