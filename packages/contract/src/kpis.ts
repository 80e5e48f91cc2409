import { z } from 'zod';

export const KpiSample = z.strictObject({
  metric: z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, 'must look like email.clicks'),
  value: z.number().finite().nonnegative(),
  at: z.iso.datetime({ offset: true }),
  dims: z.record(z.string().min(1).max(100), z.string().max(200)).default({}),
});
export const KpiBatch = z.strictObject({ samples: z.array(KpiSample).min(1).max(10_000) });
export type KpiSample = z.infer<typeof KpiSample>;
