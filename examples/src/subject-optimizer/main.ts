/**
 * `npm run subject-optimizer -w @gatehouse/examples`: proposes subject lines through Gatehouse.
 * Reads GATEHOUSE_URL and GATEHOUSE_AGENT_KEY (a subject-optimizer key).
 */
import { clientFromEnv, runMain } from '../env.js';
import { run } from './index.js';

runMain(async () => {
  const proposals = await run(clientFromEnv());
  for (const p of proposals) {
    const why = p.action.error ? `  ${p.action.error.code}: ${p.action.error.message}` : '';
    console.log(`${p.email}: "${p.before ?? ''}" → "${p.after}": ${p.action.status}${why}`);
  }
  if (proposals.length === 0) console.log('No subject to improve.');
});
