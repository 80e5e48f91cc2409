/**
 * WAL checkpoints off the event loop, for file-backed better-sqlite3 databases in WAL mode.
 *
 * SQLite's automatic checkpoint runs inside whichever COMMIT crosses `wal_autocheckpoint` pages,
 * on the committing thread, and (synchronous=NORMAL) fsyncs the WAL and the database there: a
 * few percent of commits take 5-25 ms instead of ~0.2 ms. Here the main connection's
 * autocheckpoint is turned off and checkpoints run in a worker thread with its own connection.
 *
 * Design (one worker per process, started lazily):
 * - `startSqliteCheckpointer(db)` registers the database; nothing else happens yet. One
 *   main-thread timer (unref'd, every 250 ms) stats each registered database's `-wal` file; once
 *   it passes `attachFrames` frames the database is attached: its autocheckpoint goes to 0 and the
 *   shared worker (spawned on first need, unref'd) opens its own connection to the file. Tests
 *   and short-lived databases that write little never start a worker or pay for one.
 * - The worker, every 100 ms, reads each attached file's WAL-index header (the first 100 bytes
 *   of `-shm`, a documented file format: mxFrame at 16, nBackfill at 96) and runs
 *   `PRAGMA wal_checkpoint(PASSIVE)` when more than `checkpointFrames` frames are not yet
 *   backfilled. PASSIVE never waits for and never blocks readers or writers. (TRUNCATE/RESTART
 *   would wait for the writer, i.e. the event loop.)
 * - The WAL only restarts from its beginning when a write starts with every frame backfilled.
 *   Under sustained writes a commit usually lands while the worker checkpoints, so the WAL
 *   would grow without end; when the worker reports a WAL longer than `maxWalFrames`, the main
 *   thread runs one PASSIVE checkpoint itself between transactions (it only has to copy the few
 *   frames written since the worker's pass), and the next write restarts the WAL.
 * - `stop()` is synchronous (storage and sandbox closes are): it asks the worker to close its
 *   connection and waits (Atomics.wait, bounded) for the acknowledgement, so the worker's
 *   connection is always gone before the main connection closes (a connection outliving the
 *   main one could delete the `-wal` of a file re-created at the same path). Then it runs a final
 *   PASSIVE checkpoint on the main connection. The worker exits when no database is attached.
 * - If the worker fails (error, unexpected exit) or cannot checkpoint a file, the affected main
 *   connections go back to `wal_autocheckpoint = 1000` (SQLite's default); `onError` is told,
 *   nothing is logged. After 3 worker failures no new worker is started in this process.
 * - ':memory:', temporary, readonly and non-WAL databases are left alone.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';

export interface SqliteCheckpointerOptions {
  /** WAL size (frames) at which the database is handed to the worker. */
  readonly attachFrames?: number;
  /** Frames not yet backfilled at which the worker checkpoints. */
  readonly checkpointFrames?: number;
  /** WAL length (frames) past which the main thread catches up once so the WAL can restart. */
  readonly maxWalFrames?: number;
  /** Told when the worker fails for this database (autocheckpoint is back at 1000 by then). */
  readonly onError?: (error: Error) => void;
}

export interface SqliteCheckpointerStats {
  /** idle: not a WAL file database; watching: not attached yet; worker: checkpointed by the worker; fallback: autocheckpoint; stopped. */
  readonly state: 'idle' | 'watching' | 'worker' | 'fallback' | 'stopped';
  /** PASSIVE checkpoints the worker ran on this database. */
  readonly workerCheckpoints: number;
  /** Catch-up checkpoints the main thread ran (WAL past `maxWalFrames`). */
  readonly mainCheckpoints: number;
  /** The `log` / `checkpointed` of the worker's last checkpoint. */
  readonly lastLog: number;
  readonly lastCheckpointed: number;
}

export interface SqliteCheckpointer {
  /** Stops checkpointing this database; call before closing it. Idempotent, synchronous. */
  stop(): void;
  stats(): SqliteCheckpointerStats;
}

const WATCH_MS = 250;
const WORKER_CHECK_MS = 100;
const STOP_WAIT_MS = 5000;
const MAX_WORKER_FAILURES = 3;
const WAL_FRAME_HEADER = 24;
const WAL_SIZE_LIMIT_BYTES = 16 * 1024 * 1024;

// Captured at load: a test's fake timers must not stall the watcher.
const setIntervalReal = globalThis.setInterval.bind(globalThis);
const clearIntervalReal = globalThis.clearInterval.bind(globalThis);

/** The worker, as CommonJS source: `eval` works the same from the .ts sources and from dist. */
const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const os = require('node:os');
const Database = require(workerData.betterSqlite3);
const LE = os.endianness() === 'LE';
const files = new Map();
let timer;
const header = Buffer.alloc(100);
const u32 = (at) => (LE ? header.readUInt32LE(at) : header.readUInt32BE(at));
// Frames not yet backfilled, from the WAL-index header; -1 when unknown (then checkpoint anyway).
function pending(file) {
  let fd;
  try {
    fd = fs.openSync(file + '-shm', 'r');
    if (fs.readSync(fd, header, 0, 100, 0) < 100 || header[12] === 0) return -1;
    const mx = u32(16);
    if (mx !== u32(64)) return -1;
    return Math.max(0, mx - u32(96));
  } catch {
    return -1;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
function drop(id) {
  const f = files.get(id);
  if (!f) return;
  files.delete(id);
  try { f.db.close(); } catch {}
  if (files.size === 0 && timer) { clearInterval(timer); timer = undefined; }
}
function tick() {
  for (const [id, f] of files) {
    const p = pending(f.file);
    if (p >= 0 && p <= f.frames) continue;
    try {
      const r = f.db.pragma('wal_checkpoint(PASSIVE)')[0];
      parentPort.postMessage({ type: 'checkpoint', id, busy: r.busy, log: r.log, checkpointed: r.checkpointed });
    } catch (e) {
      drop(id);
      parentPort.postMessage({ type: 'failed', id, message: String((e && e.message) || e) });
    }
  }
}
parentPort.on('message', (m) => {
  if (m.type === 'open') {
    try {
      const db = new Database(m.file, { fileMustExist: true });
      db.pragma('busy_timeout = 1000');
      db.pragma('synchronous = NORMAL');
      db.pragma('wal_autocheckpoint = 0');
      files.set(m.id, { file: m.file, frames: m.frames, db });
      if (!timer) timer = setInterval(tick, workerData.checkMs);
    } catch (e) {
      parentPort.postMessage({ type: 'failed', id: m.id, message: String((e && e.message) || e) });
    }
  } else if (m.type === 'close') {
    try { drop(m.id); } finally { Atomics.store(m.done, 0, 1); Atomics.notify(m.done, 0); }
  } else if (m.type === 'shutdown') {
    for (const id of [...files.keys()]) drop(id);
    process.exit(0);
  }
});
`;

type WorkerMessage =
  | { type: 'checkpoint'; id: number; busy: number; log: number; checkpointed: number }
  | { type: 'failed'; id: number; message: string };

interface Entry {
  readonly id: number;
  readonly db: BetterSqlite3.Database;
  readonly file: string;
  readonly attachBytes: number;
  readonly checkpointFrames: number;
  readonly maxWalFrames: number;
  readonly onError: ((error: Error) => void) | undefined;
  state: SqliteCheckpointerStats['state'];
  worker: Worker | undefined;
  workerCheckpoints: number;
  mainCheckpoints: number;
  lastLog: number;
  lastCheckpointed: number;
}

const entries = new Map<number, Entry>();
let nextId = 1;
let watchTimer: ReturnType<typeof setInterval> | undefined;
let current: { readonly worker: Worker; stopping: boolean } | undefined;
let workerFailures = 0;
let workersStarted = 0;

/** Process-wide numbers, for tests. */
export function sqliteCheckpointerProcessStats() {
  return { workerRunning: current !== undefined && !current.stopping, workersStarted, workerFailures };
}

/** Test hook: terminates the shared worker as a crash would (attached databases fall back). */
export async function terminateCheckpointWorkerForTesting(): Promise<void> {
  if (current) await current.worker.terminate();
}

function fallBack(entry: Entry, error: Error) {
  if (entry.state !== 'worker') return;
  entry.state = 'fallback';
  entry.worker = undefined;
  try {
    if (entry.db.open) entry.db.pragma('wal_autocheckpoint = 1000');
  } catch {
    // the connection is going away anyway
  }
  entry.onError?.(error);
}

function onWorkerGone(worker: Worker, error: Error) {
  if (current?.worker !== worker) return;
  const expected = current.stopping;
  current = undefined;
  if (!expected) workerFailures++;
  for (const entry of entries.values()) if (entry.worker === worker) fallBack(entry, error);
}

function onWorkerMessage(message: WorkerMessage) {
  const entry = entries.get(message.id);
  if (!entry || entry.state !== 'worker') return;
  if (message.type === 'failed') {
    const worker = entry.worker;
    fallBack(entry, new Error(`SQLite checkpoint worker: ${message.message}`));
    if (worker) shutdownIfUnused(worker);
    return;
  }
  entry.workerCheckpoints++;
  entry.lastLog = message.log;
  entry.lastCheckpointed = message.checkpointed;
  // The WAL cannot restart while writes keep landing during the worker's passes: catch up here,
  // between transactions, so the next write starts the WAL over.
  if (message.log > entry.maxWalFrames && entry.db.open && !entry.db.inTransaction) {
    try {
      // busy: the worker holds the checkpoint lock right now; its next report retries.
      const [r] = entry.db.pragma('wal_checkpoint(PASSIVE)') as { busy: number }[];
      if (r?.busy === 0) entry.mainCheckpoints++;
    } catch {
      // the worker's next pass tries again
    }
  }
}

function ensureWorker(): Worker | undefined {
  if (current && !current.stopping) return current.worker;
  if (workerFailures >= MAX_WORKER_FAILURES) return undefined;
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        betterSqlite3: createRequire(import.meta.url).resolve('better-sqlite3'),
        checkMs: WORKER_CHECK_MS,
      },
    });
  } catch {
    workerFailures++;
    return undefined;
  }
  workersStarted++;
  const state = { worker, stopping: false };
  current = state;
  worker.on('message', onWorkerMessage);
  worker.on('error', (e: Error) => onWorkerGone(worker, e));
  worker.on('exit', (code) => onWorkerGone(worker, new Error(`SQLite checkpoint worker exited (${code})`)));
  worker.unref();
  return worker;
}

function attach(entry: Entry) {
  const worker = ensureWorker();
  if (!worker) {
    entry.state = 'fallback';
    return;
  }
  entry.db.pragma('wal_autocheckpoint = 0');
  // Between catch-ups the WAL file can grow to tens of MB under sustained writes; when the WAL
  // restarts, SQLite truncates the file back to this size, so the disk it keeps stays bounded.
  entry.db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  entry.state = 'worker';
  entry.worker = worker;
  worker.postMessage({ type: 'open', id: entry.id, file: entry.file, frames: entry.checkpointFrames });
}

function walBytes(file: string): number {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
}

function watch() {
  let watching = 0;
  for (const entry of entries.values()) {
    if (entry.state !== 'watching') continue;
    if (!entry.db.open) {
      entries.delete(entry.id); // closed without stop(): nothing to undo
      continue;
    }
    if (walBytes(entry.file) >= entry.attachBytes) attach(entry);
    else watching++;
  }
  if (watching === 0 && watchTimer !== undefined) {
    clearIntervalReal(watchTimer);
    watchTimer = undefined;
  }
}

function detach(entry: Entry) {
  const worker = entry.worker;
  entry.worker = undefined;
  if (!worker || current?.worker !== worker) return;
  const done = new Int32Array(new SharedArrayBuffer(4));
  worker.postMessage({ type: 'close', id: entry.id, done });
  // Synchronous on purpose: the worker's connection must be closed before the caller closes the main one.
  if (Atomics.wait(done, 0, 0, STOP_WAIT_MS) === 'timed-out') {
    entry.onError?.(new Error('SQLite checkpoint worker did not release the database in time'));
  }
  shutdownIfUnused(worker);
}

function shutdownIfUnused(worker: Worker) {
  if (current?.worker !== worker || [...entries.values()].some((e) => e.worker === worker)) return;
  current.stopping = true;
  worker.postMessage({ type: 'shutdown' });
}

/**
 * Moves `db`'s WAL checkpoints to the shared worker once it writes (see the header). Call right
 * after opening (journal_mode = WAL set) and `stop()` right before closing.
 */
export function startSqliteCheckpointer(
  db: BetterSqlite3.Database,
  options: SqliteCheckpointerOptions = {},
): SqliteCheckpointer {
  const idle: SqliteCheckpointerStats = {
    state: 'idle',
    workerCheckpoints: 0,
    mainCheckpoints: 0,
    lastLog: 0,
    lastCheckpointed: 0,
  };
  if (db.memory || db.readonly || db.name === '' || db.pragma('journal_mode', { simple: true }) !== 'wal') {
    return { stop: () => undefined, stats: () => idle };
  }
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const entry: Entry = {
    id: nextId++,
    db,
    file: db.name,
    attachBytes: (options.attachFrames ?? 500) * (pageSize + WAL_FRAME_HEADER),
    checkpointFrames: options.checkpointFrames ?? 1000,
    maxWalFrames: options.maxWalFrames ?? 10_000,
    onError: options.onError,
    state: 'watching',
    worker: undefined,
    workerCheckpoints: 0,
    mainCheckpoints: 0,
    lastLog: 0,
    lastCheckpointed: 0,
  };
  entries.set(entry.id, entry);
  if (watchTimer === undefined) {
    watchTimer = setIntervalReal(watch, WATCH_MS);
    watchTimer.unref();
  }
  return {
    stop() {
      if (entry.state === 'stopped') return;
      const attached = entry.state === 'worker';
      entries.delete(entry.id);
      entry.state = 'stopped';
      if (attached) {
        detach(entry);
        try {
          if (db.open && !db.inTransaction) db.pragma('wal_checkpoint(PASSIVE)');
        } catch {
          // closing follows; SQLite checkpoints on the last close anyway
        }
      }
    },
    stats: () => ({
      state: entry.state,
      workerCheckpoints: entry.workerCheckpoints,
      mainCheckpoints: entry.mainCheckpoints,
      lastLog: entry.lastLog,
      lastCheckpointed: entry.lastCheckpointed,
    }),
  };
}
