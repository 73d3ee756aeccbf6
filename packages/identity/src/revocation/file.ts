/**
 * A revocation source that reads a file on each refresh. Node only
 * (`@agentguard/identity/node`); elsewhere pass a function that fetches the text.
 */
import { readFile } from 'node:fs/promises';

/**
 * A `source` for `createRevocationChecker` that reads `path` (UTF-8) each time the
 * checker's cache expires. A missing or unreadable file makes checks fail closed.
 *
 * @example
 * ```ts
 * const revocation = createRevocationChecker({ anchors, source: revocationFile('/etc/agentguard/revoked.jwt') });
 * ```
 */
export function revocationFile(path: string): () => Promise<string> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('"path" expected a non-empty string');
  return () => readFile(path, 'utf8');
}
