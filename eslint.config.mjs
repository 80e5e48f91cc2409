// Lint rules that guard the architecture, not just style:
// - type-aware rules (no floating promises: an un-awaited write is a lost write),
// - core/ is pure: it imports no adapter, transport, vendor SDK or Node I/O module,
// - no import cycles anywhere.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const coreForbidden = [
  {
    group: ['**/adapters/**', '**/http/**', '**/mcp/**', '**/cli/**', '**/create-gatehouse*'],
    message: 'core/ is pure: it may not import adapters or transports. Pass a port in instead.',
  },
  {
    group: [
      'fastify',
      'fastify/*',
      '@fastify/*',
      'pg',
      'better-sqlite3',
      'kysely',
      '@hubspot/*',
      'jsforce',
      '@modelcontextprotocol/*',
      'pino',
      'prom-client',
      '@faker-js/*',
    ],
    message: 'core/ may not import vendor SDKs or I/O libraries.',
  },
  {
    group: ['node:fs', 'node:fs/*', 'fs', 'node:net', 'node:http', 'node:https', 'node:child_process', 'node:dgram'],
    message: 'core/ does no I/O.',
  },
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: ['./tsconfig.eslint.json'], tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [
        createTypeScriptImportResolver({
          project: ['tsconfig.eslint.json'],
          conditionNames: ['development', 'types', 'import', 'default'],
        }),
      ],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // Route handlers and command actions are async by contract even when a body does not await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'error',
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['packages/server/src/core/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: coreForbidden }] },
  },
  {
    files: ['**/*.test.ts', '**/*.case.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The dashboard runs in the browser and has its own tsconfig (DOM lib, JSX).
    files: ['packages/dashboard/src/**/*.{ts,tsx}', 'packages/dashboard/vite.config.ts'],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: { project: ['./packages/dashboard/tsconfig.json'], tsconfigRootDir: import.meta.dirname },
    },
  },
  { files: ['**/*.mjs', '**/*.js'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.mjs', '**/*.js'], languageOptions: { globals: { ...globals.node } } },
);
