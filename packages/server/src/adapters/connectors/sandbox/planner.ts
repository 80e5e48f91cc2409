import { GatehouseError } from '../../../core/errors.js';
import {
  CONNECTOR_ERROR_CODES,
  type ChangePlan,
  type ChangeRequest,
  type CrmRecord,
  type PlannedRecordChange,
  type PropertySchema,
  type PropertyValue,
  type Reversibility,
} from '../../../core/ports/connector.js';
import { fingerprintRecord } from '../fingerprint.js';
import { isList, normalizeDatetime, propertyOf } from './query.js';
import { objectOf, type CompiledObject } from './schema.js';
import type { SandboxStore, SharedRecord } from './store.js';

/**
 * Planning turns a change request into a change plan without writing anything: per record the
 * before/after of the touched properties, the fingerprint of the whole record as read, and the
 * reversibility of the operation. Values the CRM would refuse land in `invalid`; ids that do not
 * exist in `missing`. Unknown objects, properties and operations are errors: the request itself
 * is malformed.
 */

const MAX_RECORDS = 10_000;

type Invalid = ChangePlan['invalid'][number];

const badRequest = (message: string, field: string) =>
  new GatehouseError(CONNECTOR_ERROR_CODES.invalidRequest, message, { details: { field } });

/** Why the CRM would refuse `value` for `prop`, or undefined if it is acceptable. */
export function invalidValue(prop: PropertySchema, value: unknown): string | undefined {
  if (prop.readOnly) return `${prop.name} is maintained by the CRM and cannot be written`;
  if (value === null) return undefined;
  if (typeof value !== 'string') return `${prop.name} must be a string or null (CRM property values are strings)`;
  switch (prop.type) {
    case 'number':
      return value.trim() !== '' && Number.isFinite(Number(value))
        ? undefined
        : `${prop.name} must be a number, got "${value}"`;
    case 'datetime':
      return normalizeDatetime(value) ? undefined : `${prop.name} must be an ISO 8601 date-time, got "${value}"`;
    case 'enumeration':
    case 'bool':
      return prop.options?.includes(value)
        ? undefined
        : `${prop.name} must be one of ${prop.options?.join(', ')}, got "${value}"`;
    case 'string':
      return value.length <= 65_536 ? undefined : `${prop.name} is longer than 65536 characters`;
  }
}

/** The record as stored (shared, read-only properties: planning never writes), or undefined if missing or archived. */
type Live = (object: string, id: string) => SharedRecord | undefined;

/**
 * `Live` over the store, except that a record of `object` the caller passed in `read` (a copy
 * getMany made) is planned as it was when read, not read again (see `Connector.plan`). Only a
 * copy of that very record counts: a copy of another record (or object) filed under this id is
 * ignored, so `read` can never make the plan touch a record the request did not name.
 */
function liveReader(store: SandboxStore, object: string, read: ReadonlyMap<string, CrmRecord> | undefined): Live {
  return (name, id) => {
    const given = name === object ? read?.get(id) : undefined;
    const was = given && store.copiedFrom(given);
    const record = was && was.object === name && was.id === id ? was : store.read(name, id);
    return record && !record.archived ? record : undefined;
  };
}

function change(
  store: SandboxStore,
  record: SharedRecord,
  after: Record<string, PropertyValue>,
  reversibility: Reversibility,
): PlannedRecordChange {
  const before: Record<string, PropertyValue> = {};
  let noop = true;
  for (const [name, value] of Object.entries(after)) {
    const was = record.properties[name] ?? null;
    before[name] = was;
    if (was !== value) noop = false;
  }
  return {
    object: record.object,
    id: record.id,
    before,
    after,
    fingerprint: store.fingerprint(record.properties),
    reversibility,
    noop,
  };
}

function recordEdits(object: CompiledObject, req: ChangeRequest) {
  const records = req.records;
  if (!isList(records) || records.length === 0) {
    throw badRequest(`${req.operation} on ${object.schema.name} needs a non-empty records list`, 'records');
  }
  if (records.length > MAX_RECORDS) throw badRequest(`at most ${MAX_RECORDS} records per change`, 'records');
  const invalid: Invalid[] = [];
  const seen = new Set<string>();
  for (const r of records) {
    if (typeof r?.id !== 'string' || r.id === '')
      throw badRequest('every record needs a non-empty string id', 'records.id');
    if (typeof r.changes !== 'object' || r.changes === null)
      throw badRequest(`record ${r.id} needs a changes object`, 'records.changes');
    if (seen.has(r.id)) invalid.push({ id: r.id, property: 'id', message: `record ${r.id} is listed twice` });
    seen.add(r.id);
    for (const [name, value] of Object.entries(r.changes)) {
      const message = invalidValue(propertyOf(object, name), value);
      if (message) invalid.push({ id: r.id, property: name, message });
    }
  }
  return { records, invalid };
}

function planUpdate(store: SandboxStore, live: Live, object: CompiledObject, req: ChangeRequest): ChangePlan {
  const { records, invalid } = recordEdits(object, req);
  const planned: PlannedRecordChange[] = [];
  const missing: string[] = [];
  for (const r of records) {
    const record = live(object.schema.name, r.id);
    if (!record) missing.push(r.id);
    else planned.push(change(store, record, { ...r.changes }, 'reversible'));
  }
  return { object: object.schema.name, operation: req.operation, records: planned, missing, invalid };
}

/** A create is compensatable: undoing it archives the record (see ARCHIVED_PROPERTY). */
function planCreate(object: CompiledObject, req: ChangeRequest): ChangePlan {
  const { records, invalid } = recordEdits(object, req);
  const planned = records.map((r): PlannedRecordChange => {
    const after = { ...r.changes };
    return {
      object: object.schema.name,
      id: r.id,
      before: Object.fromEntries(Object.keys(after).map((name) => [name, null])),
      after,
      fingerprint: fingerprintRecord(null),
      reversibility: 'compensatable',
      noop: false,
    };
  });
  return { object: object.schema.name, operation: req.operation, records: planned, missing: [], invalid };
}

function targetOf(live: Live, object: CompiledObject, req: ChangeRequest) {
  if (typeof req.target !== 'string' || req.target === '') {
    throw badRequest(`${req.operation} on ${object.schema.name} needs a target id`, 'target');
  }
  return live(object.schema.name, req.target);
}

/** Launching sends email: irreversible. A campaign launch sends every email of it not yet sent. */
function planLaunch(store: SandboxStore, live: Live, object: CompiledObject, req: ChangeRequest): ChangePlan {
  const base = { object: object.schema.name, operation: req.operation, target: req.target };
  const target = targetOf(live, object, req);
  if (!target) return { ...base, records: [], missing: [req.target!], invalid: [] };
  const invalid: Invalid[] = [];
  const records: PlannedRecordChange[] = [];
  const missing: string[] = [];
  const status = target.properties['status'];
  if (object.schema.name === 'marketing_emails') {
    if (status === 'sent')
      invalid.push({ id: target.id, property: 'status', message: `${target.id} has already been sent` });
    if (!target.properties['list_id'])
      invalid.push({ id: target.id, property: 'list_id', message: `${target.id} has no recipient list` });
    records.push(change(store, target, { status: 'sent' }, 'irreversible'));
    return { ...base, records, missing, invalid };
  }
  if (status === 'active' || status === 'sent') {
    invalid.push({ id: target.id, property: 'status', message: `campaign ${target.id} is already ${status}` });
  }
  records.push(change(store, target, { status: 'active' }, 'irreversible'));
  for (const emailId of (target.properties['email_ids'] ?? '').split(';').filter(Boolean)) {
    const email = live('marketing_emails', emailId);
    if (!email) missing.push(emailId);
    else if (email.properties['status'] !== 'sent')
      records.push(change(store, email, { status: 'sent' }, 'irreversible'));
  }
  return { ...base, records, missing, invalid };
}

/** Pausing is compensatable: resuming (launch) undoes it, but sends in between are not replayed. */
function planPause(store: SandboxStore, live: Live, object: CompiledObject, req: ChangeRequest): ChangePlan {
  const base = { object: object.schema.name, operation: req.operation, target: req.target };
  const target = targetOf(live, object, req);
  if (!target) return { ...base, records: [], missing: [req.target!], invalid: [] };
  const status = target.properties['status'];
  const invalid: Invalid[] =
    status === 'draft' || status === 'sent'
      ? [{ id: target.id, property: 'status', message: `campaign ${target.id} is ${status} and cannot be paused` }]
      : [];
  return { ...base, records: [change(store, target, { status: 'paused' }, 'compensatable')], missing: [], invalid };
}

/** Enrolling writes the enrolled contacts (as HubSpot's hs_latest_sequence_enrolled); compensatable by unenrolling. */
function planEnroll(store: SandboxStore, live: Live, object: CompiledObject, req: ChangeRequest): ChangePlan {
  const ids = req.params?.['contact_ids'];
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'string' && id !== '')) {
    throw badRequest('enroll needs params.contact_ids: a non-empty list of contact ids', 'params.contact_ids');
  }
  if (ids.length > MAX_RECORDS)
    throw badRequest(`at most ${MAX_RECORDS} contacts per enrollment`, 'params.contact_ids');
  const base = { object: object.schema.name, operation: req.operation, target: req.target };
  const target = targetOf(live, object, req);
  if (!target) return { ...base, records: [], missing: [req.target!], invalid: [] };
  const invalid: Invalid[] =
    target.properties['active'] === 'false'
      ? [{ id: target.id, property: 'active', message: `sequence ${target.id} is inactive` }]
      : [];
  const records: PlannedRecordChange[] = [];
  const missing: string[] = [];
  for (const id of new Set(ids as string[])) {
    const contact = live('contacts', id);
    if (!contact) missing.push(id);
    else
      records.push(
        change(
          store,
          contact,
          { hs_sequences_is_enrolled: 'true', hs_latest_sequence_enrolled: target.id },
          'compensatable',
        ),
      );
  }
  return { ...base, records, missing, invalid };
}

export function planChange(store: SandboxStore, req: ChangeRequest, read?: ReadonlyMap<string, CrmRecord>): ChangePlan {
  if (typeof req !== 'object' || req === null) throw badRequest('a change request must be an object', 'request');
  const object = objectOf(req.object);
  if (!object.schema.operations.includes(req.operation) || req.operation === 'read') {
    throw new GatehouseError(
      CONNECTOR_ERROR_CODES.unsupportedOperation,
      `${object.schema.name} does not support "${String(req.operation)}" (supported: ${object.schema.operations.join(', ')})`,
      { details: { object: object.schema.name, operation: req.operation } },
    );
  }
  const live = liveReader(store, object.schema.name, read);
  switch (req.operation) {
    case 'update':
      return planUpdate(store, live, object, req);
    case 'create':
      return planCreate(object, req);
    case 'launch':
      return planLaunch(store, live, object, req);
    case 'pause':
      return planPause(store, live, object, req);
    case 'enroll':
      return planEnroll(store, live, object, req);
    default:
      throw new GatehouseError(CONNECTOR_ERROR_CODES.unsupportedOperation, `no planner for ${req.operation}`);
  }
}
