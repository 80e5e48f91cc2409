/**
 * The connector port: the one interface every CRM connector implements (the built-in sandbox,
 * HubSpot, Salesforce, ...). Plain types, no I/O. Semantics follow HubSpot's CRM v3 API, because
 * that is what RevOps teams know: every property value is a string (or null when unset), paging
 * uses an opaque `after` cursor, search takes HubSpot's filter operators.
 *
 * Contracts every adapter honours (checked by `adapters/connectors/connector.case.ts`):
 * - Unknown objects, properties and operations, malformed cursors and filters throw a
 *   `GatehouseError` with one of `CONNECTOR_ERROR_CODES`; expected outcomes of a write
 *   (stale, failed, conflict) are tagged values, never exceptions.
 * - `fingerprint` = SHA-256 (hex) over the RFC 8785 canonical JSON of the record's full property
 *   map as read. `apply` re-reads every record and compares fingerprints inside one write
 *   transaction: any mismatch answers `stale` and nothing is written.
 * - `apply` records its idempotency key in the same transaction as its writes; a key seen before
 *   answers the stored result with `replayed: true` and writes nothing, so a crash between "write"
 *   and "remember" can never apply twice.
 * - Every property write appends a history entry (value, timestamp, source, actor); rollback and
 *   stale detection read that history, because CRMs like HubSpot have no ETag on writes.
 * - List paging follows an immutable insertion order: paging through all records returns each
 *   exactly once, even while records are updated between pages.
 *
 * Refinements of the original sketch, and why:
 * - `PlannedRecordChange.object`: one operation can touch several objects (launching a campaign
 *   sends its emails; enrolling in a sequence writes the contacts), and fingerprints, history and
 *   rollback are per record of a concrete object.
 * - `ChangePlan.target` echoes the request's target for non-record operations (launch, pause,
 *   enroll), so an approver sees what the operation is aimed at.
 * - `ApplyResult` applied `records[].ref`: a created record gets its id on apply; `ref` is the id
 *   the request used for it, so callers can map the two.
 * - `ARCHIVED_PROPERTY`: undoing a `create` archives the record. It is expressed as a revert item
 *   on this pseudo-property so rollback stays one loop over items.
 */

/** HubSpot: every property value is a string; `null` means unset. */
export type PropertyValue = string | null;

export interface CrmRecord {
  readonly id: string;
  readonly properties: Readonly<Record<string, PropertyValue>>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type PropertyType = 'string' | 'number' | 'enumeration' | 'datetime' | 'bool';

export interface PropertySchema {
  readonly name: string;
  readonly type: PropertyType;
  /** Personal data: boundaries mask or hash it unless a grant allows it. */
  readonly pii?: boolean;
  readonly label?: string;
  /** Allowed values of an `enumeration`. */
  readonly options?: readonly string[];
  /** Maintained by the CRM itself (createdate, lastmodifieddate); a change request may not set it. */
  readonly readOnly?: boolean;
}

export interface ObjectSchema {
  readonly name: string;
  readonly properties: readonly PropertySchema[];
  /** read, update, create, launch, pause, enroll ... */
  readonly operations: readonly string[];
}

export type FilterOperator =
  'EQ' | 'NEQ' | 'LT' | 'LTE' | 'GT' | 'GTE' | 'IN' | 'NOT_IN' | 'HAS_PROPERTY' | 'NOT_HAS_PROPERTY' | 'CONTAINS_TOKEN';

export const FILTER_OPERATORS: readonly FilterOperator[] = [
  'EQ',
  'NEQ',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'IN',
  'NOT_IN',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'CONTAINS_TOKEN',
];

/**
 * One search condition; all filters of a search must hold (HubSpot's single filter group).
 * `NEQ` and `NOT_IN` also match records where the property is unset; range operators never do.
 * `CONTAINS_TOKEN` matches a whole token of the value (tokens split on whitespace, `;` and `,`),
 * case-insensitively; a `*` in the token is a wildcard over the whole value.
 */
export interface Filter {
  readonly property: string;
  readonly operator: FilterOperator;
  readonly value?: string;
  readonly values?: readonly string[];
}

export interface Page {
  readonly results: CrmRecord[];
  /** Opaque cursor; absent on the last page. */
  readonly nextAfter?: string;
}

export type SortDirection = 'ASCENDING' | 'DESCENDING';

export type Reversibility = 'reversible' | 'compensatable' | 'irreversible';

export interface ChangeRequest {
  readonly object: string;
  readonly operation: string;
  /** Record edits (`update`, `create`). For `create`, `id` is the caller's reference, echoed as `ref`. */
  readonly records?: readonly { readonly id: string; readonly changes: Readonly<Record<string, PropertyValue>> }[];
  /** The record a non-edit operation acts on (`launch`, `pause`, `enroll`). */
  readonly target?: string;
  /** Operation parameters, e.g. `{ contact_ids: [...] }` for `enroll`. */
  readonly params?: Readonly<Record<string, unknown>>;
}

export interface PlannedRecordChange {
  /** The object this record belongs to; may differ from the plan's object (see the header). */
  readonly object: string;
  readonly id: string;
  /** Only the properties the change touches, as they are now. */
  readonly before: Readonly<Record<string, PropertyValue>>;
  readonly after: Readonly<Record<string, PropertyValue>>;
  /** Fingerprint of the whole record as read at planning time (of `null` for a record to create). */
  readonly fingerprint: string;
  readonly reversibility: Reversibility;
  /** after == before: applying writes nothing for this record. */
  readonly noop: boolean;
}

export interface ChangePlan {
  readonly object: string;
  readonly operation: string;
  readonly target?: string;
  readonly records: readonly PlannedRecordChange[];
  /** Requested ids that do not exist (or are archived). */
  readonly missing: readonly string[];
  /** Values the CRM would refuse; a plan with any is not applied (`failed`, code `invalid_plan`). */
  readonly invalid: readonly { readonly id: string; readonly property: string; readonly message: string }[];
}

export interface Actor {
  readonly kind: 'agent' | 'person' | 'integration' | 'system';
  readonly id: string;
}

export interface ApplyContext {
  readonly idempotencyKey: string;
  readonly actor: Actor;
  /** Recorded as each history entry's source, e.g. `gatehouse`, `rollback`, `import`. */
  readonly source: string;
}

export type ApplyResult =
  /** `replayed`: the idempotency key was seen before; nothing was written again. */
  | {
      readonly type: 'applied';
      readonly appliedAt: string;
      readonly records: readonly { readonly id: string; readonly ref?: string }[];
      readonly replayed: boolean;
    }
  /** Fingerprints changed since planning (`actual: null` = the record is gone): nothing written. */
  | { readonly type: 'stale'; readonly stale: readonly { id: string; expected: string; actual: string | null }[] }
  /**
   * Nothing written. Codes: `invalid_plan` (values the CRM refuses), `idempotency_key_reused` (the
   * key was applied with a different plan), `storage_error` / vendor codes (retryable says whether
   * the same call may succeed later).
   */
  | { readonly type: 'failed'; readonly code: string; readonly message: string; readonly retryable: boolean };

/**
 * Undo one property write. The caller derives items from an executed change set and passes them
 * newest first. `appliedAt` is the `ApplyResult.appliedAt` of the write being undone.
 * To undo a `create`, pass `{ property: ARCHIVED_PROPERTY, wrote: 'false', restore: 'true' }`.
 */
export interface RevertItem {
  readonly object: string;
  readonly id: string;
  readonly property: string;
  readonly wrote: PropertyValue;
  readonly restore: PropertyValue;
  readonly appliedAt: string;
}

/** Pseudo-property for archiving (undoing a `create`); never a real CRM property name. */
export const ARCHIVED_PROPERTY = '$archived';

export type RevertOutcome = { readonly id: string; readonly property: string } & (
  | { readonly type: 'restored' }
  | { readonly type: 'already_restored' }
  | {
      readonly type: 'conflict';
      readonly current: PropertyValue;
      readonly changedBy: Actor;
      readonly changedAt: string;
    }
  | { readonly type: 'missing' }
);

export interface PropertyHistoryEntry {
  readonly object: string;
  readonly id: string;
  readonly property: string;
  readonly value: PropertyValue;
  readonly timestamp: string;
  readonly source: string;
  readonly actor: Actor;
}

export interface ListOptions {
  readonly limit: number;
  readonly after?: string;
  /** Project these properties; all properties when absent. Fingerprints always cover all. */
  readonly properties?: readonly string[];
}

export interface SearchOptions {
  readonly filters: readonly Filter[];
  readonly limit: number;
  readonly after?: string;
  readonly sorts?: readonly { readonly property: string; readonly direction: SortDirection }[];
}

export interface ChangesOptions {
  /** Inclusive. */
  readonly from: string;
  /** Exclusive. */
  readonly to: string;
  readonly object?: string;
  readonly actorKinds?: readonly Actor['kind'][];
  readonly limit: number;
  readonly after?: string;
}

export interface Connector {
  readonly id: string;
  readonly type: string;
  schema(): ObjectSchema[];
  list(object: string, opts: ListOptions): Promise<Page>;
  /** `undefined` for unknown or archived ids. */
  get(object: string, id: string): Promise<CrmRecord | undefined>;
  /** Found records only; missing ids are absent from the map. */
  getMany(object: string, ids: readonly string[]): Promise<Map<string, CrmRecord>>;
  search(object: string, opts: SearchOptions): Promise<Page & { total: number }>;
  /**
   * `read`: records of `req.object` the caller just read with this connector's `getMany` (the
   * pipeline checks a grant's `where` on them). The plan is made from exactly those states, so
   * its fingerprints are of the records that were checked: a record that changes between the
   * check and the plan is caught at apply (its fingerprint no longer matches), never applied
   * unchecked. Ids absent from `read`, and records of other objects, are read by the plan.
   */
  plan(req: ChangeRequest, read?: ReadonlyMap<string, CrmRecord>): Promise<ChangePlan>;
  apply(plan: ChangePlan, ctx: ApplyContext): Promise<ApplyResult>;
  revert(items: readonly RevertItem[], ctx: ApplyContext): Promise<RevertOutcome[]>;
  /** Newest first (as HubSpot's `propertiesWithHistory`); ties in time broken by write order. */
  history(object: string, id: string, property?: string): Promise<PropertyHistoryEntry[]>;
  /** Property writes in [from, to), oldest first, across records; for shadow scoring and audits. */
  changes(opts: ChangesOptions): Promise<{ results: PropertyHistoryEntry[]; nextAfter?: string }>;
  health(): Promise<{ ok: boolean; detail: string }>;
  close(): Promise<void>;
}

/** Stable `GatehouseError` codes a connector throws for requests it cannot process at all. */
export const CONNECTOR_ERROR_CODES = {
  unknownObject: 'unknown_object',
  unknownProperty: 'unknown_property',
  unsupportedOperation: 'unsupported_operation',
  invalidCursor: 'invalid_cursor',
  invalidFilter: 'invalid_filter',
  /** limit outside 1..MAX_PAGE_LIMIT, missing target/records/params for an operation. */
  invalidRequest: 'invalid_request',
  connectorClosed: 'connector_closed',
} as const;

/** Largest page a connector serves in one call (HubSpot serves 100 per list page, 200 per search page). */
export const MAX_PAGE_LIMIT = 1000;
