/**
 * `gatehouse replica create|refresh|list` through the real CLI: config checks with messages that
 * name the fix, a filtered copy with PII masked in the file, the refresh log, and the audit log
 * (entries present, chain still verifies).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HOOK_ENV, output, runCli, scaled, writeTempConfig, type TempConfig } from '../cli/helpers.js';

vi.setConfig({ testTimeout: scaled(60_000) });

let cfg: TempConfig;
let replicaPath: string;
const cli = (...args: string[]) => runCli([...args, '--config', cfg.file], { env: HOOK_ENV });

beforeAll(() => {
  cfg = writeTempConfig({
    contacts: 300,
    edit: (text) =>
      text
        .replace('\npeople:', `\n  crm-us:\n    type: replica\n    from: crm\n    path: "REPLICA_PATH"\n\npeople:`)
        .replace(
          '\n# Policies are checked',
          [
            '',
            '  - id: router-shadow',
            '    owner: sam',
            '    mode: observe',
            '    grants:',
            '      - connector: crm-us',
            '        objects: [contacts]',
            '        operations: [read, update]',
            '        write_fields: [owner_id]',
            '        pii: mask',
            '',
            '# Policies are checked',
          ].join('\n'),
        ),
  });
  replicaPath = join(cfg.dir, 'replica-crm-us.db');
  const text = readFileSync(cfg.file, 'utf8').replace('REPLICA_PATH', replicaPath);
  writeFileSync(cfg.file, text);
});
afterAll(() => cfg?.cleanup());

interface Exported {
  type: string;
  actor: string;
  subject: string | null;
  data: Record<string, unknown>;
}

describe('gatehouse replica', () => {
  it('--help explains replicas with examples', async () => {
    const r = await runCli(['replica', 'create', '--help']);
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toContain('--filter');
    expect(r.stdout).toContain(
      'gatehouse replica create --from crm --name crm-us --object contacts --filter country=US',
    );
    const top = await runCli(['replica', '--help']);
    expect(top.stdout).toContain('type: replica');
    expect(top.stdout).toMatch(/refresh/);
  });

  it('list before create says how to create it; bad names and sources get messages naming the fix', async () => {
    const list = await cli('replica', 'list');
    expect(list.code, output(list)).toBe(0);
    expect(list.stdout).toContain('NOT CREATED');
    expect(list.stdout).toContain('gatehouse replica create --from crm --name crm-us');

    const unknown = await cli('replica', 'create', '--from', 'crm', '--name', 'crm-eu');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no connector 'crm-eu'");
    expect(unknown.stderr).toContain('type: replica');

    const notReplica = await cli('replica', 'create', '--from', 'crm', '--name', 'crm');
    expect(notReplica.code).toBe(1);
    expect(notReplica.stderr).toContain('not replica');

    const wrongFrom = await cli('replica', 'create', '--from', 'crm-us', '--name', 'crm-us');
    expect(wrongFrom.code).toBe(1);
    expect(wrongFrom.stderr).toContain("is a replica of 'crm'");

    const badFilter = await cli('replica', 'create', '--from', 'crm', '--name', 'crm-us', '--filter', 'country=US');
    expect(badFilter.code).toBe(1);
    expect(badFilter.stderr).toContain('--object');
    expect(existsSync(replicaPath)).toBe(false);
  });

  it('create copies the filtered records with PII masked; refresh and list show the log; both are audited', async () => {
    const created = await cli(
      'replica',
      'create',
      '--from',
      'crm',
      '--name',
      'crm-us',
      '--object',
      'contacts',
      '--filter',
      'country=US',
      '--as',
      'maria',
    );
    expect(created.code, output(created)).toBe(0);
    expect(created.stdout).toContain('Created replica crm-us of crm');
    expect(created.stdout).toMatch(/contacts\s+[\d,]+ records/);
    expect(created.stdout).toContain('where country EQ US');
    expect(created.stdout).toContain('PII stored as: contacts.{email,firstname,lastname,phone} mask');

    // The replica file holds US contacts only and no raw email of any contact.
    const sandbox = new Database(cfg.sandboxPath, { readonly: true });
    const contacts = (
      sandbox.prepare("SELECT properties FROM records WHERE object = 'contacts'").all() as { properties: string }[]
    ).map((r) => JSON.parse(r.properties) as Record<string, string | null>);
    sandbox.close();
    const replica = new Database(replicaPath, { readonly: true });
    const copied = (
      replica.prepare("SELECT properties FROM records WHERE object = 'contacts'").all() as { properties: string }[]
    ).map((r) => JSON.parse(r.properties) as Record<string, string | null>);
    const historyValues = (replica.prepare('SELECT value FROM history').all() as { value: string | null }[]).map(
      (r) => r.value,
    );
    replica.close();
    expect(copied.length).toBe(contacts.filter((c) => c.country === 'US').length);
    expect(copied.every((c) => c.country === 'US' && c.email?.includes('***@'))).toBe(true);
    const bytes = readFileSync(replicaPath).toString('utf8');
    const wal = existsSync(`${replicaPath}-wal`) ? readFileSync(`${replicaPath}-wal`).toString('utf8') : '';
    const rawEmails = contacts.map((c) => c.email!).filter(Boolean);
    expect(rawEmails.length).toBeGreaterThan(100);
    for (const email of rawEmails) {
      expect(bytes.includes(email)).toBe(false);
      expect(wal.includes(email)).toBe(false);
    }
    expect(historyValues.some((v) => v !== null && rawEmails.includes(v))).toBe(false);

    const again = await cli('replica', 'create', '--from', 'crm', '--name', 'crm-us');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('gatehouse replica refresh crm-us');

    const refreshed = await cli('replica', 'refresh', 'crm-us', '--as', 'sam', '--json');
    expect(refreshed.code, output(refreshed)).toBe(0);
    const json = JSON.parse(refreshed.stdout) as { kind: string; counts: Record<string, { records: number }> };
    expect(json.kind).toBe('refresh');
    expect(json.counts['contacts']?.records).toBe(copied.length);

    const list = await cli('replica', 'list');
    expect(list.code, output(list)).toBe(0);
    expect(list.stdout).toContain('crm-us  replica of crm');
    expect(list.stdout).toContain('refreshes (2)');
    expect(list.stdout).toMatch(/create\s+from crm \(sandbox\)\s+[\d,]+ records\s+by person:maria/);
    expect(list.stdout).toMatch(/refresh\s+from crm \(sandbox\)\s+[\d,]+ records\s+by person:sam/);

    const exported = await cli('audit', 'export', '--format', 'jsonl');
    expect(exported.code, output(exported)).toBe(0);
    const entries = exported.stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Exported & { checkpoint?: unknown })
      .filter((e) => !('checkpoint' in e) && e.type === 'replica.refreshed');
    expect(entries.map((e) => [e.actor, e.subject, e.data['kind']])).toEqual([
      ['person:maria', 'crm-us', 'create'],
      ['person:sam', 'crm-us', 'refresh'],
    ]);
    expect(entries[0]!.data).toMatchObject({ from: 'crm', records: { contacts: copied.length } });

    const verify = await cli('audit', 'verify');
    expect(verify.code, output(verify)).toBe(0);
  });
});
