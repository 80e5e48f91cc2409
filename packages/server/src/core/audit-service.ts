/**
 * Signed checkpoints on a schedule and on shutdown, and verification of the whole log.
 *
 * A checkpoint signs the chain head (CloudTrail-style digest); it is written even when nothing
 * happened, so a deleted tail or a rewritten chain is provable. Entries appended after the last
 * checkpoint are protected only by the next one: hence a checkpoint on every clean shutdown.
 * With several instances, a lease makes one instance the checkpoint writer at a time.
 */
import type { KeyObject } from 'node:crypto';
import { createCheckpoint } from './audit/checkpoint.js';
import type { AuditReport } from './audit/types.js';
import { verifyAudit } from './audit/verify.js';
import type { Clock } from './clock.js';
import { isGatehouseError } from './errors.js';
import type { AuditCheckpoint, Storage } from './ports/storage.js';

export interface AuditServiceDeps {
  storage: Storage;
  clock: Clock;
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyId: string;
  everyMs: number;
  instanceId: string;
  /** Called with every checkpoint written (e.g. to mirror it outside the database). */
  onCheckpoint?: (cp: AuditCheckpoint) => void;
}

const LEASE = 'audit-checkpoint';

export function createAuditService(deps: AuditServiceDeps) {
  let timer: NodeJS.Timeout | undefined;

  async function checkpoint(): Promise<AuditCheckpoint | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const prev = (await deps.storage.audit.latestCheckpoint()) ?? null;
      const head = await deps.storage.audit.head();
      const cp = createCheckpoint({
        prev,
        head,
        at: deps.clock.now().toISOString(),
        privateKey: deps.privateKey,
        keyId: deps.keyId,
      });
      try {
        await deps.storage.audit.insertCheckpoint(cp);
        deps.onCheckpoint?.(cp);
        return cp;
      } catch (e) {
        // Another instance wrote checkpoint n at the same moment: read again and retry.
        if (isGatehouseError(e) && e.code === 'conflict') continue;
        throw e;
      }
    }
    return undefined;
  }

  async function scheduledCheckpoint(): Promise<void> {
    const now = deps.clock.now();
    const until = new Date(now.getTime() + deps.everyMs * 2).toISOString();
    if (!(await deps.storage.leases.tryAcquire(LEASE, deps.instanceId, until, now.toISOString()))) return;
    const last = await deps.storage.audit.latestCheckpoint();
    if (last && now.getTime() - new Date(last.at).getTime() < deps.everyMs * 0.9) return;
    await checkpoint();
  }

  return {
    checkpoint,
    async verify(): Promise<AuditReport> {
      return verifyAudit({
        entries: deps.storage.audit.iterate({ batchSize: 2000 }),
        checkpoints: await deps.storage.audit.listCheckpoints(),
        publicKey: deps.publicKey,
      });
    },
    start(onError: (e: unknown) => void) {
      const tick = () => {
        scheduledCheckpoint().catch(onError);
      };
      tick();
      timer = setInterval(tick, Math.min(deps.everyMs, 2 ** 31 - 1));
      timer.unref();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = undefined;
      await checkpoint();
      await deps.storage.leases.release(LEASE, deps.instanceId);
    },
  };
}
export type AuditService = ReturnType<typeof createAuditService>;
