/**
 * KPI samples are counts per period, idempotent by (metric, canonical dims, at): feeds retry, and
 * a retried sample must not count twice or a breaker would see a spike that never happened.
 */
import type { Insertable } from 'kysely';
import type { KpiQuery, KpiSample, KpisRepo } from '../../../core/ports/storage.js';
import type { KpiSamplesTable } from '../schema.js';
import { chunks, dimsKey, invalid, num, rowsPerInsert, ts } from '../values.js';
import { atomically, type RepoContext } from './context.js';

const SAMPLE_COLUMNS = 4;

function sampleValues(s: KpiSample, i: number): Insertable<KpiSamplesTable> {
  if (typeof s.metric !== 'string' || s.metric === '') throw invalid(`samples[${i}].metric must be a non-empty string`);
  if (typeof s.value !== 'number' || !Number.isFinite(s.value)) {
    throw invalid(`samples[${i}].value must be a finite number`, { field: `samples[${i}].value` });
  }
  return { metric: s.metric, dims_key: dimsKey(s.dims), at: ts(s.at, `samples[${i}].at`), value: s.value };
}

export function kpisRepo(ctx: RepoContext): KpisRepo {
  const { db } = ctx;

  const filtered = (q: KpiQuery) => {
    let sel = db
      .selectFrom('kpi_samples')
      .where('metric', '=', q.metric)
      .where('at', '>=', ts(q.from, 'from'))
      .where('at', '<', ts(q.to, 'to'));
    if (q.dims !== undefined && Object.keys(q.dims).length > 0) {
      dimsKey(q.dims); // validates values are strings
      sel = sel.where(ctx.ops.dimsContain(q.dims));
    }
    return sel;
  };

  return {
    async insertSamples(samples) {
      const values = samples.map(sampleValues);
      if (values.length === 0) return 0;
      return atomically(ctx, async (tx) => {
        let inserted = 0;
        for (const batch of chunks(values, rowsPerInsert(ctx.ops.name, SAMPLE_COLUMNS))) {
          const r = await tx
            .insertInto('kpi_samples')
            .values(batch)
            .onConflict((oc) => oc.columns(['metric', 'dims_key', 'at']).doNothing())
            .executeTakeFirst();
          inserted += Number(r.numInsertedOrUpdatedRows ?? 0n);
        }
        return inserted;
      });
    },

    async query(q) {
      const rows = await filtered(q).selectAll().orderBy('at').orderBy('dims_key').execute();
      return rows.map((r) => ({
        metric: r.metric,
        value: num(r.value),
        at: r.at,
        dims: JSON.parse(r.dims_key) as Record<string, string>,
      }));
    },

    async sum(q) {
      const r = await filtered(q)
        .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('value'), eb.lit(0)).as('total'))
        .executeTakeFirstOrThrow();
      return num(r.total);
    },

    async prune(before) {
      const r = await db.deleteFrom('kpi_samples').where('at', '<', ts(before, 'before')).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
