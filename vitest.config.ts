import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      '@gatehouse/contract': src('./packages/contract/src/index.ts'),
      '@gatehouse/sdk/testing': src('./packages/sdk/src/testing.ts'),
      '@gatehouse/sdk': src('./packages/sdk/src/index.ts'),
      '@gatehouse/agent-tools/ai': src('./packages/agent-tools/src/ai.ts'),
      '@gatehouse/agent-tools/openai-agents': src('./packages/agent-tools/src/openai-agents.ts'),
      '@gatehouse/agent-tools/testing': src('./packages/agent-tools/src/testing.ts'),
      '@gatehouse/examples': src('./examples/src/index.ts'),
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
