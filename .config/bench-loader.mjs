/**
 * Loaded after tsx by `pnpm bench` (`--import tsx --import ./.config/bench-loader.mjs`): compiles the
 * TypeScript sources with esbuild as tsx does, but without `keepNames`. tsx always sets it, which wraps every
 * function made at run time in a `__name(fn, "name")` call (an `Object.defineProperty`); the hot path makes
 * closures per call, so benches of the sources measured that wrapper too. What users run, the tsup build,
 * has none. tsx still resolves (`./x.js` to `./x.ts`); this hook only replaces how a `.ts` file is compiled.
 */
import { register } from 'node:module';

register('./bench-hooks.mjs', import.meta.url);
