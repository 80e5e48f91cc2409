/**
 * The structural inputs of the boundary checks. The config loader compiles `gatehouse.yaml`
 * into values of these shapes; the boundary never reads configuration itself.
 */
import type { CompiledCel } from '../cel.js';

/**
 * How a grant exposes the fields the connector's schema marks as PII.
 * `mask` shows a shape (`m***@example.com`), `hash` a keyed digest that can be joined but not
 * reversed, `allow` the raw value.
 */
export type PiiMode = 'mask' | 'hash' | 'allow';

export const PII_MODES = ['mask', 'hash', 'allow'] as const satisfies readonly PiiMode[];

export interface Grant {
  readonly connector: string;
  readonly objects: readonly string[];
  readonly operations: readonly string[];
  /** Absent: every property of the object is readable. */
  readonly readFields?: readonly string[];
  /** Absent: no property may be written (writes must be granted field by field). */
  readonly writeFields?: readonly string[];
  /** Compiled in the `where` context: sees `record` (properties as read, plus `id`). */
  readonly where?: CompiledCel;
  readonly pii: PiiMode;
}

export interface AgentLimits {
  /** Most records one action may touch. */
  readonly maxBatch?: number;
  /** Enforced by the pipeline against shared storage; the boundary only carries it. */
  readonly actionsPerMinute?: number;
}

export interface AgentBoundary {
  readonly id: string;
  readonly grants: readonly Grant[];
  readonly limits?: AgentLimits;
}

/** A record as the connector returned it. Property values are strings, as in HubSpot's API. */
export interface CrmRecord {
  readonly id: string;
  readonly properties: Readonly<Record<string, string | null>>;
}

/** What an agent is shown of a record (same shape as the wire `RecordView`). */
export interface CrmRecordView {
  id: string;
  properties: Record<string, string | null>;
}

export interface RecordChange {
  readonly id: string;
  readonly changes: Readonly<Record<string, unknown>>;
}

export interface WriteAction {
  readonly connector: string;
  readonly object: string;
  readonly operation: string;
  /** Record edits (`update`, `create`, ...). */
  readonly records?: readonly RecordChange[];
  /** Operations that are not record edits (`launch`, `pause`, ...) name their target instead. */
  readonly target?: string;
}

export interface ObjectSchema {
  /** Properties the connector classifies as personal data. */
  readonly piiFields: ReadonlySet<string>;
}

export const BOUNDARY_CODES = {
  connectorNotGranted: 'connector_not_granted',
  objectNotGranted: 'object_not_granted',
  operationNotGranted: 'operation_not_granted',
  batchTooLarge: 'batch_too_large',
  fieldNotWritable: 'field_not_writable',
  recordOutOfScope: 'record_out_of_scope',
} as const;

export type WriteRefusalCode = Exclude<(typeof BOUNDARY_CODES)[keyof typeof BOUNDARY_CODES], 'record_out_of_scope'>;

export interface BoundaryRefusal<C extends string> {
  readonly ok: false;
  readonly code: C;
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>>;
}

export type WriteCheck =
  | {
      readonly ok: true;
      /** The first grant (in config order) that permits the whole action. */
      readonly grant: Grant;
      /** Every grant that permits the whole action; a record is in scope if any of them has it. */
      readonly grants: readonly Grant[];
    }
  | BoundaryRefusal<WriteRefusalCode>;

export type ScopeCheck = { readonly ok: true; readonly grant: Grant } | BoundaryRefusal<'record_out_of_scope'>;
