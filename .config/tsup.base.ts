import { defineConfig, type Options } from 'tsup';

/**
 * The one tsup configuration every package shares, so that a later switch of
 * bundler is a one-file change. ESM only: Node 20.19+ can require() it.
 */
export function packageConfig(entry: Record<string, string>, extra: Partial<Options> = {}) {
  return defineConfig({
    entry,
    format: ['esm'],
    target: 'node20',
    platform: 'neutral',
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: true,
    treeshake: true,
    outDir: 'dist',
    ...extra,
  });
}
