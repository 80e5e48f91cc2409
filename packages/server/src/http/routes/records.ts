import { RecordListQuery, RecordPage, RecordView } from '@gatehouse/contract';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { FILTER_OPERATORS } from '../../core/ports/connector.js';
import { getRecord, listRecords, parseFilterParam } from '../../core/reads.js';
import { requireAgent, type RouteContext } from '../context.js';
import { parseInput } from '../validate.js';

const SearchBody = z.strictObject({
  filters: z
    .array(
      z.strictObject({
        property: z.string().min(1).max(200),
        operator: z.enum(FILTER_OPERATORS as [string, ...string[]]),
        value: z.string().max(2_000).optional(),
        values: z.array(z.string().max(2_000)).max(500).optional(),
      }),
    )
    .max(20)
    .default([]),
  limit: z.number().int().min(1).max(500).default(100),
  after: z.string().max(500).optional(),
});

const page = (r: { results: { id: string; properties: Record<string, string | null> }[]; next?: string }) => ({
  results: r.results,
  ...(r.next ? { paging: { next: { after: r.next } } } : {}),
});

type P = { connector: string; object: string };

export function registerRecordRoutes(app: FastifyInstance, ctx: RouteContext): void {
  ctx.registry.add({
    method: 'GET',
    path: '/v1/records/:connector/:object',
    summary:
      "Records the agent's grants allow, PII handled as granted. filter=property:OP[:value],… (OP: EQ, NEQ, LT, LTE, GT, GTE, IN, NOT_IN, HAS_PROPERTY, NOT_HAS_PROPERTY, CONTAINS_TOKEN; IN values separated by |).",
    tag: 'records',
    auth: 'agent',
    query: RecordListQuery,
    response: RecordPage,
  });
  app.get<{ Params: P }>('/v1/records/:connector/:object', async (req) => {
    const agent = await requireAgent(ctx, req);
    const q = parseInput(RecordListQuery, req.query, 'query');
    const r = await listRecords(ctx.deps, agent, {
      connector: req.params.connector,
      object: req.params.object,
      limit: q.limit,
      ...(q.after ? { after: q.after } : {}),
      ...(q.filter ? { filters: parseFilterParam(q.filter) } : {}),
      ...(q.properties ? { properties: q.properties.split(',') } : {}),
    });
    return page(r);
  });

  ctx.registry.add({
    method: 'POST',
    path: '/v1/records/:connector/:object/search',
    summary: 'Search records with HubSpot-style filters (all must hold).',
    tag: 'records',
    auth: 'agent',
    body: SearchBody,
    response: RecordPage,
  });
  app.post<{ Params: P }>('/v1/records/:connector/:object/search', async (req) => {
    const agent = await requireAgent(ctx, req);
    const b = parseInput(SearchBody, req.body ?? {}, 'body');
    const r = await listRecords(ctx.deps, agent, {
      connector: req.params.connector,
      object: req.params.object,
      limit: b.limit,
      ...(b.after ? { after: b.after } : {}),
      filters: b.filters.map((f) => ({
        property: f.property,
        operator: f.operator as (typeof FILTER_OPERATORS)[number],
        ...(f.value !== undefined ? { value: f.value } : {}),
        ...(f.values ? { values: f.values } : {}),
      })),
    });
    return page(r);
  });

  ctx.registry.add({
    method: 'GET',
    path: '/v1/records/:connector/:object/:id',
    summary: 'One record; 404 when it does not exist or lies outside the grant.',
    tag: 'records',
    auth: 'agent',
    response: RecordView,
  });
  app.get<{ Params: P & { id: string } }>('/v1/records/:connector/:object/:id', async (req) => {
    const agent = await requireAgent(ctx, req);
    return getRecord(ctx.deps, agent, {
      connector: req.params.connector,
      object: req.params.object,
      id: req.params.id,
    });
  });
}
