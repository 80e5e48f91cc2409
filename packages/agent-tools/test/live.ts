/**
 * A real Gatehouse for the framework loops: the example config on SQLite with a small seeded
 * sandbox, listening on loopback, and one SDK client per agent and person (their own keys).
 */
import { createGatehouseClient, type GatehouseClient } from '@gatehouse/sdk';
import { startTestGatehouse, type TestGatehouse } from '../../server/test/helpers/gatehouse.js';
import { crmOf } from '../../server/test/helpers/sandbox.js';

export interface LiveGatehouse {
  readonly t: TestGatehouse;
  readonly baseUrl: string;
  /** A client with the key of an agent or person from the example config. */
  client(who: string): GatehouseClient;
  /** The raw CRM record, read behind Gatehouse's back (unmasked, every property). */
  raw(object: string, id: string): Promise<Readonly<Record<string, string | null>> | undefined>;
  close(): Promise<void>;
}

export async function startLiveGatehouse(): Promise<LiveGatehouse> {
  const t = await startTestGatehouse({ contacts: 200 });
  try {
    const baseUrl = await t.gh.listen(0);
    return {
      t,
      baseUrl,
      client(who) {
        const key = t.keys[who];
        if (!key) throw new Error(`no key for ${who}`);
        return createGatehouseClient({ baseUrl, key, timeoutMs: 10_000, retries: { attempts: 1, baseDelayMs: 10 } });
      },
      async raw(object, id) {
        return (await crmOf(t.gh).get(object, id))?.properties;
      },
      close: () => t.close(),
    };
  } catch (e) {
    await t.close();
    throw e;
  }
}
