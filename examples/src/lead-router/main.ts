/**
 * `npm run lead-router -w @gatehouse/examples` (or `node examples/dist/lead-router/main.js`):
 * routes contacts through Gatehouse. Reads GATEHOUSE_URL, GATEHOUSE_AGENT_KEY (a lead-router
 * key) and, for a real model, OPENAI_BASE_URL (+ OPENAI_API_KEY, OPENAI_MODEL). Without a model
 * the scripted one runs and also oversteps its grant once, to show the gate.
 */
import { clientFromEnv, modelFromEnv, runMain } from '../env.js';
import { run } from './index.js';

runMain(async () => {
  const client = clientFromEnv();
  const llm = modelFromEnv();
  console.log(`lead-router on ${llm ? llm.label : 'the scripted model (set OPENAI_BASE_URL for a real one)'}`);
  const inbound = (process.env.LEAD_ROUTER_INBOUND ?? '').split(',').filter(Boolean);
  const result = await run(client, { ...(llm ? { model: llm.model } : { overreach: true }), inbound });
  for (const s of result.steps) {
    const o = s.outcome;
    const why = o.error ? `  ${o.error.code}: ${o.error.message}` : '';
    console.log(`  ${s.what.padEnd(36)} → ${o.status}${why}`);
  }
  console.log(result.text);
});
