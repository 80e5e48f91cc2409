import { z } from 'zod';

/** Identifiers on the wire: short, printable, no whitespace. */
const Id = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_.:@-]+$/, 'must be letters, digits or _ . : @ -');
const PropertyValue = z.union([z.string().max(65_536), z.null()]);

export const RecordChange = z.strictObject({
  id: Id,
  changes: z
    .record(z.string().min(1).max(200), PropertyValue)
    .refine((c) => Object.keys(c).length > 0, 'must name at least one property'),
});

/** `POST /v1/actions` body. Either `records` (record edits) or `target` (+ `params`) for launch/pause/enroll. */
export const ActionRequest = z
  .strictObject({
    connector: Id,
    object: Id,
    operation: Id,
    records: z.array(RecordChange).min(1).max(10_000).optional(),
    target: Id.optional(),
    params: z.record(z.string(), z.unknown()).optional(),
    reason: z.string().min(1).max(2_000),
    idempotency_key: z.string().min(1).max(200).optional(),
    parent_action_id: Id.optional(),
    callback_url: z
      .url({ protocol: /^https?$/ })
      .max(2_000)
      .optional(),
  })
  .refine((a) => (a.records === undefined) !== (a.target === undefined), {
    message: 'give either records (record edits) or target (launch, pause, enroll, …), not both',
    path: ['records'],
  });
export type ActionRequest = z.infer<typeof ActionRequest>;

export const ActionStatus = z.enum([
  'proposed',
  'denied',
  'shadowed',
  'pending_approval',
  'approved',
  'rejected',
  'revision_requested',
  'expired',
  'executing',
  'executed',
  'failed',
  'breaker_open',
  'rolled_back',
  'stale',
]);
export type ActionStatus = z.infer<typeof ActionStatus>;

export const DecisionView = z.object({
  effect: z.enum(['allow', 'require_approval', 'deny']),
  rules: z.array(z.string()),
  reasons: z.array(z.string()),
  code: z.string().optional(),
  mode: z.string().optional(),
});
export type DecisionView = z.infer<typeof DecisionView>;

export const ChangeRecordView = z.object({
  id: z.string(),
  before: z.record(z.string(), PropertyValue),
  after: z.record(z.string(), PropertyValue),
  reversibility: z.enum(['reversible', 'compensatable', 'irreversible']),
  noop: z.boolean().optional(),
});

export const ChangeSetView = z.object({
  id: z.string().optional(),
  hash: z.string().optional(),
  summary: z.object({
    records: z.number().int(),
    fields: z.number().int(),
    irreversible: z.number().int(),
    noop: z.number().int().optional(),
    missing: z.number().int().optional(),
  }),
  records: z.array(ChangeRecordView),
  truncated: z.boolean().optional(),
});
export type ChangeSetView = z.infer<typeof ChangeSetView>;

export const ActionView = z.object({
  id: z.string(),
  agent: z.string(),
  connector: z.string(),
  object: z.string(),
  operation: z.string(),
  status: ActionStatus,
  reason: z.string(),
  decision: DecisionView,
  changeset: ChangeSetView,
  approval: z
    .object({ id: z.string(), required: z.number().int(), expires_at: z.string(), status: z.string() })
    .optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  audit_event_id: z.string(),
  idempotency_key: z.string().optional(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type ActionView = z.infer<typeof ActionView>;
