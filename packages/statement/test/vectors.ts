/**
 * Loads the known-answer vectors kept in this folder (`vectors/`; its README names each set's source, upstream commit
 * and licence). Test-only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('./vectors/', import.meta.url);

/** The text of `<vectors>/<path>`. */
export function vectorText(path: string): string {
  return readFileSync(new URL(path, root), 'utf8');
}

/** The bytes of `<vectors>/<path>`. */
export function vectorBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(path, root)));
}

/** File names in `<vectors>/<dir>`. */
export function vectorFiles(dir: string): string[] {
  return readdirSync(fileURLToPath(new URL(dir, root))).sort();
}
