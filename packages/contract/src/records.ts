import { z } from 'zod';

export const RecordView = z.object({ id: z.string(), properties: z.record(z.string(), z.string().nullable()) });
export type RecordView = z.infer<typeof RecordView>;

/** HubSpot-shaped list page: no `paging` on the last page. */
export const RecordPage = z.object({
  results: z.array(RecordView),
  paging: z.object({ next: z.object({ after: z.string() }) }).optional(),
});
export type RecordPage = z.infer<typeof RecordPage>;

export const RecordListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after: z.string().max(500).optional(),
  filter: z.string().max(2_000).optional(),
  properties: z.string().max(4_000).optional(),
});
