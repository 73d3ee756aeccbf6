import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Tests import packages by name and resolve them to source through this
  // export condition, so no build is needed before `pnpm test`.
  resolve: { conditions: ['@agentguard/source', 'module', 'node', 'import', 'default'] },
  ssr: { resolve: { conditions: ['@agentguard/source', 'node', 'import', 'default'] } },
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    silent: 'passed-only',
    // Type-level tests (`*.test-d.ts`: expectTypeOf, @ts-expect-error) run through tsc in the same run.
    typecheck: {
      enabled: true,
      include: ['packages/*/src/**/*.test-d.ts'],
      tsconfig: 'packages/adapters/tsconfig.json',
    },
  },
});
