/**
 * Agent reads. Only records inside a grant's `where` and only readable fields leave Gatehouse,
 * with PII masked or hashed as the grant says. A record outside the grant answers "not found"
 * (404), exactly like a record that does not exist, so scope cannot be probed.
 */
import { projectRecord, readGrantsFor, type CrmRecordView, type Grant } from './boundary/index.js';
import { GatehouseError } from './errors.js';
import { readSourceFor } from './pipeline/data-source.js';
import type { AgentDefinition, PipelineDeps } from './pipeline/types.js';
import type { Connector, Filter, FilterOperator } from './ports/connector.js';
import { FILTER_OPERATORS } from './ports/connector.js';

export interface ReadPage {
  results: CrmRecordView[];
  next?: string;
}

/** How far a list may scan past out-of-scope records before answering a short page. */
const MAX_SCAN_ROUNDS = 20;

function readGrants(agent: AgentDefinition, connector: string, object: string): readonly Grant[] {
  const grants = readGrantsFor(agent, connector, object);
  if (grants.length === 0) {
    throw new GatehouseError('object_not_granted', `${agent.id} may not read ${connector}.${object}`, {
      details: { connector, object },
    });
  }
  return grants;
}

function piiFieldsOf(connector: Connector, object: string): ReadonlySet<string> {
  const schema = connector.schema().find((o) => o.name === object);
  if (!schema) throw new GatehouseError('unknown_object', `${connector.id} has no object '${object}'`);
  return new Set(schema.properties.filter((p) => p.pii).map((p) => p.name));
}

/** `country:EQ:US,lifecyclestage:IN:lead|subscriber` → filters; the message names the bad part. */
export function parseFilterParam(param: string): Filter[] {
  return param
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((part) => {
      const [property, op, ...rest] = part.split(':');
      const operator = op?.toUpperCase() as FilterOperator | undefined;
      if (!property || !operator || !FILTER_OPERATORS.includes(operator)) {
        throw new GatehouseError(
          'invalid_filter',
          `filter '${part}' must be property:OPERATOR[:value] with OPERATOR one of ${FILTER_OPERATORS.join(', ')}`,
        );
      }
      const value = rest.join(':');
      if (operator === 'IN' || operator === 'NOT_IN') return { property, operator, values: value.split('|') };
      if (operator === 'HAS_PROPERTY' || operator === 'NOT_HAS_PROPERTY') return { property, operator };
      return { property, operator, value };
    });
}

export interface ListInput {
  connector: string;
  object: string;
  limit: number;
  after?: string;
  filters?: readonly Filter[];
  /** Only these properties (of those the grant lets the agent read). */
  properties?: readonly string[];
}

function only(view: CrmRecordView, properties: readonly string[] | undefined): CrmRecordView {
  if (!properties) return view;
  return {
    id: view.id,
    properties: Object.fromEntries(Object.entries(view.properties).filter(([k]) => properties.includes(k))),
  };
}

export async function listRecords(deps: PipelineDeps, agent: AgentDefinition, input: ListInput): Promise<ReadPage> {
  const grants = readGrants(agent, input.connector, input.object);
  const { connector } = await readSourceFor(deps, agent, input.connector, input.object);
  const pii = piiFieldsOf(connector, input.object);
  const readable = grants.some((g) => g.readFields === undefined)
    ? undefined
    : new Set(grants.flatMap((g) => g.readFields ?? []));
  for (const f of input.filters ?? []) {
    // Filtering on an unreadable field would leak its values one query at a time.
    if ((readable && !readable.has(f.property)) || pii.has(f.property)) {
      throw new GatehouseError('field_not_readable', `${agent.id} may not filter on ${input.object}.${f.property}`);
    }
  }
  const results: CrmRecordView[] = [];
  let after = input.after;
  for (let round = 0; round < MAX_SCAN_ROUNDS && results.length < input.limit; round++) {
    const want = input.limit - results.length;
    const page = input.filters?.length
      ? await connector.search(input.object, { filters: input.filters, limit: want, ...(after ? { after } : {}) })
      : await connector.list(input.object, { limit: want, ...(after ? { after } : {}) });
    for (const r of page.results) {
      const view = projectRecord(grants, r, pii, { hashSecret: deps.piiSecret });
      if (view) results.push(only(view, input.properties));
    }
    after = page.nextAfter;
    if (!after) break;
  }
  return { results, ...(after ? { next: after } : {}) };
}

export async function getRecord(
  deps: PipelineDeps,
  agent: AgentDefinition,
  input: { connector: string; object: string; id: string; properties?: readonly string[] },
): Promise<CrmRecordView> {
  const grants = readGrants(agent, input.connector, input.object);
  const { connector } = await readSourceFor(deps, agent, input.connector, input.object);
  const pii = piiFieldsOf(connector, input.object);
  const record = await connector.get(input.object, input.id);
  const view = record ? projectRecord(grants, record, pii, { hashSecret: deps.piiSecret }) : undefined;
  if (!view) throw new GatehouseError('record_not_found', `${input.object} ${input.id} not found`);
  return only(view, input.properties);
}
