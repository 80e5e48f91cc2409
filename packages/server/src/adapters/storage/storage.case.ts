/**
 * The storage contract: one suite every Storage adapter must pass (run by `storage.test.ts` on
 * SQLite and PostgreSQL). Cases share one migrated database per dialect and use unique ids, so
 * they never depend on each other's rows; the audit cases run first because they need an empty log.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import type { Storage } from '../../core/ports/storage.js';
import { actionCases } from './cases/actions.case.js';
import { approvalCases } from './cases/approvals.case.js';
import { auditCases } from './cases/audit.case.js';
import { changesetCases } from './cases/changesets.case.js';
import { coordinationCases } from './cases/coordination.case.js';
import { deliveryCases } from './cases/deliveries.case.js';
import type { ContractContext } from './cases/fixtures.case.js';
import { insightsCases } from './cases/insights.case.js';
import { operationModeCases } from './cases/operation-modes.case.js';
import { sessionCases } from './cases/sessions.case.js';
import { transactionCases } from './cases/transactions.case.js';

/**
 * `open` is called once for the suite's main instance, on a fresh empty database, and again by
 * cases that need a second instance: every call must open the SAME database (as a second server
 * process would). `cleanup` runs after every opened instance is closed.
 */
export function describeStorageContract(
  name: string,
  open: () => Promise<Storage>,
  cleanup: () => Promise<void> = () => Promise.resolve(),
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip === true)(`storage contract [${name}]`, () => {
    let main: Storage | undefined;
    const ctx: ContractContext = {
      storage: () => {
        if (!main) throw new Error('storage not opened');
        return main;
      },
      openAnother: () => open(),
    };

    beforeAll(async () => {
      main = await open();
      await main.migrate();
    });

    afterAll(async () => {
      await main?.close();
      await cleanup();
    });

    auditCases(ctx);
    actionCases(ctx);
    changesetCases(ctx);
    approvalCases(ctx);
    coordinationCases(ctx);
    deliveryCases(ctx);
    sessionCases(ctx);
    transactionCases(ctx);
    insightsCases(ctx);
    operationModeCases(ctx);
  });
}
