import { GatehouseError } from '../../../core/errors.js';
import {
  CONNECTOR_ERROR_CODES,
  type ObjectSchema,
  type PropertySchema,
  type PropertyType,
  type PropertyValue,
} from '../../../core/ports/connector.js';

/**
 * The sandbox's object model, shaped after HubSpot's: property names are HubSpot's where HubSpot
 * has one (`lifecyclestage`, `hs_email_optout`, `dealstage`), values are strings, multi-valued
 * properties are `;`-separated. Every record stores every property of its object (null when
 * unset), in this declaration order — that order makes the stored JSON canonical.
 */

const p = (
  name: string,
  type: PropertyType,
  extra: { pii?: boolean; options?: readonly string[]; readOnly?: boolean; label?: string } = {},
): PropertySchema => Object.freeze({ name, type, ...extra });

const ro = { readOnly: true } as const;
const pii = { pii: true } as const;
const bool = (name: string) => p(name, 'bool', { options: ['true', 'false'] });
const stamps = [p('createdate', 'datetime', ro), p('lastmodifieddate', 'datetime', ro)];

export const LIFECYCLE_STAGES = [
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
  'other',
] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

export const LEAD_STATUSES = [
  'NEW',
  'OPEN',
  'IN_PROGRESS',
  'OPEN_DEAL',
  'UNQUALIFIED',
  'ATTEMPTED_TO_CONTACT',
  'CONNECTED',
  'BAD_TIMING',
] as const;

export const DEAL_STAGES = [
  'appointmentscheduled',
  'qualifiedtobuy',
  'presentationscheduled',
  'decisionmakerboughtin',
  'contractsent',
  'closedwon',
  'closedlost',
] as const;

export const EMAIL_STATUSES = ['draft', 'scheduled', 'sent'] as const;
export const CAMPAIGN_STATUSES = ['draft', 'scheduled', 'active', 'paused', 'sent'] as const;
export const ANALYTICS_SOURCES = [
  'ORGANIC_SEARCH',
  'PAID_SEARCH',
  'EMAIL_MARKETING',
  'SOCIAL_MEDIA',
  'REFERRALS',
  'DIRECT_TRAFFIC',
  'OFFLINE',
] as const;

const objects: readonly ObjectSchema[] = [
  {
    name: 'contacts',
    operations: ['read', 'update', 'create'],
    properties: [
      p('email', 'string', pii),
      p('firstname', 'string', pii),
      p('lastname', 'string', pii),
      p('phone', 'string', pii),
      p('jobtitle', 'string'),
      p('company_id', 'string'),
      p('country', 'string'),
      p('city', 'string'),
      p('lifecyclestage', 'enumeration', { options: LIFECYCLE_STAGES }),
      p('lead_status', 'enumeration', { options: LEAD_STATUSES }),
      p('owner_id', 'string'),
      p('lead_score', 'number'),
      bool('hs_email_optout'),
      bool('email_bounced'),
      p('lists', 'string', { label: 'List memberships (;-separated list ids)' }),
      p('hs_analytics_source', 'enumeration', { options: ANALYTICS_SOURCES }),
      bool('hs_sequences_is_enrolled'),
      p('hs_latest_sequence_enrolled', 'string'),
      ...stamps,
    ],
  },
  {
    name: 'companies',
    operations: ['read', 'update', 'create'],
    properties: [
      p('name', 'string'),
      p('domain', 'string'),
      p('industry', 'string'),
      p('country', 'string'),
      p('city', 'string'),
      p('numberofemployees', 'number'),
      p('annualrevenue', 'number'),
      p('lifecyclestage', 'enumeration', { options: LIFECYCLE_STAGES }),
      p('owner_id', 'string'),
      ...stamps,
    ],
  },
  {
    name: 'deals',
    operations: ['read', 'update', 'create'],
    properties: [
      p('dealname', 'string'),
      p('amount', 'number'),
      p('dealstage', 'enumeration', { options: DEAL_STAGES }),
      p('pipeline', 'string'),
      p('closedate', 'datetime'),
      p('company_id', 'string'),
      p('contact_id', 'string'),
      p('owner_id', 'string'),
      ...stamps,
    ],
  },
  {
    name: 'owners',
    operations: ['read'],
    properties: [
      p('email', 'string', pii),
      p('firstname', 'string', pii),
      p('lastname', 'string', pii),
      p('team', 'string'),
      p('territory', 'string', { label: 'Countries (;-separated ISO codes)' }),
      ...stamps,
    ],
  },
  {
    name: 'lists',
    operations: ['read', 'update', 'create'],
    properties: [
      p('name', 'string'),
      p('segment', 'string'),
      p('filter_description', 'string'),
      p('list_type', 'enumeration', { options: ['static', 'dynamic'] }),
      p('member_count', 'number'),
      ...stamps,
    ],
  },
  {
    name: 'marketing_emails',
    operations: ['read', 'update', 'create', 'launch'],
    properties: [
      p('name', 'string'),
      p('subject', 'string'),
      p('preview_text', 'string'),
      p('body', 'string'),
      p('status', 'enumeration', { options: EMAIL_STATUSES }),
      p('list_id', 'string'),
      p('segment', 'string'),
      p('campaign_id', 'string'),
      p('from_name', 'string'),
      ...stamps,
    ],
  },
  {
    name: 'campaigns',
    operations: ['read', 'update', 'create', 'launch', 'pause'],
    properties: [
      p('name', 'string'),
      p('status', 'enumeration', { options: CAMPAIGN_STATUSES }),
      p('email_ids', 'string', { label: 'Marketing emails (;-separated ids)' }),
      p('list_id', 'string'),
      p('budget', 'number'),
      p('currency', 'string'),
      p('start_date', 'datetime'),
      p('end_date', 'datetime'),
      ...stamps,
    ],
  },
  {
    name: 'sequences',
    operations: ['read', 'update', 'enroll'],
    properties: [
      p('name', 'string'),
      p('owner_id', 'string'),
      p('steps', 'number'),
      p('active', 'bool', { options: ['true', 'false'] }),
      ...stamps,
    ],
  },
  {
    name: 'lead_scoring',
    operations: ['read', 'update'],
    properties: [
      p('name', 'string'),
      p('mql_threshold', 'number'),
      p('weight_email_open', 'number'),
      p('weight_email_click', 'number'),
      p('weight_form_submission', 'number'),
      p('weight_pricing_page_visit', 'number'),
      p('weight_job_title_match', 'number'),
      p('weight_company_size_match', 'number'),
      p('decay_days', 'number'),
      ...stamps,
    ],
  },
  {
    name: 'routing_rules',
    operations: ['read', 'update', 'create'],
    properties: [
      p('name', 'string'),
      p('countries', 'string', { label: 'Countries (;-separated ISO codes)' }),
      p('lifecyclestages', 'string', { label: 'Lifecycle stages (;-separated)' }),
      p('owner_id', 'string'),
      p('priority', 'number'),
      p('active', 'bool', { options: ['true', 'false'] }),
      ...stamps,
    ],
  },
  {
    name: 'price_book',
    operations: ['read', 'update'],
    properties: [
      p('sku', 'string'),
      p('name', 'string'),
      p('unit_price', 'number'),
      p('currency', 'string'),
      p('billing_period', 'enumeration', { options: ['monthly', 'annual', 'one_time'] }),
      p('max_discount_pct', 'number'),
      p('active', 'bool', { options: ['true', 'false'] }),
      ...stamps,
    ],
  },
];

/** Id prefix per object: ids are `${prefix}_${n}` with n counting from 1 in insertion order. */
export const ID_PREFIX: Readonly<Record<string, string>> = Object.freeze({
  contacts: 'c',
  companies: 'co',
  deals: 'd',
  owners: 'u',
  lists: 'l',
  marketing_emails: 'em',
  campaigns: 'cmp',
  sequences: 'seq',
  lead_scoring: 'ls',
  routing_rules: 'rr',
  price_book: 'pb',
});

export const SANDBOX_SCHEMA: readonly ObjectSchema[] = Object.freeze(
  objects.map((o) => Object.freeze({ ...o, properties: Object.freeze([...o.properties]) })),
);

/** Per object: its schema and its properties by name, for O(1) validation. */
export interface CompiledObject {
  readonly schema: ObjectSchema;
  readonly byName: ReadonlyMap<string, PropertySchema>;
  readonly names: readonly string[];
}

/** Objects by name with their properties indexed: the shape validation and search need. */
export function compileSchema(objects: readonly ObjectSchema[]): ReadonlyMap<string, CompiledObject> {
  return new Map(
    objects.map((schema) => [
      schema.name,
      {
        schema,
        byName: new Map(schema.properties.map((prop) => [prop.name, prop])),
        names: schema.properties.map((prop) => prop.name),
      },
    ]),
  );
}

export const COMPILED_SCHEMA: ReadonlyMap<string, CompiledObject> = compileSchema(SANDBOX_SCHEMA);

/** A full property map in schema order (unset properties null): the canonical stored shape. */
export function fullProperties(
  object: string,
  values: Readonly<Record<string, PropertyValue>>,
): Record<string, PropertyValue> {
  const compiled = COMPILED_SCHEMA.get(object);
  if (!compiled) throw new Error(`no schema for ${object}`);
  const out: Record<string, PropertyValue> = {};
  for (const name of compiled.names) out[name] = values[name] ?? null;
  return out;
}

/** The compiled schema of `object`, or `unknown_object`. */
export function objectOf(object: string): CompiledObject {
  return objectIn(COMPILED_SCHEMA, object, 'The sandbox');
}

/** The compiled schema of `object` in `schema`, or `unknown_object` naming `owner` ("The sandbox", "Replica x"). */
export function objectIn(schema: ReadonlyMap<string, CompiledObject>, object: string, owner: string): CompiledObject {
  const compiled = typeof object === 'string' ? schema.get(object) : undefined;
  if (!compiled) {
    throw new GatehouseError(CONNECTOR_ERROR_CODES.unknownObject, `${owner} has no object "${String(object)}"`, {
      details: { object, known: [...schema.keys()] },
    });
  }
  return compiled;
}
