/**
 * `npm run campaign-runner -w @gatehouse/examples`: launches the first draft campaign through
 * Gatehouse and waits up to CAMPAIGN_RUNNER_WAIT_SECONDS (default 0) for a person to approve.
 * Reads GATEHOUSE_URL and GATEHOUSE_AGENT_KEY (a campaign-runner key).
 */
import { clientFromEnv, runMain } from '../env.js';
import { run } from './index.js';

runMain(async () => {
  const waitSeconds = Number(process.env.CAMPAIGN_RUNNER_WAIT_SECONDS ?? '0');
  if (!Number.isInteger(waitSeconds) || waitSeconds < 0) {
    throw new Error('CAMPAIGN_RUNNER_WAIT_SECONDS must be a whole number of seconds ≥ 0');
  }
  const r = await run(clientFromEnv(), { waitMs: waitSeconds * 1000 });
  if (!r.campaign || !r.submitted || !r.settled) {
    console.log('No draft campaign to launch.');
    return;
  }
  console.log(`launch ${r.campaign.id} (${r.campaign.name ?? 'unnamed'}): ${r.submitted.status}`);
  if (r.submitted.approval) {
    console.log(
      `  approval ${r.submitted.approval.id}: ${r.submitted.approval.required} approver(s), expires ${r.submitted.approval.expires_at}`,
    );
  }
  if (r.settled !== r.submitted) console.log(`  after waiting: ${r.settled.status}`);
  if (r.settled.error) console.log(`  ${r.settled.error.code}: ${r.settled.error.message}`);
});
