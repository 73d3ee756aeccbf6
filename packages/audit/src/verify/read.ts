import { canonicalBytes } from '@agentguard/statement';
import { LogChecker, splitLines } from './checker.js';
import { AuditError } from '../errors.js';
import { splitByteLines } from './lines.js';
import { leafHash, type MerkleTree } from '../tree/merkle.js';
import { bodyOf, RECORD_MAX_DEPTH } from '../record/record.js';
import type { AuditRecord } from '../record/schema.js';

/** A log read into memory: its records, Merkle tree and signed checkpoints. */
export interface LogView {
  readonly records: readonly AuditRecord[];
  /** The RFC 9162 tree of every record, for proofs. */
  readonly tree: MerkleTree;
  /** Every checkpoint as a signed note (c2sp.org/signed-note), in log order, with its size. */
  readonly checkpoints: readonly { readonly size: number; readonly note: string; readonly signer: string }[];
  /** The log's origin (from its checkpoints), if it has any. */
  readonly origin: string | undefined;
}

/**
 * The RFC 9162 leaf hash of a record: SHA-256(0x00 || canonical record body),
 * the body being the record without `hash`, `sig` and `noteSig`.
 *
 * @param record - a record as parsed from a log line.
 * @returns the 32-byte leaf hash.
 */
export function recordLeaf(record: AuditRecord): Uint8Array {
  return leafHash(canonicalBytes(bodyOf(record), { maxDepth: RECORD_MAX_DEPTH }));
}

/**
 * Reads and checks a log (as `verifyLog` does, without a trust list) and
 * returns its records, tree and checkpoints, for proofs, queries and export. A log that ends in batched
 * records no checkpoint covers is refused as `verifyLog` refuses it: nothing authenticates them yet.
 *
 * @param text - the log as JSON Lines: its bytes (preferred: decoded line by line as strict UTF-8, a line
 *   that is not named by number), or text already decoded.
 * @returns a {@link LogView}.
 * @throws AuditError with the code of the first bad record; the message names its line.
 * @example
 * ```ts
 * const { tree, checkpoints } = readLog(text);
 * const proof = tree.inclusionProof(3, checkpoints.at(-1)!.size);
 * ```
 */
export function readLog(text: string | Uint8Array): LogView {
  if (typeof text !== 'string' && !(text instanceof Uint8Array)) {
    throw new TypeError(`"text" expected string or Uint8Array, got ${typeof text}`);
  }
  const checker = new LogChecker({});
  const records: AuditRecord[] = [];
  const checkpoints: { size: number; note: string; signer: string }[] = [];
  const { lines, torn }: { lines: readonly (string | Uint8Array)[]; torn: unknown } =
    text instanceof Uint8Array ? splitByteLines(text) : splitLines(text);
  for (const [i, line] of lines.entries()) {
    const result = typeof line === 'string' ? checker.check(line) : checker.checkBytes(line);
    if (result.problem !== undefined) {
      throw new AuditError(result.problem.code, `line ${i + 1}: ${result.problem.reason}`);
    }
    records.push(result.record);
    if (result.record.type === 'checkpoint' && checker.lastCheckpoint !== undefined) {
      checkpoints.push({ ...checker.lastCheckpoint });
    }
  }
  // As verifyLog: batched records no checkpoint covers are not the log's yet, so nothing proves or exports them.
  const uncovered = checker.uncoveredProblem();
  if (uncovered !== undefined) throw new AuditError(uncovered.code, `line ${uncovered.line}: ${uncovered.reason}`);
  if (torn !== undefined) {
    throw new AuditError('ERR_AUDIT_RECORD_TRUNCATED', `line ${lines.length + 1}: last line has no newline`);
  }
  return { records, tree: checker.tree, checkpoints, origin: checker.origin };
}
