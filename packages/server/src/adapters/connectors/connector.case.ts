import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectorHarness, MakeHarness } from './contract/kit.case.js';
import { describeOperations } from './contract/operations.case.js';
import { describeReads } from './contract/reads.case.js';
import { describeWrites } from './contract/writes.case.js';

export type { ConnectorHarness, MakeHarness } from './contract/kit.case.js';

/**
 * The connector contract: one suite, run against every adapter (the sandbox, HubSpot over its
 * emulator, ...), so they all mean the same thing by list, search, plan, apply and revert.
 *
 * `make` is called before every case and must return a connector over seeded data with at least
 * 25 contacts carrying HubSpot's standard contact properties (email, firstname, city, country,
 * lifecyclestage, lead_score, owner_id, hs_email_optout, jobtitle), whose clock is `clock`.
 * Cases advance the clock between writes; they never sleep.
 */
export function describeConnectorContract(name: string, make: MakeHarness): void {
  describe(`connector contract: ${name}`, () => {
    let harness: ConnectorHarness | undefined;
    const h = () => {
      if (!harness) throw new Error('harness not ready');
      return harness;
    };
    beforeEach(async () => {
      harness = await make();
    });
    afterEach(async () => {
      await harness?.cleanup();
      harness = undefined;
    });

    it('is healthy and identifies itself', async () => {
      const { connector } = h();
      expect(connector.id).toEqual(expect.any(String));
      expect(connector.type).toEqual(expect.any(String));
      expect(await connector.health()).toMatchObject({ ok: true });
    });

    describeReads(h);
    describeWrites(h);
    describeOperations(h);
  });
}

/**
 * The read half of the contract, for read-only connectors (replicas): health, schema, list/get,
 * search and error codes, without the cases that need writes. `make` returns a connector over a
 * copy of seeded data as `describeConnectorContract` describes it.
 */
export function describeReadContract(name: string, make: MakeHarness): void {
  describe(`connector read contract: ${name}`, () => {
    let harness: ConnectorHarness | undefined;
    const h = () => {
      if (!harness) throw new Error('harness not ready');
      return harness;
    };
    beforeEach(async () => {
      harness = await make();
    });
    afterEach(async () => {
      await harness?.cleanup();
      harness = undefined;
    });

    it('is healthy and identifies itself', async () => {
      const { connector } = h();
      expect(connector.id).toEqual(expect.any(String));
      expect(await connector.health()).toMatchObject({ ok: true });
    });

    describeReads(h, { writable: false });
  });
}
