/**
 * Live updates across instances: two gatehouses on one PostgreSQL database; a page connected to
 * instance B sees, within 2 s, the action an agent submitted to instance A and the breaker a
 * responder forced open there. Skipped when PostgreSQL is not reachable (unless required).
 */
import { request, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestPostgresDatabase,
  isPostgresReachable,
  POSTGRES_REQUIRED,
  type TestPostgresDatabase,
} from '../../src/adapters/storage/testing.js';
import { exampleConfigText, startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { allRecords, crmOf, inUsCa } from '../helpers/sandbox.js';

const reachable = await isPostgresReachable();
let db: TestPostgresDatabase | undefined;
let a: TestGatehouse;
let b: TestGatehouse;

beforeAll(async () => {
  if (!reachable) return;
  db = await createTestPostgresDatabase();
  if (!db) throw new Error('PostgreSQL database could not be created');
  const configText = exampleConfigText({ contacts: 60, storageUrl: db.url });
  a = await startTestGatehouse({ configText });
  b = await startTestGatehouse({ configText });
}, 60_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  await db?.drop();
});

describe.skipIf(!reachable && !POSTGRES_REQUIRED)('GET /v1/events across instances (PostgreSQL)', () => {
  it('a page on instance B sees instance A’s action and breaker change within 2 s', async () => {
    const base = await b.gh.listen(0);
    let buf = '';
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(`${base}/v1/events`, { headers: { authorization: `Bearer ${b.keys.ana}` } }, resolve);
      req.on('error', reject);
      req.end();
    });
    expect(res.statusCode).toBe(200);
    res.setEncoding('utf8');
    res.on('data', (c: string) => (buf += c));
    const waitFor = async (needle: string) => {
      const deadline = Date.now() + 2_000;
      while (!buf.includes(needle) && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 20));
      return buf.includes(needle);
    };
    try {
      const contact = (await allRecords(crmOf(a.gh), 'contacts')).find(inUsCa)!;
      const started = Date.now();
      const r = await a.inject('POST', '/v1/actions', a.keys['lead-router'], {
        connector: 'crm',
        object: 'contacts',
        operation: 'update',
        records: [{ id: contact.id, changes: { owner_id: 'u_pg' } }],
        reason: 'cross-instance event',
      });
      expect(r.status, r.body).toBe(200);
      expect(await waitFor(`"action_id":"${r.json.id}"`)).toBe(true);
      console.log(`instance A action → instance B SSE event: ${Date.now() - started} ms`);

      const forced = await a.inject('POST', '/v1/breakers/agent-errors/force-open', a.keys.sam, { comment: 'drill' });
      expect(forced.status, forced.body).toBe(200);
      expect(await waitFor('"type":"breaker.forced_open"')).toBe(true);
    } finally {
      res.destroy();
    }
  });
});
