/**
 * Node-only helpers of `@agentguard/policy` (entry `@agentguard/policy/node`).
 */
import { lstat, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';

/** Most missing trailing segments {@link resolveRealPath} appends (a `mkdir -p` of this depth). */
const MAX_MISSING_SEGMENTS = 64;

function isMissing(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ENOENT';
}

/**
 * Resolves a path to the real path the OS would open or create, for the
 * engine's `resolvePath` option: symbolic links and `..` are followed by the OS
 * (`fs.realpath`). A path whose last segments do not exist yet (a file a write
 * tool will create) resolves to the real path of its deepest existing
 * directory followed by those segments, provided none of them is `.` or `..`
 * and none exists as an entry of any kind: a dangling symbolic link (which
 * `open(O_CREAT)` would follow to its target) is refused.
 *
 * Time of check to time of use: the file system can change between this
 * check and the tool's `open`; the check is only as good as the guarantee that
 * nobody else writes links into the allowed directories.
 *
 * @param path - an absolute path, as the tool will receive it.
 * @returns the absolute real path.
 * @throws Error when the path is relative, a missing segment is `.`/`..` or a dangling link,
 *   or the file system refuses (the condition is then undecided).
 * @example
 * ```ts
 * import { resolveRealPath } from '@agentguard/policy/node';
 * const engine = createPolicyEngine(policy, { resolvePath: resolveRealPath });
 * ```
 */
export async function resolveRealPath(path: string): Promise<string> {
  if (typeof path !== 'string' || !isAbsolute(path) || path.includes('\0')) {
    throw new TypeError('"path" expected an absolute path without NUL');
  }
  const missing: string[] = [];
  let current = path;
  for (;;) {
    try {
      const real = await realpath(current);
      return missing.length === 0 ? real : join(real, ...missing.reverse());
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    // `current` does not resolve: it must not exist at all (a dangling link exists and would be followed).
    try {
      await lstat(current);
      throw new Error('path is a dangling symbolic link or cannot be resolved');
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    const name = basename(current);
    const parent = dirname(current);
    if (name === '' || name === '.' || name === '..' || parent === current) {
      throw new Error('a missing path segment is ".", ".." or the root');
    }
    if (missing.length >= MAX_MISSING_SEGMENTS) throw new Error('too many missing path segments');
    missing.push(name);
    current = parent;
  }
}
