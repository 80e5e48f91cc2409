/** Opening what CLI commands need: the config (diagnostics on failure) and the storage. */
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { formatDiagnostic, loadConfig, type CompiledConfig } from '../config/index.js';
import { systemClock } from '../core/clock.js';
import type { KeyAdminDeps } from '../core/key-admin.js';
import type { PipelineDeps } from '../core/pipeline/index.js';
import type { Connector } from '../core/ports/connector.js';
import type { Storage } from '../core/ports/storage.js';
import { piiSecretFrom, pipelineDeps } from '../wiring.js';
import { configPath, fail } from './io.js';

export function loadConfigOrExit(path: string | undefined): CompiledConfig {
  const file = configPath(path);
  const r = loadConfig(file);
  if (!r.ok) {
    for (const d of r.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    fail(
      `${file} is not valid (${r.diagnostics.length} problem${r.diagnostics.length === 1 ? '' : 's'}); see 'gatehouse check --help'`,
    );
  }
  for (const w of r.warnings) process.stderr.write(`warning: ${formatDiagnostic(w)}\n`);
  return r.config;
}

export async function withStorage<T>(config: CompiledConfig, fn: (storage: Storage) => Promise<T>): Promise<T> {
  // Adapters load on use, so commands that never touch storage start fast.
  const { openStorage } = await import('../adapters/storage/index.js');
  const storage = await openStorage(config.storage.url);
  try {
    await storage.migrate();
    return await fn(storage);
  } finally {
    await storage.close();
  }
}

export const newId = (prefix: string) =>
  `${prefix}_${Date.now().toString(36)}${randomUUID().replaceAll('-', '').slice(0, 14)}`;

/** Who did it, for the audit log: a named person (`--as`) or the operating-system user. */
export function cliActor(as: string | undefined, config: CompiledConfig): string {
  if (as !== undefined) {
    if (!config.people.some((p) => p.id === as))
      fail(`--as ${as}: no such person in the config (people: ${config.people.map((p) => p.id).join(', ')})`);
    return `person:${as}`;
  }
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep 'unknown'
  }
  return `cli:${user}`;
}

export function keyAdminDeps(config: CompiledConfig, storage: Storage): KeyAdminDeps {
  return {
    storage,
    clock: systemClock,
    agentIds: new Set(config.agents.map((a) => a.id)),
    personIds: new Set(config.people.map((p) => p.id)),
    newId,
  };
}

/** Storage, connectors and the pipeline's dependencies, for commands that act (approve, …). */
export async function withPipeline<T>(config: CompiledConfig, fn: (deps: PipelineDeps) => Promise<T>): Promise<T> {
  return withStorage(config, async (storage) => {
    const opened: Connector[] = [];
    const { openConnectors } = await import('../adapters/connectors/index.js');
    const { loadOrCreateSigningKey } = await import('../adapters/audit/signing-key.js');
    const { createNotifier } = await import('../core/notifications/notifier.js');
    try {
      const connectors = await openConnectors(config, systemClock, opened);
      const key = loadOrCreateSigningKey(config.audit.signing_key_file);
      return await fn(
        pipelineDeps(config, {
          clock: systemClock,
          storage,
          connectors,
          piiSecret: piiSecretFrom(key.privateKey),
          newId,
          // CLI decisions enqueue their notifications; the server's dispatcher sends them.
          notifier: createNotifier(config),
        }),
      );
    } finally {
      for (const c of opened) await c.close();
    }
  });
}
