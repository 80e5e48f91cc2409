/**
 * The one composition root: config in, a running Gatehouse out. Everything that does I/O is
 * created here and handed to the core as ports; nothing else in the code base wires adapters.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { loadOrCreateSigningKey } from './adapters/audit/signing-key.js';
import { openConnectors } from './adapters/connectors/index.js';
import { openStorage } from './adapters/storage/index.js';
import type { CompiledConfig, PersonConfig } from './config/index.js';
import { createAuditService, type AuditService } from './core/audit-service.js';
import { systemClock, type Clock } from './core/clock.js';
import { housekeeping } from './core/housekeeping.js';
import { hashKey, type Principal } from './core/keys.js';
import { createMetrics } from './adapters/metrics/prometheus.js';
import { createDispatcher, type Dispatcher } from './adapters/notifiers/index.js';
import { decideApproval, sweepApprovals } from './core/approvals/index.js';
import { evaluateBreakers, type BreakerDeps } from './core/breakers/service.js';
import { createNotifier } from './core/notifications/notifier.js';
import { recoverActions, type PipelineDeps } from './core/pipeline/index.js';
import type { Connector } from './core/ports/connector.js';
import type { Storage } from './core/ports/storage.js';
import { createHttpApp, type HttpAppOptions } from './http/app.js';
import { createApiRegistry } from './http/openapi.js';
import { registerActionRoutes } from './http/routes/actions.js';
import { registerApprovalRoutes } from './http/routes/approvals.js';
import { registerBreakerRoutes } from './http/routes/breakers.js';
import { registerDashboardRoutes } from './http/routes/dashboard.js';
import { registerEventRoutes } from './http/routes/events.js';
import { registerGovernanceRoutes } from './http/routes/governance.js';
import { registerRecordRoutes } from './http/routes/records.js';
import { registerSessionRoutes } from './http/routes/session.js';
import { registerShadowRoutes } from './http/routes/shadow.js';
import { registerSlackRoutes, slackUserMap } from './http/routes/slack.js';
import { registerSystemRoutes } from './http/routes/system.js';
import { registerMcpRoutes } from './mcp/http.js';
import { agentDefinitions, piiSecretFrom, pipelineDeps, policyRules } from './wiring.js';

export { agentDefinitions, policyRules };

export const VERSION = '0.1.0';

/** Breakers are evaluated every minute (and on KPI intake); the sweeper ticks every second. */
const BREAKER_EVERY_TICKS = 60;

export interface GatehouseOptions {
  config: CompiledConfig;
  clock?: Clock;
  /** pino options or false; default: info-level JSON logs to stderr. */
  logger?: boolean | pino.LoggerOptions;
  instanceId?: string;
  /** Skip the periodic checkpoint timer (tests drive checkpoints themselves). */
  timers?: boolean;
}

export interface Gatehouse {
  readonly config: CompiledConfig;
  readonly storage: Storage;
  readonly connectors: ReadonlyMap<string, Connector>;
  readonly pipeline: PipelineDeps;
  readonly audit: AuditService;
  readonly http: FastifyInstance;
  /** Sends the outbox (webhooks, Slack, callbacks); tests call `runOnce()` with timers off. */
  readonly dispatcher: Dispatcher;
  /** Starts listening on config.server.listen (or the given port); answers the bound address. */
  listen(port?: number): Promise<string>;
  close(): Promise<void>;
}

const newId = (prefix: string) =>
  `${prefix}_${Date.now().toString(36)}${randomUUID().replaceAll('-', '').slice(0, 14)}`;

export async function createGatehouse(opts: GatehouseOptions): Promise<Gatehouse> {
  const { config } = opts;
  const clock = opts.clock ?? systemClock;
  const instanceId = opts.instanceId ?? `gh-${randomUUID().slice(0, 8)}`;
  const logger =
    opts.logger === false
      ? false
      : pino(typeof opts.logger === 'object' ? opts.logger : { level: 'info' }, pino.destination(2));

  const storage = await openStorage(config.storage.url);
  const opened: Connector[] = [];
  try {
    await storage.migrate();
    const connectors = await openConnectors(config, clock, opened);
    const key = loadOrCreateSigningKey(config.audit.signing_key_file);

    const notifier = createNotifier(config);
    const metrics = createMetrics({ storage, agentIds: config.agents.map((a) => a.id), breakers: config.breakers });
    const pipeline = pipelineDeps(config, {
      notifier,
      observer: metrics.observer,
      clock,
      storage,
      connectors,
      piiSecret: piiSecretFrom(key.privateKey),
      newId,
    });
    const audit = createAuditService({
      storage,
      clock,
      privateKey: key.privateKey,
      publicKey: key.publicKey,
      keyId: key.keyId,
      everyMs: config.audit.checkpoint_every_ms,
      instanceId,
    });

    const registry = createApiRegistry();
    const auth: HttpAppOptions = {
      logger: logger === false ? false : logger,
      bodyLimit: config.server.body_limit,
      registry,
      async authenticate(token): Promise<Principal | { error: 'key_invalid' | 'key_revoked' }> {
        const row = await storage.keys.findByHash(hashKey(token), { includeRevoked: true });
        if (!row) return { error: 'key_invalid' };
        if (row.revokedAt) return { error: 'key_revoked' };
        return { kind: row.kind, id: row.subject, keyId: row.id };
      },
    };
    const http = createHttpApp(auth);
    const people = new Map<string, PersonConfig>(config.people.map((p) => [p.id, p]));
    const ctx = { deps: pipeline, config, registry, auth, audit, people };
    await registerSystemRoutes(http, {
      registry,
      version: VERSION,
      publicUrl: config.server.public_url,
      dashboardDir: fileURLToPath(new URL('../../dashboard/dist/', import.meta.url)),
      async ready() {
        const checks: Record<string, { ok: boolean; detail: string }> = {};
        try {
          await storage.ping();
          checks.storage = { ok: true, detail: storage.dialect };
        } catch (e) {
          checks.storage = { ok: false, detail: (e as Error).message };
        }
        // A replica serves observe-mode agents only: one not created yet (or unreadable) is reported
        // but does not take the instance out of rotation for every other agent.
        const advisory = new Set<string>();
        for (const [id, c] of connectors) {
          checks[`connector:${id}`] = await c.health().catch((e: Error) => ({ ok: false, detail: e.message }));
          if (c.type === 'replica') advisory.add(`connector:${id}`);
        }
        return { ok: Object.entries(checks).every(([k, c]) => c.ok || advisory.has(k)), checks };
      },
    });
    registry.add({ method: 'GET', path: '/metrics', summary: 'Prometheus metrics.', tag: 'system', auth: 'none' });
    http.get('/metrics', async (_req, reply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
    );
    registerActionRoutes(http, ctx);
    registerRecordRoutes(http, ctx);
    registerApprovalRoutes(http, ctx);
    const breakerDeps: BreakerDeps = { ...pipeline, breakers: config.breakers };
    // One evaluation at a time per instance: KPI intake waits for a running one (so its samples
    // are judged before the POST answers); the timer skips a tick instead. Across instances the
    // rows' compare-and-set keeps verdicts and trips single.
    let evaluating: Promise<unknown> = Promise.resolve();
    let evaluationRunning = false;
    const runBreakers = (metrics?: readonly string[]) => {
      const run = evaluating
        .catch(() => undefined)
        .then(async () => {
          evaluationRunning = true;
          try {
            return await evaluateBreakers(breakerDeps, metrics ? { metrics } : {});
          } finally {
            evaluationRunning = false;
          }
        });
      evaluating = run;
      return run;
    };
    registerGovernanceRoutes(http, ctx, {
      // Stored samples stay stored: a failed evaluation is logged and retried by the timer.
      kpisStored: (metrics) =>
        runBreakers(metrics).catch((e: unknown) => http.log.error({ err: e }, 'breaker evaluation failed')),
    });
    registerBreakerRoutes(http, ctx, breakerDeps);
    registerDashboardRoutes(http, ctx, breakerDeps);
    registerEventRoutes(http, ctx);
    registerSessionRoutes(http, ctx);
    registerShadowRoutes(http, ctx);
    registerMcpRoutes(http, ctx, { version: VERSION });
    const slack = config.notifications.find((n) => n.type === 'slack');
    if (slack) {
      await registerSlackRoutes(http, {
        registry,
        signingSecret: slack.signing_secret,
        people: slackUserMap(config.people),
        clock,
        logger: http.log,
        // Slack has no reason dialog: the rejection comment says where it came from.
        decide: (input) =>
          decideApproval(pipeline, {
            ...input,
            ...(input.decision === 'reject' ? { comment: `Rejected in Slack by ${input.personId}` } : {}),
          }),
      });
    }
    await http.ready();
    const dispatcher = createDispatcher({
      storage,
      clock,
      notifications: config.notifications,
      instanceId,
      logger: http.log,
    });

    // Resume what a crash interrupted before taking new work. SQLite means one instance: every
    // `executing` row is ours. On PostgreSQL another instance may be mid-write: only stale rows.
    await recoverActions(pipeline, { staleAfterMs: storage.dialect === 'sqlite' ? 0 : 30_000 });
    // Deadlines live in the database: expiries that passed while we were down happen now.
    await sweepApprovals(pipeline);
    let sweeper: NodeJS.Timeout | undefined;
    if (opts.timers !== false) {
      dispatcher.start();
      audit.start((e) => http.log.error({ err: e }, 'audit checkpoint failed'));
      // One second is the resolution of approval deadlines; housekeeping runs every few minutes.
      let sweeping = false;
      let ticks = 0;
      sweeper = setInterval(() => {
        if (sweeping) return;
        sweeping = true;
        const work = async () => {
          await sweepApprovals(pipeline);
          // Not awaited: a long rollback must not hold up approval deadlines.
          if (ticks % BREAKER_EVERY_TICKS === 0 && !evaluationRunning)
            runBreakers().catch((e: unknown) => http.log.error({ err: e }, 'breaker evaluation failed'));
          if (ticks++ % 300 === 0) await housekeeping(pipeline);
        };
        work()
          .catch((e: unknown) => http.log.error({ err: e }, 'background sweep failed'))
          .finally(() => {
            sweeping = false;
          });
      }, 1_000);
      sweeper.unref();
    }

    let closed = false;
    return {
      config,
      storage,
      connectors,
      pipeline,
      audit,
      http,
      dispatcher,
      async listen(port?: number) {
        return http.listen({ host: config.server.host, port: port ?? config.server.port });
      },
      async close() {
        if (closed) return;
        closed = true;
        if (sweeper) clearInterval(sweeper);
        await http.close();
        await evaluating.catch(() => undefined);
        await dispatcher.stop();
        await audit.stop().catch((e: unknown) => http.log.error({ err: e }, 'final audit checkpoint failed'));
        for (const c of connectors.values()) await c.close();
        await storage.close();
      },
    };
  } catch (e) {
    for (const c of opened) await c.close().catch(() => undefined);
    await storage.close().catch(() => undefined);
    throw e;
  }
}
