/**
 * Test kit: a seeded sandbox CRM, writes through `apply`, and pre-flight contexts for requests.
 * The sandbox factory is passed in by the tests (core/ may not import adapters, test kits included).
 */
import { expect } from 'vitest';
import { createManualClock, type Clock, type ManualClock } from '../clock.js';
import type { ChangeRequest, Connector, PropertyValue } from '../ports/connector.js';
import type { PreflightContext, PreflightLimits, PreflightSettings } from './types.js';

export const NOW = '2026-01-10T12:00:00.000Z';
export const DAY = 86_400_000;
export const LINK = '<p><a href="{{unsubscribe_link}}">Unsubscribe</a></p>';

export interface Crm {
  readonly crm: Connector;
  readonly clock: ManualClock;
}

type SandboxFactory = (options: {
  id: string;
  seed: number;
  size: { contacts: number; companies: number; deals: number };
  path: string;
  clock: Clock;
}) => Promise<Connector>;

/** Seed 42 with 400 contacts, on a manual clock at NOW. */
export async function openCrm(createConnector: SandboxFactory): Promise<Crm> {
  const clock = createManualClock(NOW);
  const crm = await createConnector({
    id: 'crm',
    seed: 42,
    size: { contacts: 400, companies: 60, deals: 80 },
    path: ':memory:',
    clock,
  });
  return { crm, clock };
}

let key = 0;

/** Plans and applies a request as a person would through the CRM; returns the written ids. */
export async function write(crm: Connector, req: ChangeRequest): Promise<string[]> {
  const plan = await crm.plan(req);
  expect(plan.invalid).toEqual([]);
  const result = await crm.apply(plan, {
    idempotencyKey: `preflight-test-${++key}`,
    actor: { kind: 'person', id: 'tester' },
    source: 'test',
  });
  if (result.type !== 'applied') throw new Error(`apply ${result.type}: ${JSON.stringify(result)}`);
  return result.records.map((r) => r.id);
}

export const update = (
  crm: Connector,
  object: string,
  id: string,
  changes: Record<string, PropertyValue>,
): Promise<string[]> => write(crm, { object, operation: 'update', records: [{ id, changes }] });

export async function create(crm: Connector, object: string, changes: Record<string, PropertyValue>): Promise<string> {
  const [id] = await write(crm, { object, operation: 'create', records: [{ id: 'new', changes }] });
  return id!;
}

/** A draft email to `list` written for `segment`, with an unsubscribe link unless `body` says otherwise. */
export const draftEmail = (
  crm: Connector,
  list: string,
  segment: string,
  body = `<p>Hello</p>${LINK}`,
): Promise<string> =>
  create(crm, 'marketing_emails', { name: `To ${list}`, subject: 'Hi', body, status: 'draft', list_id: list, segment });

export const launch = (object: string, target: string): ChangeRequest => ({ object, operation: 'launch', target });

/** Members of a list, as the CRM's `lists` property says. */
export async function membersOf(crm: Connector, list: string): Promise<string[]> {
  const page = await crm.search('contacts', {
    filters: [{ property: 'lists', operator: 'CONTAINS_TOKEN', value: list }],
    limit: 1000,
  });
  return page.results.map((r) => r.id);
}

export async function contextFor(
  { crm, clock }: Crm,
  req: ChangeRequest,
  opts: { config?: Partial<PreflightSettings>; now?: string; limits?: Partial<PreflightLimits> } = {},
): Promise<PreflightContext> {
  const plan = await crm.plan(req);
  return {
    request: { connector: crm.id, ...req },
    planned: plan.records,
    connector: crm,
    config: { freezes: [], onFail: 'deny', ...opts.config },
    now: opts.now ? new Date(opts.now) : clock.now(),
    ...(opts.limits ? { limits: opts.limits } : {}),
  };
}
