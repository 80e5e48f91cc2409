#!/usr/bin/env node
// Runs the built CLI when it exists (npm run build), otherwise the TypeScript sources through tsx,
// so a fresh clone works before its first build.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const built = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (existsSync(built) && !process.env.GATEHOUSE_FROM_SOURCE) {
  await import(pathToFileURL(built).href);
} else {
  register(new URL('./dev-conditions.mjs', import.meta.url));
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
