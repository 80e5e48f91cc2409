/**
 * Planning a rollback from stored actions (SQLite in memory, no CRM): which writes are undone, in
 * which order, and which are listed instead. Rows are written directly so the cases the pipeline
 * rarely produces (approved long after creation, a missing `applied_at`, a removed connector) are
 * covered too.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStorage } from '../../src/adapters/storage/index.js';
import { planRollback } from '../../src/core/breakers/rollback.js';
import type { Connector, Reversibility } from '../../src/core/ports/connector.js';
import type { Storage } from '../../src/core/ports/storage.js';

let storage: Storage;
const connectors = new Map([['crm', {} as Connector]]);

beforeEach(async () => {
  storage = await openStorage('sqlite::memory:');
  await storage.migrate();
});
afterEach(async () => {
  await storage.close();
});

interface Rec {
  id: string;
  before: Record<string, string | null>;
  after: Record<string, string | null>;
  reversibility?: Reversibility;
  noop?: boolean;
  object?: string;
}

let n = 0;
async function executed(opts: {
  agentId?: string;
  createdAt: string;
  appliedAt?: string;
  records: Rec[];
  written?: { id: string; ref?: string }[];
  status?: string;
  connector?: string;
  operation?: string;
}): Promise<string> {
  const id = `act_${++n}`;
  const cs = `cs_${n}`;
  await storage.transaction(async (tx) => {
    await tx.actions.insert({
      id,
      agentId: opts.agentId ?? 'subject-optimizer',
      connector: opts.connector ?? 'crm',
      object: 'marketing_emails',
      operation: opts.operation ?? 'update',
      status: opts.status ?? 'executed',
      request: {},
      createdAt: opts.createdAt,
      updatedAt: opts.appliedAt ?? opts.createdAt,
      changesetId: cs,
      result:
        opts.appliedAt === undefined
          ? {}
          : { applied_at: opts.appliedAt, records: opts.written ?? opts.records.map((r) => ({ id: r.id })) },
    });
    await tx.changesets.insert(
      {
        id: cs,
        actionId: id,
        hash: `h${n}`,
        createdAt: opts.createdAt,
        summary: { object: 'marketing_emails', operation: opts.operation ?? 'update', target: null },
      },
      opts.records.map((r, idx) => ({
        changesetId: cs,
        idx,
        object: r.object ?? 'marketing_emails',
        recordId: r.id,
        before: r.before,
        after: r.after,
        fingerprint: 'f',
        reversibility: r.reversibility ?? 'reversible',
        noop: r.noop ?? false,
      })),
    );
  });
  return id;
}

const subject = (id: string, from: string | null, to: string | null): Rec => ({
  id,
  before: { subject: from },
  after: { subject: to },
});

const SINCE = '2026-03-02T10:00:00.000Z';
const UNTIL = '2026-03-02T12:00:00.000Z';

describe('planRollback', () => {
  it('orders by apply time, so an action approved late is undone before earlier autonomous ones', async () => {
    const approvedLate = await executed({
      createdAt: '2026-03-02T09:00:00.000Z',
      appliedAt: '2026-03-02T11:30:00.000Z',
      records: [subject('em_1', 'B', 'C')],
    });
    const autonomous = await executed({
      createdAt: '2026-03-02T10:30:00.000Z',
      appliedAt: '2026-03-02T10:30:00.000Z',
      records: [subject('em_1', 'A', 'B')],
    });
    const plan = await planRollback(
      { storage, connectors },
      { agentIds: ['subject-optimizer'], since: SINCE, until: UNTIL },
    );
    expect(plan.items.map((i) => [i.actionId, i.wrote, i.restore])).toEqual([
      [approvedLate, 'C', 'B'],
      [autonomous, 'B', 'A'],
    ]);
    expect(plan.items[0]).toMatchObject({
      object: 'marketing_emails',
      id: 'em_1',
      property: 'subject',
      appliedAt: '2026-03-02T11:30:00.000Z',
    });
  });

  it('takes writes applied in [since, until) of the scope’s agents only, executed ones only', async () => {
    const atSince = await executed({ createdAt: SINCE, appliedAt: SINCE, records: [subject('em_1', 'a', 'b')] });
    await executed({ createdAt: UNTIL, appliedAt: UNTIL, records: [subject('em_2', 'a', 'b')] });
    await executed({
      createdAt: '2026-03-02T09:59:59.999Z',
      appliedAt: '2026-03-02T09:59:59.999Z',
      records: [subject('em_3', 'a', 'b')],
    });
    await executed({
      agentId: 'lead-router',
      createdAt: SINCE,
      appliedAt: SINCE,
      records: [subject('em_4', 'a', 'b')],
    });
    await executed({ status: 'rolled_back', createdAt: SINCE, appliedAt: SINCE, records: [subject('em_5', 'a', 'b')] });
    const plan = await planRollback(
      { storage, connectors },
      { agentIds: ['subject-optimizer'], since: SINCE, until: UNTIL },
    );
    expect(plan.items.map((i) => i.actionId)).toEqual([atSince]);
  });

  it('skips no-op records, unchanged fields and records the apply did not write', async () => {
    const id = await executed({
      createdAt: '2026-03-02T10:10:00.000Z',
      appliedAt: '2026-03-02T10:10:00.000Z',
      records: [
        { id: 'em_1', before: { subject: 'a', preview_text: 'p' }, after: { subject: 'b', preview_text: 'p' } },
        { ...subject('em_2', 'x', 'x'), noop: true },
        subject('em_3', 'a', 'b'),
      ],
      written: [{ id: 'em_1' }],
    });
    const plan = await planRollback(
      { storage, connectors },
      { agentIds: ['subject-optimizer'], since: SINCE, until: UNTIL },
    );
    expect(plan.items).toEqual([
      expect.objectContaining({ actionId: id, id: 'em_1', property: 'subject', restore: 'a' }),
    ]);
  });

  it('lists irreversible and compensatable changes with the ids they got, and undoes none of them', async () => {
    const launch = await executed({
      operation: 'launch',
      createdAt: '2026-03-02T10:20:00.000Z',
      appliedAt: '2026-03-02T10:20:00.000Z',
      records: [
        {
          ...subject('em_9', 'draft', 'sent'),
          reversibility: 'irreversible',
          before: { status: 'draft' },
          after: { status: 'sent' },
        },
      ],
    });
    const create = await executed({
      operation: 'create',
      createdAt: '2026-03-02T10:25:00.000Z',
      appliedAt: '2026-03-02T10:25:00.000Z',
      records: [{ ...subject('new-1', null, 'Hello'), reversibility: 'compensatable' }],
      written: [{ id: 'em_77', ref: 'new-1' }],
    });
    const plan = await planRollback(
      { storage, connectors },
      { agentIds: ['subject-optimizer'], since: SINCE, until: UNTIL },
    );
    expect(plan.items).toEqual([]);
    expect(plan.irreversible).toEqual([
      expect.objectContaining({ actionId: launch, operation: 'launch', recordId: 'em_9', fields: ['status'] }),
    ]);
    expect(plan.compensatable).toEqual([
      expect.objectContaining({ actionId: create, operation: 'create', recordId: 'em_77', fields: ['subject'] }),
    ]);
  });

  it('reports executed actions it cannot act on instead of dropping them', async () => {
    const gone = await executed({
      connector: 'old-crm',
      createdAt: SINCE,
      appliedAt: SINCE,
      records: [subject('em_1', 'a', 'b')],
    });
    const unknown = await executed({ createdAt: '2026-03-02T10:05:00.000Z', records: [subject('em_2', 'a', 'b')] });
    const plan = await planRollback(
      { storage, connectors },
      { agentIds: ['subject-optimizer'], since: SINCE, until: UNTIL },
    );
    expect(plan.items).toEqual([]);
    expect(plan.unavailable).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actionId: gone, reason: 'connector_not_configured' }),
        expect.objectContaining({ actionId: unknown, reason: 'no_applied_at' }),
      ]),
    );
  });
});
