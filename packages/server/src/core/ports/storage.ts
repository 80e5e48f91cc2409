/**
 * The storage port: everything Gatehouse persists, as plain values. Adapters: SQLite (one
 * instance) and PostgreSQL (several instances sharing one database); both pass
 * `adapters/storage/storage.case.ts`.
 *
 * Contracts every adapter honours:
 * - Timestamps are ISO-8601 UTC strings with milliseconds (`2026-01-05T09:00:00.000Z`), so they
 *   sort as strings; any other shape is refused (`storage_invalid_input`). Ranges are
 *   `[from, to)`: `since`/`from` inclusive, `before`/`to` exclusive.
 * - JSON payloads are stored as JSON text on both dialects and come back deep-equal
 *   (`undefined` members are dropped, as by `JSON.stringify`).
 * - Expected races are values, never exceptions: an idempotency or vote duplicate, a failed
 *   compare-and-set (`undefined` / `false`), a taken lease, an exhausted rate window. After a
 *   thrown storage error inside `transaction`, the transaction is lost: rethrow, do not continue.
 * - Driver errors never escape: they become `GatehouseError` with code `storage_unavailable`
 *   (database unreachable, busy, not migrated), `conflict` (duplicate id, missing referenced
 *   row, deadlock: retry), `storage_invalid_input` (a value the schema refuses) or
 *   `storage_failed`; `migrate` may also throw `storage_migration_failed`.
 * - Nothing that matters lives only in memory: every method is safe with several instances on
 *   one PostgreSQL database.
 * - Inside `transaction(fn)`, use only the `tx` repos: on SQLite the outer repos wait for the
 *   transaction to end, so calling them from `fn` deadlocks.
 */

import type { AuditCheckpoint, AuditEntry, AuditHead } from '../audit/types.js';

/** A JSON value (stored as JSON text). Nullable JSON fields hold `null` when absent. */
export type Json = unknown;

export interface MigrationReport {
  /** Migrations applied by this call, in order; empty when the schema was already current. */
  readonly applied: readonly string[];
  readonly latest: string;
}

export interface Storage extends Repos {
  readonly dialect: 'sqlite' | 'postgres';
  /** Idempotent; safe to run from several instances at once. Run at start. */
  migrate(): Promise<MigrationReport>;
  /** All-or-nothing. `fn`'s error is rethrown after rollback. */
  transaction<T>(fn: (tx: Repos) => Promise<T>): Promise<T>;
  /** Resolves when the database answers; throws `storage_unavailable` otherwise (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface Repos {
  readonly keys: KeysRepo;
  readonly agents: AgentsRepo;
  readonly actions: ActionsRepo;
  readonly transitions: TransitionsRepo;
  readonly changesets: ChangesetsRepo;
  readonly approvals: ApprovalsRepo;
  readonly breakers: BreakersRepo;
  readonly kpis: KpisRepo;
  readonly audit: AuditRepo;
  readonly rates: RatesRepo;
  readonly leases: LeasesRepo;
  readonly deliveries: DeliveriesRepo;
  readonly credentials: CredentialsRepo;
  readonly sessions: SessionsRepo;
  readonly insights: InsightsRepo;
}

/** Keyset paging: rows after the row with this id, in the list's order. */
export interface PageOptions {
  readonly limit: number;
  readonly afterId?: string;
}

// --- keys ---

export type KeyKind = 'agent' | 'person' | 'ingest';

export interface KeyRow {
  readonly id: string;
  readonly kind: KeyKind;
  /** agent id, person id or ingest name */
  readonly subject: string;
  /** SHA-256 hex of the token; unique. */
  readonly hash: string;
  /** The first characters of the token, shown in listings. */
  readonly prefix: string;
  readonly label: string | null;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

export interface KeysRepo {
  /** A duplicate id or hash throws `conflict`. */
  insert(row: Omit<KeyRow, 'label' | 'revokedAt'> & { label?: string | null }): Promise<KeyRow>;
  /** Only keys that are not revoked (a revoked key authenticates nobody), unless `includeRevoked`. */
  findByHash(hash: string, opts?: { includeRevoked?: boolean }): Promise<KeyRow | undefined>;
  get(id: string): Promise<KeyRow | undefined>;
  /** Oldest first, revoked keys included. */
  list(filter?: { kind?: KeyKind; subject?: string }): Promise<KeyRow[]>;
  /** false when the key is unknown or already revoked. */
  revoke(id: string, at: string): Promise<boolean>;
}

// --- agents: runtime state only; the agents themselves come from the config file ---

export type AgentMode = 'observe' | 'gated' | 'autonomous' | 'paused';

export interface AgentStateRow {
  readonly id: string;
  readonly mode: AgentMode;
  readonly configVersion: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
  readonly reason: string | null;
}

export interface AgentsRepo {
  get(id: string): Promise<AgentStateRow | undefined>;
  /** Ordered by id. */
  list(): Promise<AgentStateRow[]>;
  /** Create or replace (last writer wins: mode changes are human decisions, audited elsewhere). */
  upsert(row: Omit<AgentStateRow, 'reason'> & { reason?: string | null }): Promise<AgentStateRow>;
  /** Per-operation overrides (`object.operation`), ordered by (agentId, operation); all agents when omitted. */
  listOperationModes(agentId?: string): Promise<OperationModeRow[]>;
  /** Create or replace one (agent, operation) override; last writer wins like `upsert`. */
  upsertOperationMode(row: Omit<OperationModeRow, 'reason'> & { reason?: string | null }): Promise<OperationModeRow>;
}

/** A run-time mode for one `object.operation` of an agent (a promotion or a breaker's demotion). */
export interface OperationModeRow {
  readonly agentId: string;
  /** `object.operation`, e.g. `contacts.update`. */
  readonly operation: string;
  readonly mode: AgentMode;
  readonly configVersion: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
  readonly reason: string | null;
}

// --- actions: the durable state machine. Storage does not interpret `status`; core owns the graph. ---

export interface ActionRow {
  readonly id: string;
  readonly agentId: string;
  readonly connector: string;
  readonly object: string;
  readonly operation: string;
  readonly status: string;
  /** Unique per agent when present. */
  readonly idempotencyKey: string | null;
  readonly request: Json;
  /** `null` until policy decided. */
  readonly decision: Json;
  /** `null` until executed. What execution produced (created ids, connector answer); rollback reads it. */
  readonly result: Json;
  /** `null` unless it failed. */
  readonly error: Json;
  readonly changesetId: string | null;
  readonly approvalId: string | null;
  /** The action this one revises (request-revision, approve-with-edits). */
  readonly parentActionId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Starts at 1 on insert unless given; every `update` adds 1. */
  readonly version: number;
}

type NullableOnInsert = 'idempotencyKey' | 'decision' | 'result' | 'error' | 'changesetId' | 'approvalId';
export type NewAction = Omit<ActionRow, NullableOnInsert | 'parentActionId' | 'updatedAt' | 'version'> &
  Partial<Pick<ActionRow, NullableOnInsert | 'parentActionId' | 'updatedAt' | 'version'>>;

export type ActionInsertResult =
  { readonly inserted: true; readonly row: ActionRow } | { readonly inserted: false; readonly existing: ActionRow };

/** Mutable fields; `updatedAt` is required because storage has no clock. */
export type ActionPatch = Partial<
  Pick<ActionRow, 'status' | 'decision' | 'result' | 'error' | 'changesetId' | 'approvalId'>
> & { readonly updatedAt: string };

/** Compare-and-set guard: the update happens only if every given field still matches. */
export interface ActionExpectation {
  readonly status?: string | readonly string[];
  readonly version?: number;
  /**
   * The row as the caller holds it. When its version is `version`, a successful update answers
   * it with the patch applied instead of reading the row back (the compare-and-set on the
   * version proves the stored row is that one).
   */
  readonly row?: ActionRow;
}

export interface ActionListFilter extends Partial<PageOptions> {
  readonly agentId?: string;
  readonly statuses?: readonly string[];
  readonly since?: string;
  readonly before?: string;
  /** By (createdAt, id); default newest first. */
  readonly order?: 'asc' | 'desc';
}

export interface ActionClaim {
  /** Rows in one of these statuses are claimed... */
  readonly from: readonly string[];
  /** ...and moved to this one, version + 1, updatedAt = `at`. */
  readonly to: string;
  readonly at: string;
  readonly limit: number;
  readonly agentId?: string;
  /** Only rows not touched since (crash recovery: stuck in `executing`). */
  readonly updatedBefore?: string;
}

export interface ActionsRepo {
  /** An idempotency-key duplicate answers the existing row; a duplicate id throws `conflict`. */
  insert(row: NewAction): Promise<ActionInsertResult>;
  get(id: string): Promise<ActionRow | undefined>;
  findByIdempotencyKey(agentId: string, key: string): Promise<ActionRow | undefined>;
  /** The updated row, or `undefined` when the row is missing or `expect` no longer holds. */
  update(id: string, patch: ActionPatch, expect: ActionExpectation): Promise<ActionRow | undefined>;
  list(filter?: ActionListFilter): Promise<ActionRow[]>;
  /** Oldest update first, for sweepers and crash recovery. */
  listByStatus(statuses: readonly string[], opts: { limit: number; updatedBefore?: string }): Promise<ActionRow[]>;
  /**
   * Atomically moves up to `limit` rows (oldest update first) and returns them: rows claimed by
   * one caller are never returned to another (PostgreSQL: `FOR UPDATE SKIP LOCKED`).
   */
  claim(claim: ActionClaim): Promise<ActionRow[]>;
  countByAgentSince(agentId: string, since: string, statuses?: readonly string[]): Promise<number>;
}

// --- transitions ---

export interface TransitionRow {
  readonly actionId: string;
  /** `null` for the first transition. */
  readonly from: string | null;
  readonly to: string;
  readonly at: string;
  readonly detail: Json;
}

export interface TransitionsRepo {
  /** The action must exist by the end of the transaction, else `conflict`. Several rows: one insert, in order. */
  append(row: TransitionRow | readonly TransitionRow[]): Promise<void>;
  /** In append order. */
  list(actionId: string): Promise<TransitionRow[]>;
}

// --- change sets ---

export type Reversibility = 'reversible' | 'compensatable' | 'irreversible';

export interface ChangesetRow {
  readonly id: string;
  readonly actionId: string;
  readonly hash: string;
  readonly summary: Json;
  readonly createdAt: string;
  /** Set by storage: how many records `insert` stored. */
  readonly recordCount: number;
}

export interface ChangeRecordRow {
  readonly changesetId: string;
  /** 0-based position; `listRecords` pages in this order. */
  readonly idx: number;
  /** The object this record belongs to (one operation can touch several). */
  readonly object: string;
  readonly recordId: string;
  /** `null` for a record to create. */
  readonly before: Json;
  /** `null` for a record to delete. */
  readonly after: Json;
  readonly fingerprint: string | null;
  readonly reversibility: Reversibility;
  readonly noop: boolean;
}

export interface ChangesetsRepo {
  /** Header and records all-or-nothing; 10,000 records in a few batched statements. */
  insert(header: Omit<ChangesetRow, 'recordCount'>, records: readonly ChangeRecordRow[]): Promise<ChangesetRow>;
  get(id: string): Promise<ChangesetRow | undefined>;
  /** Oldest first. */
  listByAction(actionId: string): Promise<ChangesetRow[]>;
  /** Ordered by idx. */
  listRecords(changesetId: string, page: { offset: number; limit: number }): Promise<ChangeRecordRow[]>;
}

// --- approvals ---

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'void';

export interface ApprovalRow {
  readonly id: string;
  readonly actionId: string;
  /** The approval binds to exactly this change set, policy and agent config. */
  readonly changesetHash: string;
  readonly policyVersion: string;
  readonly agentVersion: string;
  /** Quorum: approving votes needed. */
  readonly required: number;
  readonly role: string;
  readonly checklist: Json;
  readonly status: ApprovalStatus;
  readonly expiresAt: string;
  readonly escalationLevel: number;
  /** When the next rung of the escalation ladder is due; `null` when there is none. */
  readonly nextEscalationAt: string | null;
  readonly createdAt: string;
  readonly decidedAt: string | null;
  /** `null` until decided. */
  readonly outcome: Json;
  readonly version: number;
}

export type NewApproval = Omit<ApprovalRow, 'nextEscalationAt' | 'decidedAt' | 'outcome' | 'version'> &
  Partial<Pick<ApprovalRow, 'nextEscalationAt' | 'decidedAt' | 'outcome' | 'version'>>;

/** `version` is not patchable: every update adds 1. */
export type ApprovalPatch = Partial<
  Pick<
    ApprovalRow,
    | 'status'
    | 'expiresAt'
    | 'escalationLevel'
    | 'nextEscalationAt'
    | 'decidedAt'
    | 'outcome'
    | 'changesetHash'
    | 'required'
  >
>;

export type VoteDecision = 'approve' | 'reject' | 'revise';

export interface VoteRow {
  readonly approvalId: string;
  readonly personId: string;
  readonly decision: VoteDecision;
  readonly comment: string | null;
  readonly checklist: Json;
  /** approve-with-edits; `null` when none. */
  readonly edits: Json;
  /** The change set hash this vote is about ('' for votes stored before migration 0003). */
  readonly changesetHash: string;
  readonly at: string;
}

export interface ApprovalsRepo {
  /** The action must exist by the end of the transaction, else `conflict`. */
  insert(row: NewApproval): Promise<ApprovalRow>;
  get(id: string): Promise<ApprovalRow | undefined>;
  /** Oldest first by (createdAt, id). */
  list(filter?: { status?: ApprovalStatus; actionId?: string } & Partial<PageOptions>): Promise<ApprovalRow[]>;
  /** Compare-and-set like `actions.update`; `undefined` when `expect` no longer holds. */
  update(
    id: string,
    patch: ApprovalPatch,
    expect: { status?: ApprovalStatus; version?: number },
  ): Promise<ApprovalRow | undefined>;
  /** false when this person already voted on this approval (nothing is written). */
  addVote(
    vote: Omit<VoteRow, 'edits' | 'comment' | 'changesetHash'> & {
      comment?: string | null;
      edits?: Json;
      changesetHash?: string;
    },
  ): Promise<boolean>;
  /** In vote order. */
  listVotes(approvalId: string): Promise<VoteRow[]>;
  /** Pending approvals with `expiresAt <= now`, soonest first. */
  listPendingExpiringBefore(now: string, limit: number): Promise<ApprovalRow[]>;
  /** Pending approvals that expired or whose next escalation is due (`<= now`), most overdue first. */
  listDue(now: string, limit: number): Promise<ApprovalRow[]>;
}

// --- breakers: shared state every instance obeys ---

export type BreakerState = 'closed' | 'open' | 'half_open' | 'forced_open' | 'disabled';

export interface BreakerRow {
  readonly breakerId: string;
  /** The halted scope, e.g. `agent:lead-router`; one breaker may hold several scopes. */
  readonly scopeKey: string;
  readonly state: BreakerState;
  readonly version: number;
  readonly since: string;
  readonly reason: Json;
  readonly consecutiveFails: number;
  readonly probeBudget: number;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

export interface BreakerEventRow {
  readonly breakerId: string;
  readonly scopeKey: string;
  readonly at: string;
  /** e.g. `tripped`, `reset`, `evaluated` */
  readonly kind: string;
  readonly from: BreakerState | null;
  readonly to: BreakerState | null;
  readonly actor: string;
  readonly detail: Json;
}

export interface BreakersRepo {
  get(breakerId: string, scopeKey: string): Promise<BreakerRow | undefined>;
  /** Ordered by (breakerId, scopeKey). */
  list(filter?: { breakerId?: string }): Promise<BreakerRow[]>;
  /**
   * Writes `row` as given. `expectVersion`: a number replaces only the row stored with that
   * version (and `row.version` must be greater); `null` creates only if absent; omitted
   * creates or replaces unconditionally. false when the guard failed.
   */
  upsert(row: BreakerRow, expectVersion?: number | null): Promise<boolean>;
  appendEvent(event: BreakerEventRow): Promise<void>;
  /** In append order. */
  listEvents(filter: { breakerId?: string; scopeKey?: string; limit: number }): Promise<BreakerEventRow[]>;
}

// --- KPI samples: counts per period, idempotent by (metric, dims, at) ---

export interface KpiSample {
  readonly metric: string;
  readonly value: number;
  readonly at: string;
  readonly dims: Readonly<Record<string, string>>;
}

export interface KpiQuery {
  readonly metric: string;
  readonly from: string;
  readonly to: string;
  /** Partial match: samples whose dims include every given key with that value. */
  readonly dims?: Readonly<Record<string, string>>;
}

export interface KpisRepo {
  /** Number actually stored: a sample whose (metric, dims, at) exists is ignored (first wins). */
  insertSamples(samples: readonly KpiSample[]): Promise<number>;
  /** Ordered by (at, dims). */
  query(q: KpiQuery): Promise<KpiSample[]>;
  sum(q: KpiQuery): Promise<number>;
  /** Deletes samples with `at < before`; answers how many. */
  prune(before: string): Promise<number>;
}

// --- audit log storage; the hash chain itself is built in core/audit ---

/** The shapes are defined (and documented) with the hash chain that builds them. */
export type { AuditCheckpoint, AuditEntry, AuditHead };

export interface AuditRepo {
  /**
   * Appends under a lock held by one appender at a time, across transactions and processes:
   * reads the head inside the lock, calls `build(head)` once and inserts what it returns, in the
   * current transaction (on `tx.audit`) or its own. The entries' seqs must continue the head
   * contiguously (the first entry ever is seq 1), else `conflict` and nothing is written.
   * `build`'s own errors propagate unchanged.
   */
  append(build: (head: AuditHead | null) => AuditEntry[]): Promise<AuditEntry[]>;
  head(): Promise<AuditHead | null>;
  /** Ordered by seq. */
  list(opts: { afterSeq?: number; limit: number }): Promise<AuditEntry[]>;
  /** Every entry in seq order, fetched `batchSize` at a time (default 1000). */
  iterate(opts?: { afterSeq?: number; batchSize?: number }): AsyncIterable<AuditEntry>;
  count(): Promise<number>;
  /** Checkpoint seqs are contiguous from 1, else `conflict`. */
  insertCheckpoint(cp: AuditCheckpoint): Promise<void>;
  /** Ordered by seq. */
  listCheckpoints(opts?: { afterSeq?: number; limit?: number }): Promise<AuditCheckpoint[]>;
  latestCheckpoint(): Promise<AuditCheckpoint | undefined>;
}

// --- coordination between instances ---

export interface RatesRepo {
  /**
   * Atomic fixed-window counter shared by all instances: counts `amount` (default 1) against
   * `(key, windowStart)` only if the window's count stays `<= limit`. `count` is the window's
   * count after the call.
   */
  take(key: string, windowStart: string, limit: number, amount?: number): Promise<{ allowed: boolean; count: number }>;
  /** The window's count now, without taking (0 for a window nobody counted in). */
  current(key: string, windowStart: string): Promise<number>;
  /** Deletes windows that started before `before`; answers how many. */
  prune(before: string): Promise<number>;
}

export interface LeaseRow {
  readonly name: string;
  readonly holder: string;
  readonly until: string;
}

export interface LeasesRepo {
  /** Takes or renews the lease if it is free, expired (`until <= now`) or already `holder`'s. */
  tryAcquire(name: string, holder: string, until: string, now: string): Promise<boolean>;
  /** false when `holder` does not hold it. */
  release(name: string, holder: string): Promise<boolean>;
  get(name: string): Promise<LeaseRow | undefined>;
}

// ---------------------------------------------------------------------------------------------
// outgoing notifications: a durable outbox, so an accepted event is delivered (with retries) even
// if the instance that produced it dies, and exactly one instance sends each attempt

export type DeliveryChannel = 'webhook' | 'slack' | 'callback';
/** Storage never writes `failed`: `markFailed` answers `pending` (retry) or `gave_up`. */
export type DeliveryStatus = 'pending' | 'sending' | 'delivered' | 'failed' | 'gave_up';

export interface DeliveryRow {
  readonly id: string;
  readonly channel: DeliveryChannel;
  /** URL, Slack channel id, … */
  readonly target: string;
  /** e.g. `approval.requested`, `approval.decided`, `action.executed`, `breaker.tripped` */
  readonly event: string;
  /** What the event is about (approval id, action id, breaker id), for listings and updates. */
  readonly subject: string | null;
  readonly payload: Json;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly lastError: string | null;
  /** HTTP status (or channel-specific result) of the last attempt; `null` before any, or when none. */
  readonly lastResponse: Json;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly deliveredAt: string | null;
}

export type NewDelivery = Pick<
  DeliveryRow,
  'id' | 'channel' | 'target' | 'event' | 'subject' | 'payload' | 'createdAt'
> & {
  readonly nextAttemptAt?: string;
};

export interface DeliveriesRepo {
  /**
   * Rows start `pending`, attempts 0, updatedAt = createdAt, nextAttemptAt = createdAt unless
   * given. All-or-nothing; a duplicate id throws `conflict`. Call it on `tx.deliveries` so the
   * event is enqueued with the state change it announces.
   */
  enqueue(rows: readonly NewDelivery[]): Promise<void>;
  /**
   * Atomically moves up to `limit` rows that are `pending` with `nextAttemptAt <= now` — or
   * `sending` with `updatedAt < staleBefore` (a sender died mid-attempt) — to `sending`
   * (attempts + 1, updatedAt = now) and returns them; each row goes to exactly one caller.
   */
  claimDue(now: string, limit: number, staleBefore: string): Promise<DeliveryRow[]>;
  /** Only from `sending`; false otherwise. `lastError` keeps the last failure, if any. */
  markDelivered(id: string, at: string, response: Json): Promise<boolean>;
  /** Only from `sending`: back to `pending` at `retryAt`, or `gave_up` when `retryAt` is null. */
  markFailed(id: string, at: string, error: string, response: Json, retryAt: string | null): Promise<boolean>;
  get(id: string): Promise<DeliveryRow | undefined>;
  /** Newest first. */
  list(filter: { status?: DeliveryStatus; subject?: string; event?: string; limit: number }): Promise<DeliveryRow[]>;
}

// ---------------------------------------------------------------------------------------------
// dashboard sign-in: local passwords (scrypt hashes, produced by core) and sessions

export interface CredentialRow {
  readonly personId: string;
  /** Self-describing hash string, e.g. `scrypt$N$r$p$salt$hash`; never the password. */
  readonly passwordHash: string;
  readonly updatedAt: string;
}

export interface CredentialsRepo {
  /** Create or replace. */
  set(row: CredentialRow): Promise<void>;
  get(personId: string): Promise<CredentialRow | undefined>;
}

export interface SessionRow {
  /** SHA-256 hex of the session token (the cookie holds the token). */
  readonly idHash: string;
  readonly personId: string;
  /** Random token the page must echo on every state-changing request. */
  readonly csrfToken: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
}

export interface SessionsRepo {
  /** A duplicate idHash throws `conflict`. */
  create(row: Omit<SessionRow, 'revokedAt'>): Promise<void>;
  /** Only sessions not revoked and with `expiresAt > now`. */
  getActive(idHash: string, now: string): Promise<SessionRow | undefined>;
  /** false when the session is unknown or already revoked. */
  revoke(idHash: string, at: string): Promise<boolean>;
  /** Revokes every session of a person (password change); answers how many were not yet revoked. */
  revokeAllFor(personId: string, at: string): Promise<number>;
  /** Deletes sessions that expired before `before`; answers how many. */
  prune(before: string): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// read-only aggregates for the dashboard: counted in SQL, so an overview of many agents with many
// actions costs a few GROUP BY statements instead of reading rows

/** Actions counted per (agent, status, via an approval or not), and per hour of `createdAt` when asked. */
export interface ActionCountRow {
  readonly agentId: string;
  readonly status: string;
  /** Start of the hour (`2026-01-05T09:00:00.000Z`) when `byHour`, else `null`. */
  readonly hour: string | null;
  /** Actions that went through an approval (`approvalId` set) are counted apart. */
  readonly viaApproval: boolean;
  readonly count: number;
}

export interface ActionCountQuery {
  /** `createdAt` range `[since, before)`. */
  readonly since: string;
  readonly before?: string;
  readonly agentId?: string;
  readonly byHour?: boolean;
}

/** An agent's approvals that ended by a person's decision (status approved or rejected). */
export interface ApprovalDecisionCounts {
  readonly approved: number;
  /** Rejected, including revision requests. */
  readonly rejected: number;
  /** Of the rejected: revision requests (outcome `revise`). */
  readonly revised: number;
  /** Of the approved: those with at least one approve-with-edits vote. */
  readonly edited: number;
}

/**
 * Audit filters; every given filter must hold. Text matches are case-insensitive substring matches
 * on the stored JSON text (`%` and `_` match themselves).
 */
export interface AuditSearch {
  /** Seq range `(afterSeq, beforeSeq)`. */
  readonly afterSeq?: number;
  readonly beforeSeq?: number;
  readonly limit: number;
  /** `asc` (default): oldest first from `afterSeq`; `desc`: newest first below `beforeSeq`. */
  readonly order?: 'asc' | 'desc';
  /** Exact type, or every type under a prefix ending in `.` (`action.`). */
  readonly type?: string;
  /** `at` range `[from, to)`. */
  readonly from?: string;
  readonly to?: string;
  /** Entries by `agent:<id>` or whose data names `agent_id` = id. */
  readonly agentId?: string;
  /** Entries by `person:<id>` or whose data names `person_id` = id. */
  readonly personId?: string;
  /** Entries about the action: subject = id, or data names `action_id` = id. */
  readonly actionId?: string;
  /** Free text over type, actor, subject and the data's JSON. */
  readonly text?: string;
}

export interface InsightsRepo {
  /** One GROUP BY over the actions created in the range. Rows in no particular order. */
  actionCounts(q: ActionCountQuery): Promise<ActionCountRow[]>;
  /** Pending approvals per agent (of the approval's action); agents without any are absent. */
  pendingApprovalsByAgent(): Promise<{ readonly agentId: string; readonly count: number }[]>;
  approvalDecisions(agentId: string): Promise<ApprovalDecisionCounts>;
  searchAudit(q: AuditSearch): Promise<AuditEntry[]>;
}
