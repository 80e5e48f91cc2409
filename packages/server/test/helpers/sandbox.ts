/** Reading the sandbox CRM behind Gatehouse's back: the raw truth tests compare answers against. */
import type { Connector, CrmRecord, PropertyHistoryEntry } from '../../src/core/ports/connector.js';
import type { Gatehouse } from '../../src/create-gatehouse.js';

export function crmOf(gh: Gatehouse, id = 'crm'): Connector {
  const c = gh.connectors.get(id);
  if (!c) throw new Error(`no connector ${id}`);
  return c;
}

/** Every record of an object, raw (unmasked, all properties), in list order. */
export async function allRecords(connector: Connector, object: string): Promise<CrmRecord[]> {
  const out: CrmRecord[] = [];
  let after: string | undefined;
  do {
    const page = await connector.list(object, { limit: 500, ...(after ? { after } : {}) });
    out.push(...page.results);
    after = page.nextAfter;
  } while (after);
  return out;
}

/** The lead-router's segment in the example config. */
export const inUsCa = (r: CrmRecord) => r.properties.country === 'US' || r.properties.country === 'CA';

/** Property writes on one record made by one agent, newest first. */
export async function agentWrites(
  connector: Connector,
  object: string,
  id: string,
  agentId: string,
  property?: string,
): Promise<PropertyHistoryEntry[]> {
  const h = await connector.history(object, id, property);
  return h.filter((e) => e.actor.kind === 'agent' && e.actor.id === agentId);
}

/** Changes a record as someone other than an agent (a person editing the CRM directly). */
export async function editAsPerson(
  connector: Connector,
  object: string,
  id: string,
  changes: Record<string, string | null>,
  key: string,
): Promise<void> {
  const plan = await connector.plan({ object, operation: 'update', records: [{ id, changes }] });
  const r = await connector.apply(plan, {
    idempotencyKey: key,
    actor: { kind: 'person', id: 'maria' },
    source: 'test',
  });
  if (r.type !== 'applied') throw new Error(`editing ${object} ${id} failed: ${JSON.stringify(r)}`);
}
