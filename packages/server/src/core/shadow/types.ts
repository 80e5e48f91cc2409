/**
 * Shadow scoring inputs and outputs. All times are epoch milliseconds inside the scorer (ISO
 * strings only at the edges), so matching is arithmetic, not string parsing.
 */
import type { Rate } from './wilson.js';

/** One field an agent in observe mode proposed to set on one record. */
export interface ShadowProposal {
  readonly agentId: string;
  readonly actionId: string;
  /** `object.operation` of the action, e.g. `contacts.update`. */
  readonly operation: string;
  readonly connector: string;
  /** The record's object (one operation may touch several). */
  readonly object: string;
  readonly recordId: string;
  readonly field: string;
  readonly value: string | null;
  /** When the proposal was recorded (the action's `createdAt`). */
  readonly at: number;
}

/** One shadowed (or, in observe mode, denied) action: the unit of rule adherence. */
export interface ShadowAction {
  readonly agentId: string;
  readonly actionId: string;
  readonly operation: string;
  readonly at: number;
  /** The policy would have let it through without a person (decision effect `allow`). */
  readonly allowed: boolean;
}

/** A property write made by a person (actor kind `person`). */
export interface HumanChange {
  readonly connector: string;
  readonly object: string;
  readonly recordId: string;
  readonly field: string;
  readonly value: string | null;
  readonly at: number;
  /** `person:<id>`; shown in examples only. */
  readonly actor?: string;
}

export const SHADOW_CATEGORIES = ['agreement', 'disagreement', 'unconfirmed', 'superseded'] as const;
export type ShadowCategory = (typeof SHADOW_CATEGORIES)[number];

export type BucketSize = 'day' | 'week';

export interface ScoreOptions {
  /** How long after a proposal a person's change still counts as the answer to it. */
  readonly matchWindowMs: number;
  /** The period scored: proposals and missed changes with `from <= at < to`. */
  readonly from: number;
  readonly to: number;
  /** Proposals whose window has not closed by `now` and have no answer yet are `pending` (a kind of unconfirmed). */
  readonly now: number;
  readonly bucket?: BucketSize;
  /**
   * Missed changes: the operation (`object.update`) under which `agentId` may write this field, or
   * `undefined` when it may not. Without it nothing counts as missed.
   */
  readonly writableAs?: (agentId: string, connector: string, object: string, field: string) => string | undefined;
  /** Missed changes: is the record in the agent's view (its grants' segment filter)? Default: yes. */
  readonly inView?: (agentId: string, connector: string, object: string, recordId: string) => boolean;
  /** Agents to score even without proposals (their changes can still be missed). */
  readonly agents?: readonly string[];
  /** Keep up to this many example proposals per category and agent (default 5). */
  readonly examples?: number;
}

export interface ShadowCounts {
  /** Field-level proposals in the period (every category). */
  proposals: number;
  agreement: number;
  disagreement: number;
  /** People changed a field the agent may write, on a record in its view; it proposed nothing. */
  missed: number;
  unconfirmed: number;
  /** Of `unconfirmed`: the match window is still open. */
  pending: number;
  /** A later proposal for the same record and field replaced this one before anyone answered. */
  superseded: number;
  /** Actions (shadowed, or denied while observing): the denominator of rule adherence. */
  actions: number;
  /** Of `actions`: the policy's effect was `allow`. */
  allowed: number;
}

export interface ShadowMetrics extends Readonly<ShadowCounts> {
  /** agreement / (agreement + disagreement). */
  readonly precision: Rate;
  /** agreement / (agreement + disagreement + missed). */
  readonly recall: Rate;
  /** allowed / actions. */
  readonly ruleAdherence: Rate;
}

export interface ShadowBucket {
  /** Start of the bucket (UTC midnight; weeks start on Monday). */
  readonly start: string;
  readonly metrics: ShadowMetrics;
}

export interface ShadowExample {
  readonly category: ShadowCategory | 'missed';
  readonly operation: string;
  readonly object: string;
  readonly recordId: string;
  readonly field: string;
  readonly proposed: string | null | undefined;
  readonly human: string | null | undefined;
  readonly proposedAt?: string;
  readonly changedAt?: string;
  readonly actionId?: string;
  readonly actor?: string;
}

export interface OperationScore {
  readonly operation: string;
  readonly metrics: ShadowMetrics;
  readonly buckets: readonly ShadowBucket[];
}

export interface AgentScore {
  readonly agentId: string;
  readonly metrics: ShadowMetrics;
  readonly buckets: readonly ShadowBucket[];
  readonly operations: readonly OperationScore[];
  /** First proposal in the period (ISO), `null` without proposals. */
  readonly firstProposalAt: string | null;
  readonly examples: readonly ShadowExample[];
}

export interface ShadowReport {
  readonly from: string;
  readonly to: string;
  readonly matchWindowMs: number;
  readonly bucket: BucketSize;
  readonly agents: readonly AgentScore[];
}

/** Per proposal, for tests and drill-downs. */
export interface ProposalOutcome {
  readonly proposal: ShadowProposal;
  readonly category: ShadowCategory;
  readonly pending: boolean;
  readonly answer?: HumanChange;
}
