/**
 * Keys, agent modes, policy tests and the audit log through the real CLI. The audit part tampers
 * with the SQLite database the way an insider would (edit, delete, swap, cut the tail) and
 * expects `gatehouse audit verify` to exit 1 and name what happened and where.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  FIXTURES,
  HOOK_ENV,
  freePort,
  output,
  replaceOnce,
  runCli,
  startServe,
  writeTempConfig,
  type TempConfig,
  scaled,
} from './helpers.js';

// Each test starts one or more CLI processes (~2 s of CPU each from sources).
vi.setConfig({ testTimeout: scaled(60_000) });

let cfg: TempConfig;
const cli = (...args: string[]) => runCli([...args, '--config', cfg.file], { env: HOOK_ENV });

beforeAll(() => {
  cfg = writeTempConfig();
});
afterAll(() => cfg?.cleanup());

interface ExportedEntry {
  seq: number;
  type: string;
  actor: string;
  subject: string | null;
  data: Record<string, unknown>;
}

/** The audit log as `gatehouse audit export` prints it; checkpoint lines are dropped. */
async function exportedEntries(): Promise<ExportedEntry[]> {
  const r = await cli('audit', 'export', '--format', 'jsonl');
  expect(r.code, output(r)).toBe(0);
  const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const p of parsed) expect(typeof p).toBe('object');
  return parsed.filter((p) => !('checkpoint' in p)) as unknown as ExportedEntry[];
}

describe('keys', () => {
  let agentKey: { id: string; token: string };
  let personToken: string;

  it('create --agent --json prints the token once, as JSON', async () => {
    const r = await cli('keys', 'create', '--agent', 'lead-router', '--json');
    expect(r.code, output(r)).toBe(0);
    const parsed = JSON.parse(r.stdout.trim()) as { id: string; kind: string; subject: string; token: string };
    expect(parsed).toMatchObject({ kind: 'agent', subject: 'lead-router' });
    expect(parsed.token).toMatch(/^gh_agent_[A-Za-z0-9_-]{20,}$/);
    expect(r.stdout.split(parsed.token).length - 1).toBe(1);
    agentKey = parsed;
  });

  it('create without --json prints the token once with a warning to store it', async () => {
    const r = await cli('keys', 'create', '--person', 'maria', '--label', 'laptop');
    expect(r.code, output(r)).toBe(0);
    const token = /^(gh_person_\S+)$/m.exec(r.stdout)?.[1];
    expect(token, r.stdout).toBeDefined();
    personToken = token!;
    expect(output(r).split(personToken).length - 1).toBe(1);
    expect(r.stdout).toMatch(/only time the key is shown/);
    const ingest = await cli('keys', 'create', '--ingest', 'ctr-feed', '--json');
    expect(ingest.code, output(ingest)).toBe(0);
  });

  it('create for an agent that is not in the config fails and names the agents', async () => {
    const r = await cli('keys', 'create', '--agent', 'nobody');
    expect(r.code, output(r)).toBe(1);
    expect(r.stderr).toMatch(/no agent 'nobody' in the config.*lead-router, subject-optimizer, campaign-runner/);
    expect(r.stdout).not.toMatch(/gh_agent_/);
  });

  it('revoke works once, then says it was already revoked', async () => {
    const r = await cli('keys', 'revoke', agentKey.id, '--as', 'maria');
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toContain(`Revoked ${agentKey.id} (agent lead-router)`);
    const again = await cli('keys', 'revoke', agentKey.id, '--as', 'maria');
    expect(again.code, output(again)).toBe(1);
    expect(again.stderr).toMatch(/already revoked/);
  });

  it('list shows ids and prefixes, marks the revoked key, and never shows a token', async () => {
    const r = await cli('keys', 'list');
    expect(r.code, output(r)).toBe(0);
    const agentLine = r.stdout.split('\n').find((l) => l.startsWith(agentKey.id));
    expect(agentLine, r.stdout).toBeDefined();
    expect(agentLine).toContain(`${agentKey.token.slice(0, 12)}`);
    expect(agentLine).toMatch(/REVOKED/);
    expect(r.stdout).toMatch(/person\s+maria\s.*\(laptop\)/);
    expect(r.stdout).toMatch(/ingest\s+ctr-feed/);
    for (const token of [agentKey.token, personToken]) {
      expect(r.stdout).not.toContain(token);
      expect(r.stdout).not.toContain(token.slice(-16));
    }
    // Not in the database either: only a hash and a prefix are stored.
    const db = new Database(cfg.dbPath, { readonly: true });
    try {
      const rows = JSON.stringify(db.prepare('select * from api_keys').all());
      expect(rows).not.toContain(agentKey.token.slice(-16));
      expect(rows).not.toContain(personToken.slice(-16));
    } finally {
      db.close();
    }
  });

  it('the audit log records key.created and key.revoked with who did it, and no token', async () => {
    const entries = await exportedEntries();
    const created = entries.filter((e) => e.type === 'key.created');
    expect(created.map((e) => e.data.subject)).toEqual(['lead-router', 'maria', 'ctr-feed']);
    const revoked = entries.filter((e) => e.type === 'key.revoked');
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toMatchObject({ actor: 'person:maria', subject: agentKey.id });
    const all = JSON.stringify(entries);
    expect(all).not.toContain(agentKey.token.slice(-16));
    expect(all).not.toContain(personToken.slice(-16));
  });
});

describe('agents mode', () => {
  it('an admin pauses an agent (audited with the comment); a non-admin is refused', async () => {
    const [refused, ok] = [
      await cli('agents', 'mode', 'lead-router', 'paused', '--as', 'lee'),
      await cli('agents', 'mode', 'lead-router', 'paused', '--as', 'maria', '--comment', 'x'),
    ];
    expect(refused.code, output(refused)).toBe(1);
    expect(refused.stderr).toMatch(/lee is not an admin/);
    expect(ok.code, output(ok)).toBe(0);
    expect(ok.stdout).toMatch(/lead-router: autonomous → paused \(audit entry \d+\)/);

    const list = await cli('agents', 'list');
    expect(list.code, output(list)).toBe(0);
    expect(list.stdout).toMatch(/^lead-router\s+paused\s+\(config: autonomous\)/m);

    const changes = (await exportedEntries()).filter((e) => e.type === 'agent.mode_changed');
    expect(changes).toHaveLength(1);
    expect(changes[0]!.actor).toBe('person:maria');
    expect(JSON.stringify(changes[0]!.data)).toContain('"x"');
  });
});

describe('policy test', () => {
  it.concurrent('passes the example cases and fails when one expectation is wrong', async ({ expect }) => {
    const cases = join(FIXTURES, 'policy/example-cases.yaml');
    const wrong = join(cfg.dir, 'wrong-cases.yaml');
    writeFileSync(
      wrong,
      replaceOnce(
        readFileSync(cases, 'utf8'),
        'expect: { effect: allow, defaulted: true, rules: [] }',
        'expect: { effect: require_approval, rules: [launches-need-approval] }',
      ),
    );
    const [pass, fail] = await Promise.all([cli('policy', 'test', cases), cli('policy', 'test', wrong)]);
    expect(pass.code, output(pass)).toBe(0);
    expect(pass.stdout).not.toMatch(/FAIL/);
    expect(fail.code, output(fail)).toBe(1);
    expect(fail.stdout).toMatch(/FAIL\s+pausing a campaign is not a launch/);
    expect(fail.stdout).toMatch(/1 failed/);
  });
});

type Tamper = (db: Database.Database, n: number) => void;

const CONTENT = ['at', 'type', 'actor', 'subject', 'data', 'prev_hash', 'hash'] as const;

/** Exchanges the content of two entries, keeping their seqs: the log reads as reordered. */
function swap(db: Database.Database, a: number, b: number): void {
  const get = db.prepare<[number], Record<string, unknown>>('select * from audit_entries where seq = ?');
  const set = db.prepare(`update audit_entries set ${CONTENT.map((c) => `${c} = @${c}`).join(', ')} where seq = @seq`);
  const [ra, rb] = [get.get(a)!, get.get(b)!];
  db.transaction(() => {
    set.run({ ...rb, seq: a });
    set.run({ ...ra, seq: b });
  })();
}

describe('audit verify', () => {
  let entries = 0;

  it('exits 0 on the untouched log, after a server run whose SIGTERM wrote the final checkpoint', async () => {
    const server = await startServe(cfg.file, { env: HOOK_ENV, port: await freePort() });
    try {
      expect((await fetch(`${server.address}/healthz`)).status).toBe(200);
    } finally {
      const stopped = await server.stop('SIGTERM');
      expect(stopped.code, server.output()).toBe(0);
    }
    expect(server.output()).toMatch(/SIGTERM: shutting down \(final audit checkpoint\)/);
    const r = await cli('audit', 'verify');
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toMatch(/^OK: \d+ entries, \d+ checkpoints/);
    const db = new Database(cfg.dbPath, { readonly: true });
    try {
      entries = (db.prepare('select max(seq) as n from audit_entries').get() as { n: number }).n;
      const covered = (db.prepare('select max(last_entry_seq) as n from audit_checkpoints').get() as { n: number }).n;
      expect(covered).toBe(entries);
    } finally {
      db.close();
    }
    expect(entries).toBeGreaterThanOrEqual(5);
  });

  const CASES: { name: string; tamper: Tamper; expect: (n: number) => RegExp }[] = [
    {
      name: 'an edited entry',
      tamper: (db) =>
        db.prepare(`update audit_entries set data = replace(data, 'maria', 'mallory') where seq = 2`).run(),
      expect: () => /modified at entry 2\b/,
    },
    {
      name: 'a deleted entry',
      tamper: (db) => db.prepare('delete from audit_entries where seq = 3').run(),
      expect: () => /removed at entry 3\b/,
    },
    {
      name: 'two swapped entries',
      tamper: (db) => swap(db, 2, 4),
      expect: () => /reordered at entry 2\b.*entries 2 and 4/,
    },
    {
      name: 'a cut tail',
      tamper: (db, n) => db.prepare('delete from audit_entries where seq >= ?').run(n - 1),
      expect: (n) => new RegExp(`truncated at entry ${n - 1}\\b.*log ends at ${n - 2}\\b`),
    },
  ];

  it.concurrent.for(CASES)('exits 1 and names $name', async (c, { expect }) => {
    expect(entries).toBeGreaterThanOrEqual(5);
    // Each case tampers its own copy of the database, verified with the same config and key.
    const copy = join(cfg.dir, `tampered-${c.name.replace(/\W+/g, '-')}.db`);
    const source = new Database(cfg.dbPath, { readonly: true });
    await source.backup(copy);
    source.close();
    const db = new Database(copy);
    try {
      c.tamper(db, entries);
    } finally {
      db.close();
    }
    const file = join(cfg.dir, `tampered-${c.name.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, cfg.text.replace(cfg.dbPath, copy));
    const r = await runCli(['audit', 'verify', '--config', file], { env: HOOK_ENV });
    expect(r.code, output(r)).toBe(1);
    expect(r.stdout).toMatch(/^TAMPERED: 1 problem/);
    expect(r.stdout).toMatch(c.expect(entries));
  });
});
