import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSandboxStore } from './connectors/sandbox/store.js';
import {
  sqliteCheckpointerProcessStats,
  startSqliteCheckpointer,
  terminateCheckpointWorkerForTesting,
} from './sqlite-checkpointer.js';
import { openSqliteDatabase } from './storage/sqlite.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `done` every 20 ms for at most `ms`. */
async function until(done: () => boolean, ms = 10_000): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 20) {
    if (done()) return true;
    await sleep(20);
  }
  return done();
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gh-ckpt-'));
});
afterEach(async () => {
  // Every test stops what it started; the shared worker exits once nothing is attached.
  await until(() => !sqliteCheckpointerProcessStats().workerRunning, 5000);
  rmSync(dir, { recursive: true, force: true });
});

function openWal(file: string) {
  const db = new Database(file);
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, b BLOB NOT NULL)');
  return db;
}

/** About one WAL frame per row (3000-byte blobs, 4 KiB pages). */
function write(db: Database.Database, rows: number, perTx = 200) {
  const insert = db.prepare('INSERT INTO t (b) VALUES (randomblob(3000))');
  const tx = db.transaction((n: number) => {
    for (let i = 0; i < n; i++) insert.run();
  });
  for (let done = 0; done < rows; done += perTx) tx(Math.min(perTx, rows - done));
}

const count = (db: Database.Database) => (db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;

describe('sqlite checkpointer', () => {
  it('hands a database that writes to the worker, which checkpoints its WAL', async () => {
    const file = join(dir, 'a.db');
    const db = openWal(file);
    const ckpt = startSqliteCheckpointer(db);
    expect(ckpt.stats().state).toBe('watching');
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    write(db, 600); // past the 500 frames that attach it (SQLite's own checkpoint has not run yet)
    expect(await until(() => ckpt.stats().state === 'worker')).toBe(true);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    write(db, 2400);
    expect(await until(() => ckpt.stats().workerCheckpoints > 0)).toBe(true);
    expect(sqliteCheckpointerProcessStats().workerRunning).toBe(true);
    // The worker may have run while the writes were still going: it copied everything it saw.
    const { lastLog, lastCheckpointed } = ckpt.stats();
    expect(lastLog).toBeGreaterThan(1000);
    expect(lastCheckpointed).toBe(lastLog);

    ckpt.stop();
    expect(ckpt.stats().state).toBe('stopped');
    db.close();
    expect(await until(() => !sqliteCheckpointerProcessStats().workerRunning)).toBe(true);

    const again = new Database(file, { readonly: true });
    expect(count(again)).toBe(3000);
    again.close();
  });

  it('leaves small, in-memory and readonly databases alone', async () => {
    const mem = new Database(':memory:');
    expect(startSqliteCheckpointer(mem).stats().state).toBe('idle');
    mem.close();

    const file = join(dir, 'small.db');
    const db = openWal(file);
    const ckpt = startSqliteCheckpointer(db);
    write(db, 50);
    await sleep(600);
    expect(ckpt.stats().state).toBe('watching');
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    ckpt.stop();
    db.close();

    const ro = new Database(file, { readonly: true });
    expect(startSqliteCheckpointer(ro).stats().state).toBe('idle');
    ro.close();
  });

  it('falls back to autocheckpoint when the worker dies', async () => {
    const db = openWal(join(dir, 'b.db'));
    const errors: Error[] = [];
    const ckpt = startSqliteCheckpointer(db, { attachFrames: 0, onError: (e) => errors.push(e) });
    write(db, 200);
    expect(await until(() => ckpt.stats().state === 'worker')).toBe(true);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    await terminateCheckpointWorkerForTesting();
    expect(await until(() => ckpt.stats().state === 'fallback')).toBe(true);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    expect(errors).toHaveLength(1);
    write(db, 1500);
    ckpt.stop();
    db.close();
  });

  it('catches up on the main thread when writes never let the WAL restart', async () => {
    const db = openWal(join(dir, 'c.db'));
    const ckpt = startSqliteCheckpointer(db, { attachFrames: 0, checkpointFrames: 100, maxWalFrames: 300 });
    expect(await until(() => ckpt.stats().state === 'worker')).toBe(true);
    // Small commits back to back for at most 5 s, yielding to the event loop between them.
    for (let i = 0; i < 2500 && ckpt.stats().mainCheckpoints === 0; i++) {
      write(db, 4);
      await new Promise((r) => setImmediate(r));
      if (i % 10 === 0) await sleep(1);
    }
    expect(ckpt.stats().workerCheckpoints).toBeGreaterThan(0);
    expect(ckpt.stats().mainCheckpoints).toBeGreaterThan(0);
    ckpt.stop();
    db.close();
  });

  it('storage and sandbox closes stop the checkpointer; data survives', async () => {
    const file = join(dir, 'storage.db');
    const db = openSqliteDatabase(file);
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL)');
    write(db, 2500);
    expect(await until(() => sqliteCheckpointerProcessStats().workerRunning)).toBe(true);
    expect(await until(() => db.pragma('wal_autocheckpoint', { simple: true }) === 0)).toBe(true);
    db.close();
    expect(await until(() => !sqliteCheckpointerProcessStats().workerRunning)).toBe(true);
    const again = openSqliteDatabase(file);
    expect(count(again)).toBe(2500);
    again.close();

    const sandboxFile = join(dir, 'sandbox.db');
    const store = openSandboxStore(sandboxFile);
    store.db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL)');
    write(store.db, 2500);
    expect(await until(() => sqliteCheckpointerProcessStats().workerRunning)).toBe(true);
    store.close();
    expect(await until(() => !sqliteCheckpointerProcessStats().workerRunning)).toBe(true);
    const reopened = openSandboxStore(sandboxFile);
    expect(count(reopened.db)).toBe(2500);
    reopened.close();
  });

  it('does not keep a process alive', async () => {
    const module = fileURLToPath(new URL('./sqlite-checkpointer.ts', import.meta.url));
    const script = join(dir, 'child.mts');
    writeFileSync(
      script,
      `import { createRequire } from 'node:module';
import { startSqliteCheckpointer, sqliteCheckpointerProcessStats } from ${JSON.stringify(module)};
const Database = createRequire(${JSON.stringify(module)})('better-sqlite3');
const db = new Database(${JSON.stringify(join(dir, 'child.db'))});
db.pragma('journal_mode = WAL');
db.exec('CREATE TABLE t (b BLOB)');
const ckpt = startSqliteCheckpointer(db, { attachFrames: 0 });
for (let i = 0; i < 100 && ckpt.stats().state !== 'worker'; i++) await new Promise((r) => setTimeout(r, 50));
db.transaction(() => { for (let i = 0; i < 1500; i++) db.prepare('INSERT INTO t VALUES (randomblob(3000))').run(); })();
for (let i = 0; i < 100 && ckpt.stats().workerCheckpoints === 0; i++) await new Promise((r) => setTimeout(r, 50));
console.log(JSON.stringify({ ...ckpt.stats(), ...sqliteCheckpointerProcessStats() }));
`,
    );
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 20_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(err).toBe('');
    expect(code).toBe(0);
    const stats = JSON.parse(out) as { state: string; workerCheckpoints: number; workerRunning: boolean };
    expect(stats).toMatchObject({ state: 'worker', workerRunning: true });
    expect(stats.workerCheckpoints).toBeGreaterThan(0);
    // It exited on its own right after its last line, not after some timeout.
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
