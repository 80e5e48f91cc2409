import type { Command } from 'commander';
import type { CompiledConfig, ConnectorConfig } from '../../config/index.js';
import { systemClock } from '../../core/clock.js';
import { GatehouseError } from '../../core/errors.js';
import { appendAudit } from '../../core/pipeline/record.js';
import { parseFilterParam } from '../../core/reads.js';
import type { Connector, Filter, FilterOperator } from '../../core/ports/connector.js';
import type {
  ReplicaFilter,
  ReplicaInfo,
  ReplicaRefresh,
  ReplicaSelection,
} from '../../adapters/connectors/replica/index.js';
import { cliActor, loadConfigOrExit, withStorage } from '../context.js';
import { action, print } from '../io.js';

/**
 * `gatehouse replica create|refresh|list`: local, read-only copies of a connector's records for
 * observe-mode agents (docs/replicas.md). Each create and refresh is recorded in the replica file
 * and appended to the audit log as `replica.refreshed`.
 */

const SHORTHAND = /^([A-Za-z_][\w.]*?)\s*(!=|>=|<=|=|>|<)\s*(.*)$/;
const OPS: Readonly<Record<string, [FilterOperator, FilterOperator]>> = {
  '=': ['EQ', 'IN'],
  '!=': ['NEQ', 'NOT_IN'],
  '>=': ['GTE', 'GTE'],
  '<=': ['LTE', 'LTE'],
  '>': ['GT', 'GT'],
  '<': ['LT', 'LT'],
};

/**
 * One `--filter`: `[object.]property=value` (`a|b` for several values: IN), `!=` (NEQ/NOT_IN),
 * `>`, `>=`, `<`, `<=`, or the API's `property:OPERATOR[:value]`. Returns the object it names (if any).
 */
export function parseReplicaFilter(text: string): { object?: string; filter: Filter } {
  const split = (prop: string) => {
    const dot = prop.indexOf('.');
    return dot > 0 ? { object: prop.slice(0, dot), property: prop.slice(dot + 1) } : { property: prop };
  };
  const m = SHORTHAND.exec(text.trim());
  if (m && !m[1]!.includes(':')) {
    const { object, property } = split(m[1]!);
    const [one, many] = OPS[m[2]!]!;
    const value = m[3]!.trim();
    const values = value.split('|').map((v) => v.trim());
    const filter: Filter =
      values.length > 1 && one !== many ? { property, operator: many, values } : { property, operator: one, value };
    return object ? { object, filter } : { filter };
  }
  const parsed = parseFilterParam(text);
  if (parsed.length !== 1) {
    throw new GatehouseError('invalid_filter', `--filter '${text}' must be one filter, e.g. country=US`);
  }
  const { object, property } = split(parsed[0]!.property);
  const filter = { ...parsed[0]!, property };
  return object ? { object, filter } : { filter };
}

/** The selection from `--object` and `--filter` options. */
export function selectionFrom(objects: readonly string[], filterTexts: readonly string[]): ReplicaSelection {
  const filters: Record<string, ReplicaFilter[]> = {};
  for (const text of filterTexts) {
    const { object, filter } = parseReplicaFilter(text);
    const targets = object ? [object] : objects;
    if (targets.length === 0) {
      throw new GatehouseError(
        'invalid_filter',
        `--filter '${text}' does not say which object it filters: add --object OBJECT or write it as OBJECT.${filter.property}…`,
      );
    }
    for (const o of targets) (filters[o] ??= []).push(filter);
  }
  const named = Object.keys(filters).filter((o) => !objects.includes(o));
  return { objects: objects.length > 0 ? [...objects, ...named] : [], filters };
}

type ReplicaConnectorConfig = Extract<ConnectorConfig, { type: 'replica' }>;

/** The replica connector NAME of the config, checked against --from; the message says how to fix a mismatch. */
export function replicaConfig(config: CompiledConfig, name: string, from?: string): ReplicaConnectorConfig {
  const c = config.connectors[name];
  const replicas = Object.values(config.connectors).filter((x) => x.type === 'replica');
  const known = replicas.length ? ` (replicas in the config: ${replicas.map((r) => r.id).join(', ')})` : '';
  if (!c) {
    throw new GatehouseError(
      'invalid_request',
      `no connector '${name}' in the config${known}; add it under connectors:\n` +
        `  ${name}:\n    type: replica\n    from: ${from ?? 'CONNECTOR'}\n    path: ./data/replica-${name}.db   # optional, this is the default`,
    );
  }
  if (c.type !== 'replica') {
    throw new GatehouseError(
      'invalid_request',
      `connector '${name}' has type ${c.type}, not replica; pick another --name${known}`,
    );
  }
  if (from !== undefined && c.from !== from) {
    throw new GatehouseError(
      'invalid_request',
      `connector '${name}' is a replica of '${c.from}' in the config, not of '${from}'; use --from ${c.from}, or change its from:`,
    );
  }
  return c;
}

const n = (x: number) => x.toLocaleString('en-US');

function describeFilters(selection: ReplicaSelection, object: string): string {
  const list = selection.filters[object] ?? [];
  return list
    .map(
      (f) =>
        `${f.property} ${f.operator}${f.values ? ` ${f.values.join('|')}` : f.value !== undefined ? ` ${f.value}` : ''}`,
    )
    .join(' AND ');
}

function printRefresh(r: ReplicaRefresh, indent = '  '): void {
  const total = Object.values(r.counts).reduce((s, c) => s + c.records, 0);
  print(
    `${indent}${r.at}  ${r.kind.padEnd(7)}  from ${r.source} (${r.sourceType})  ${n(total)} records  by ${r.actor}  ${r.durationMs} ms`,
  );
}

function printCounts(r: ReplicaRefresh): void {
  for (const [object, c] of Object.entries(r.counts)) {
    const filter = describeFilters(r.selection, object);
    print(
      `  ${object.padEnd(18)} ${n(c.records).padStart(9)} records ${n(c.history).padStart(11)} history entries${filter ? `   where ${filter}` : ''}`,
    );
  }
  const pii = Object.entries(r.pii).map(
    ([object, fields]) =>
      `${object}.{${Object.keys(fields).join(',')}} ${[...new Set(Object.values(fields))].join('/')}`,
  );
  if (pii.length) print(`  PII stored as: ${pii.join('; ')}`);
}

/** Copies (or re-copies) the source into the replica file, then appends the audit entry. */
async function runRefresh(
  config: CompiledConfig,
  replica: ReplicaConnectorConfig,
  kind: 'create' | 'refresh',
  as: string | undefined,
  selection?: ReplicaSelection,
): Promise<{ refresh: ReplicaRefresh; auditSeq: number; path: string }> {
  const { openConnector, replicaPath } = await import('../../adapters/connectors/index.js');
  const { refreshReplica } = await import('../../adapters/connectors/replica/index.js');
  const { loadOrCreateSigningKey } = await import('../../adapters/audit/signing-key.js');
  const { piiSecretFrom } = await import('../../wiring.js');
  const actor = cliActor(as, config);
  const sourceConfig = config.connectors[replica.from];
  if (!sourceConfig)
    throw new GatehouseError('invalid_request', `replica ${replica.id}: no connector '${replica.from}'`);
  const path = replicaPath(replica);
  const grants = config.agents.flatMap((a) =>
    a.grants.map((g) => ({ connector: g.connector, objects: g.objects, pii: g.pii })),
  );
  const key = loadOrCreateSigningKey(config.audit.signing_key_file);
  return withStorage(config, async (storage) => {
    let source: Connector | undefined;
    let refresh: ReplicaRefresh;
    try {
      source = await openConnector(sourceConfig, systemClock);
      refresh = await refreshReplica({
        source,
        replicaId: replica.id,
        path,
        kind,
        ...(selection ? { selection } : {}),
        grants,
        hashSecret: piiSecretFrom(key.privateKey),
        actor,
        now: () => systemClock.now(),
      });
    } finally {
      await source?.close();
    }
    const records = Object.fromEntries(Object.entries(refresh.counts).map(([o, c]) => [o, c.records]));
    const history = Object.fromEntries(Object.entries(refresh.counts).map(([o, c]) => [o, c.history]));
    const auditSeq = await storage.transaction((tx) =>
      appendAudit(tx, [
        {
          at: refresh.at,
          type: 'replica.refreshed',
          actor,
          subject: replica.id,
          data: {
            replica: replica.id,
            kind,
            from: refresh.source,
            source_type: refresh.sourceType,
            path,
            records,
            history,
            selection: refresh.selection,
            pii: refresh.pii,
            refresh_seq: refresh.seq,
          },
        },
      ]),
    );
    return { refresh, auditSeq, path };
  });
}

export function registerReplicaCommands(program: Command): void {
  const replica = program
    .command('replica')
    .description('Local read-only copies of a connector, for agents in observe mode (docs/replicas.md).')
    .addHelpText(
      'after',
      `
A replica is a connector of type replica in the config:

  connectors:
    crm:  { type: sandbox, seed: 42 }
    crm-us:
      type: replica
      from: crm
      path: ./data/replica-crm-us.db    # optional; this is the default

Create it once, refresh it when you want fresher data; point an observe-mode agent's grant at it.
Writes planned against a replica are diffed and judged but never written: apply answers replica_read_only.
PII fields are stored the way the agents' grants on the source (or the replica) present them: the
strictest of mask/hash/allow over the grants covering the object, mask when none does.`,
    );

  replica
    .command('create')
    .description('Copy records (all, or a filtered subset) of a connector into a new replica.')
    .requiredOption('--from <connector>', "the connector to copy (must be the replica's from: in the config)")
    .requiredOption('--name <replica>', 'the replica connector id in the config (type: replica)')
    .option('--object <object>', 'copy this object (repeatable; default: every object)', collect, [])
    .option(
      '--filter <filter>',
      'keep records matching it (repeatable, ANDed): [object.]property=value, != > >= < <=, a|b for several values, or property:OPERATOR:value',
      collect,
      [],
    )
    .option('--as <person>', 'who is doing it (for the audit log)')
    .option('--json', 'print the refresh record as JSON')
    .option('-c, --config <file>', 'config file')
    .addHelpText(
      'after',
      `
Examples:
  gatehouse replica create --from crm --name crm-us --object contacts --filter country=US
  gatehouse replica create --from crm --name crm-eu --object contacts --object companies \\
      --filter 'contacts.country=DE|FR|NL' --filter 'contacts.lifecyclestage!=customer'
  gatehouse replica create --from crm --name crm-copy          # every object, every record`,
    )
    .action(
      action(
        async (opts: {
          from: string;
          name: string;
          object: string[];
          filter: string[];
          as?: string;
          json?: boolean;
          config?: string;
        }) => {
          const config = loadConfigOrExit(opts.config);
          const target = replicaConfig(config, opts.name, opts.from);
          const selection = selectionFrom(opts.object, opts.filter);
          const r = await runRefresh(config, target, 'create', opts.as, selection);
          if (opts.json) return print(JSON.stringify({ ...r.refresh, path: r.path, audit_seq: r.auditSeq }, null, 2));
          print(`Created replica ${target.id} of ${target.from} at ${r.path} in ${r.refresh.durationMs} ms.`);
          printCounts(r.refresh);
          print(`Audit entry ${r.auditSeq} (replica.refreshed).`);
          print(
            `Agents read it through connector '${target.id}'; refresh with: gatehouse replica refresh ${target.id}`,
          );
        },
      ),
    );

  replica
    .command('refresh')
    .description('Re-copy a replica from its source with the selection it was created with.')
    .argument('<replica>', 'the replica connector id')
    .option('--as <person>', 'who is doing it (for the audit log)')
    .option('--json', 'print the refresh record as JSON')
    .option('-c, --config <file>', 'config file')
    .action(
      action(async (name: string, opts: { as?: string; json?: boolean; config?: string }) => {
        const config = loadConfigOrExit(opts.config);
        const target = replicaConfig(config, name);
        const r = await runRefresh(config, target, 'refresh', opts.as);
        if (opts.json) return print(JSON.stringify({ ...r.refresh, path: r.path, audit_seq: r.auditSeq }, null, 2));
        print(`Refreshed replica ${target.id} from ${target.from} in ${r.refresh.durationMs} ms.`);
        printCounts(r.refresh);
        print(`Audit entry ${r.auditSeq} (replica.refreshed).`);
      }),
    );

  replica
    .command('list')
    .description('Each replica in the config with what it holds and its refresh history.')
    .option('--json', 'print JSON')
    .option('-c, --config <file>', 'config file')
    .action(
      action(async (opts: { json?: boolean; config?: string }) => {
        const config = loadConfigOrExit(opts.config);
        const { replicaPath } = await import('../../adapters/connectors/index.js');
        const { inspectReplicaFile } = await import('../../adapters/connectors/replica/index.js');
        const replicas = Object.values(config.connectors).filter(
          (c): c is ReplicaConnectorConfig => c.type === 'replica',
        );
        const rows = replicas.map((c) => {
          const path = replicaPath(c);
          const info: ReplicaInfo | undefined = inspectReplicaFile(path);
          return { id: c.id, from: c.from, path, created: info !== undefined, refreshes: info?.refreshes ?? [] };
        });
        if (opts.json) return print(JSON.stringify(rows, null, 2));
        if (rows.length === 0) {
          return print(
            'No replicas in the config. Add one under connectors (type: replica, from: CONNECTOR), then run gatehouse replica create.',
          );
        }
        for (const row of rows) {
          if (!row.created) {
            print(`${row.id}  replica of ${row.from}  NOT CREATED  (${row.path})`);
            print(`  create it with: gatehouse replica create --from ${row.from} --name ${row.id}`);
            continue;
          }
          const last = row.refreshes[row.refreshes.length - 1]!;
          print(`${row.id}  replica of ${row.from}  ${row.path}  last refreshed ${last.at}`);
          printCounts(last);
          print(`  refreshes (${row.refreshes.length}):`);
          for (const r of row.refreshes) printRefresh(r, '    ');
        }
      }),
    );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
