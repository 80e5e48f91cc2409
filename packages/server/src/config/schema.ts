/**
 * The shape of gatehouse.yaml, version 1 (the contract is `gatehouse.example.yaml`).
 *
 * Every object is strict: an unknown key is an error, because a typo such as `objets` must not
 * silently widen or narrow what an agent may do. Defaults are filled here; durations become
 * milliseconds and CEL expressions are compiled here, so every such error is reported in the
 * same pass as the shape errors. Cross-references (roles, owners, connectors, agent ids) are
 * checked afterwards in `references.ts`.
 */
import { z } from 'zod';
import { compileCel, type CelContext } from '../core/cel.js';
import { describe } from './diagnostics.js';
import { DURATION_HINT, parseDuration } from './duration.js';

export const BUILT_IN_ROLES = ['admin', 'approver', 'auditor', 'responder'] as const;
export const AGENT_MODES = ['observe', 'gated', 'autonomous', 'paused'] as const;
export const POLICY_EFFECTS = ['allow', 'require_approval', 'deny'] as const;
export const PII_HANDLING = ['mask', 'hash', 'allow'] as const;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Issue codes this schema raises itself, carried in `params.code` (see `issues.ts`). */
const issue = (code: string, message: string, input: unknown) =>
  ({ code: 'custom', message, input, params: { code } }) as const;

// ── scalars ──────────────────────────────────────────────────────────────────────────────

const Id = z
  .string()
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be letters, digits, -, _ or . (no spaces)');
const Text = z.string().trim().min(1);
const Secret = z.string().min(1);
const HttpUrl = z.url({ protocol: /^https?$/ });
const NonEmptyIds = z.array(Id).min(1);
const Metric = z
  .string()
  .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, 'must be a dotted metric name such as email.ctr');

const MAX_DURATION_MS = 3_650 * DAY;

/** A duration string → milliseconds. Numbers are refused (unit-less durations are ambiguous). */
const Duration = z.unknown().transform((value, ctx) => {
  if (value === undefined) {
    ctx.addIssue({ code: 'invalid_type', expected: 'string', input: value });
    return z.NEVER;
  }
  const ms = typeof value === 'string' ? parseDuration(value) : undefined;
  if (ms === undefined) {
    ctx.addIssue(issue('invalid_duration', `must be ${DURATION_HINT} (got ${describe(value)})`, value));
    return z.NEVER;
  }
  // Longer spans are typos (and overflow date arithmetic in storage queries).
  if (ms > MAX_DURATION_MS) {
    ctx.addIssue(issue('invalid_duration', `must be at most 3650d (got ${describe(value)})`, value));
    return z.NEVER;
  }
  return ms;
});

/** A CEL expression, compiled once here for the context it appears in. */
const Cel = (context: CelContext) =>
  z.string().transform((source, ctx) => {
    const compiled = compileCel(source, context);
    if (!compiled.ok) {
      ctx.addIssue(issue('invalid_cel', `invalid CEL: ${compiled.message}`, source));
      return z.NEVER;
    }
    return { source, expr: compiled.expr };
  });

/**
 * `sqlite:PATH` (relative paths resolve against the process's working directory, not the
 * config file's folder, so `gatehouse serve` run from the project root finds ./data) or
 * `sqlite::memory:`, or `postgres://…` / `postgresql://…`.
 */
const StorageUrl = z.string().transform((url, ctx) => {
  if (url.startsWith('sqlite:') && url.length > 'sqlite:'.length) {
    return { url, kind: 'sqlite' as const, path: url.slice('sqlite:'.length) };
  }
  if (/^postgres(ql)?:\/\/\S+$/.test(url)) return { url, kind: 'postgres' as const };
  ctx.addIssue(issue('invalid_value', `must be sqlite:PATH or postgres://user@host:5432/db (got '${url}')`, url));
  return z.NEVER;
});

/** `host:port` or `[v6-host]:port`. Port 0 asks the OS for a free port (tests). */
const Listen = z.string().transform((listen, ctx) => {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(listen);
  const port = Number(m?.[2]);
  if (!m || port > 65_535) {
    ctx.addIssue(issue('invalid_value', `must be host:port such as 127.0.0.1:4100 (got '${listen}')`, listen));
    return z.NEVER;
  }
  return { listen, host: m[1]!.replace(/^\[|\]$/g, ''), port };
});

/** `trailing_<duration>` (trailing_7d, trailing_24h, …) or `same_hours_last_week`. */
const Baseline = z.string().transform((text, ctx) => {
  if (text === 'same_hours_last_week') return { source: text, kind: 'same_hours_last_week' as const };
  const ms = text.startsWith('trailing_') ? parseDuration(text.slice('trailing_'.length)) : undefined;
  if (ms !== undefined) return { source: text, kind: 'trailing' as const, window_ms: ms };
  const hint = 'trailing_7d, trailing_24h, trailing_<duration> or same_hours_last_week';
  ctx.addIssue(issue('invalid_value', `must be ${hint} (got '${text}')`, text));
  return z.NEVER;
});

const IsoDateTime = z.iso.datetime({ offset: true, error: 'must be a date-time such as 2025-12-24T00:00:00Z' });

/** Either a role or a person (escalation ladders, breaker notifications). */
const NotifyTarget = z
  .strictObject({ role: Id.optional(), person: Id.optional() })
  .superRefine((t, ctx) => {
    if ((t.role === undefined) === (t.person === undefined)) {
      ctx.addIssue(issue('invalid_value', 'give exactly one of role or person, e.g. { role: responder }', t));
    }
  })
  .transform((t) => (t.role !== undefined ? { role: t.role } : { person: t.person! }));

// ── sections ─────────────────────────────────────────────────────────────────────────────

const Storage = z.strictObject({ url: StorageUrl.default(() => StorageUrl.parse('sqlite:./data/gatehouse.db')) });

const Server = z.strictObject({
  listen: Listen.default(() => Listen.parse('127.0.0.1:4100')),
  /** Base of links sent to approvers; defaults to http://<listen>. */
  public_url: HttpUrl.optional(),
  /** Largest request body accepted, in bytes. */
  body_limit: z.int().min(1_024).max(1_073_741_824).default(1_048_576),
});

const Audit = z.strictObject({
  signing_key_file: Text.default('./data/audit-ed25519.pem'),
  checkpoint_every: Duration.default(HOUR),
});

const Count = z.int().min(0).max(1_000_000);

const SandboxConnector = z.strictObject({
  type: z.literal('sandbox'),
  seed: z.int().default(42),
  size: z
    .strictObject({ contacts: Count.default(5_000), companies: Count.default(800), deals: Count.default(1_200) })
    .prefault({}),
  /** SQLite file of the sandbox (default ./data/sandbox-<id>.db) or ':memory:'. */
  path: Text.optional(),
});
const HubspotConnector = z.strictObject({
  type: z.literal('hubspot'),
  access_token: Secret,
  base_url: HttpUrl.optional(),
});
const ReplicaConnector = z.strictObject({ type: z.literal('replica'), from: Id, path: Text.optional() });
const Connector = z.discriminatedUnion('type', [SandboxConnector, HubspotConnector, ReplicaConnector]);

const Role = z.strictObject({ description: Text.optional(), permissions: z.array(Text).default([]) });

const Person = z.strictObject({
  id: Id,
  name: Text,
  email: z.email(),
  roles: z.array(Id).default([]),
  slack_user_id: Text.optional(),
});

const Mode = z.enum(AGENT_MODES);

const Grant = z.strictObject({
  connector: Id,
  objects: NonEmptyIds,
  /** read, update, create, launch, pause, enroll, …: connectors define what each means. */
  operations: NonEmptyIds,
  read_fields: z.array(Id).optional(),
  write_fields: z.array(Id).optional(),
  where: Cel('where').optional(),
  pii: z.enum(PII_HANDLING).default('mask'),
});

const OPERATION_KEY = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const Share = z.number().min(0).max(1);
/** Shadow-evidence thresholds for `agents promote` (docs/shadow-mode.md). */
const promoteCriteria = {
  min_proposals: z.int().min(0).max(100_000_000).optional(),
  precision: Share.optional(),
  recall: Share.optional(),
  rule_adherence: Share.optional(),
  min_days: z.number().min(0).max(3_650).optional(),
  window: Duration.optional(),
  match_window: Duration.optional(),
};
const PromoteCriteria = z.strictObject(promoteCriteria);
/** Criteria for the whole agent; `object.operation` keys hold criteria for that operation alone. */
const PromoteWhen = z
  .object(promoteCriteria)
  .catchall(z.unknown())
  .transform((v, ctx) => {
    const { min_proposals, precision, recall, rule_adherence, min_days, window, match_window, ...rest } = v;
    const operations: Record<string, z.output<typeof PromoteCriteria>> = {};
    for (const [key, value] of Object.entries(rest)) {
      if (!OPERATION_KEY.test(key)) {
        ctx.addIssue({
          ...issue(
            'unknown_key',
            `unknown key '${key}': use min_proposals, precision, recall, rule_adherence, min_days, window, match_window or an 'object.operation' such as contacts.update`,
            value,
          ),
          path: [key],
        });
        continue;
      }
      const parsed = PromoteCriteria.safeParse(value);
      if (!parsed.success) {
        for (const i of parsed.error.issues) ctx.addIssue({ ...i, path: [key, ...i.path] });
        continue;
      }
      operations[key] = parsed.data;
    }
    const opt = <K extends string, T>(k: K, x: T | undefined) => (x === undefined ? {} : ({ [k]: x } as Record<K, T>));
    const criteria = (c: z.output<typeof PromoteCriteria>) => ({
      ...opt('min_proposals', c.min_proposals),
      ...opt('precision', c.precision),
      ...opt('recall', c.recall),
      ...opt('rule_adherence', c.rule_adherence),
      ...opt('min_days', c.min_days),
      ...opt('window_ms', c.window),
      ...opt('match_window_ms', c.match_window),
    });
    return {
      ...criteria({ min_proposals, precision, recall, rule_adherence, min_days, window, match_window }),
      window_ms: window ?? 14 * DAY,
      match_window_ms: match_window ?? 7 * DAY,
      operations: Object.fromEntries(Object.entries(operations).map(([k, c]) => [k, criteria(c)])),
    };
  });

const Agent = z.strictObject({
  id: Id,
  owner: Id,
  mode: Mode.default('observe'),
  description: Text.optional(),
  grants: z.array(Grant).default([]),
  limits: z
    .strictObject({
      max_batch: z.int().min(1).max(10_000).default(500),
      actions_per_minute: z.int().min(1).max(100_000).default(60),
    })
    .prefault({}),
  /** Promotion criteria over shadow evidence (docs/shadow-mode.md). */
  promote_when: PromoteWhen.optional(),
  /** A `type: replica` connector that serves this agent's data while it is in observe (docs/replicas.md). */
  observe_on: Id.optional(),
  operation_modes: z
    .record(z.string().regex(OPERATION_KEY, "must be 'object.operation', e.g. campaigns.launch"), Mode)
    .default({}),
});

const Policy = z.strictObject({
  id: Id,
  when: Cel('policy'),
  effect: z.enum(POLICY_EFFECTS),
  approvers: z.strictObject({ role: Id, count: z.int().min(1).max(20).default(1) }).optional(),
  checklist: z.array(Id).default([]),
  reason: Text.optional(),
  mode: z.enum(['enforce', 'dry_run']).default('enforce'),
});

const Approvals = z.strictObject({
  expire_after: Duration.default(DAY),
  escalation: z.array(z.strictObject({ after: Duration, notify: NotifyTarget })).default([]),
});

const Preflight = z.strictObject({
  frequency_cap: z.strictObject({ max: z.int().min(1), per: Duration }).optional(),
  freezes: z
    .array(
      z
        .strictObject({ from: IsoDateTime, to: IsoDateTime, reason: Text.optional() })
        .refine((f) => Date.parse(f.from) < Date.parse(f.to), { message: 'must be after from', path: ['to'] }),
    )
    .default([]),
  on_fail: z.enum(['deny', 'require_approval']).default('require_approval'),
});

const Percent = z.number().gt(0).max(100);

const TripWhen = z
  .strictObject({
    drop_pct: Percent.optional(),
    spike_pct: z.number().gt(0).optional(),
    above: z.number().optional(),
    below: z.number().optional(),
    min_events: z.int().min(0).optional(),
    confidence: z.number().gt(0).lt(1).optional(),
    consecutive: z.int().min(1).default(1),
  })
  .superRefine((t, ctx) => {
    if ([t.drop_pct, t.spike_pct, t.above, t.below].every((v) => v === undefined)) {
      ctx.addIssue(issue('missing_key', 'give at least one of drop_pct, spike_pct, above or below', t));
    }
  });

const Breaker = z
  .strictObject({
    id: Id,
    metric: Metric,
    baseline: Baseline.optional(),
    window: Duration,
    trip_when: TripWhen,
    scope: z.strictObject({
      agents: z.union([z.literal('all'), NonEmptyIds], { error: "must be 'all' or a list of agent ids" }),
    }),
    on_trip: z
      .strictObject({
        pause: z.boolean().default(true),
        rollback: z.enum(['none', 'reversible_in_window']).default('none'),
        notify: z.array(NotifyTarget).default([]),
      })
      .prefault({}),
    half_open: z.strictObject({ probe_actions: z.int().min(1) }).optional(),
  })
  .superRefine((b, ctx) => {
    for (const key of ['drop_pct', 'spike_pct'] as const) {
      if (b.trip_when[key] !== undefined && b.baseline === undefined) {
        const message = `${key} compares against a baseline: add baseline: trailing_7d (or another baseline)`;
        ctx.addIssue({ ...issue('missing_key', message, b), path: ['trip_when', key] });
      }
    }
  });

const Notification = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('webhook'), url: HttpUrl, secret: Secret, events: z.array(Text).optional() }),
  z.strictObject({
    type: z.literal('slack'),
    bot_token: Secret,
    signing_secret: Secret,
    channel: Text,
    /** Slack's Web API base; tests point it at a fake. */
    api_base_url: HttpUrl.default('https://slack.com/api'),
  }),
]);

export const ConfigSchema = z.strictObject({
  version: z.literal(1, {
    error: (iss) =>
      iss.input === undefined ? undefined : `this Gatehouse reads version: 1 only (got ${describe(iss.input)})`,
  }),
  storage: Storage.prefault({}),
  server: Server.prefault({}),
  audit: Audit.prefault({}),
  connectors: z.record(Id, Connector).default({}),
  roles: z.record(Id, Role).default({}),
  people: z.array(Person).default([]),
  agents: z.array(Agent).default([]),
  policies: z.array(Policy).default([]),
  /** Checklist item id → what the approver confirms. Items used by policies need not be listed. */
  checklists: z.record(Id, Text).default({}),
  approvals: Approvals.prefault({}),
  preflight: Preflight.optional(),
  breakers: z.array(Breaker).default([]),
  notifications: z.array(Notification).default([]),
});

/** The schema's output: defaults filled, durations in ms, CEL compiled; not yet cross-checked. */
export type ParsedConfig = z.output<typeof ConfigSchema>;
