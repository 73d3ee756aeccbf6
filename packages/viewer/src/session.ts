import {
  type LogReport,
  readLog,
  recordLeaf,
  type VerifyLogOptions,
  verifyInclusion,
  verifyLog,
} from '@agentguard/audit';
import { toHex } from '@agentguard/statement';

/** What the page asks the verifier (in its worker) to check. */
export interface VerifyRequest {
  /** The log file's bytes, exactly as read. */
  readonly bytes: Uint8Array;
  /**
   * The keys whose signatures anchor the log (as `agentguard verify --trust`): a `TrustStore`, or did:keys
   * as text. The page's worker receives text (a message cannot carry a store's methods).
   */
  readonly trust?: VerifyLogOptions['trust'];
  /** A witness: a signed checkpoint the log must still extend (as `agentguard verify --checkpoint`). */
  readonly checkpoint?: string;
  /**
   * The log's own keys (as `agentguard verify --log-key`): only checkpoints signed by one of them count.
   * An empty list is none given.
   */
  readonly checkpointKeys?: VerifyLogOptions['checkpointKeys'];
}

/** The verifier's answer: `verifyLog`'s own report, unchanged. */
export interface VerifyResult {
  readonly report: LogReport;
}

/** An RFC 9162 inclusion proof of one record in the tree its latest checkpoint signs, checked. */
export interface InclusionResult {
  readonly line: number;
  readonly ok: boolean;
  /** Size of the checkpointed tree the proof is against (0 when no checkpoint covers the record). */
  readonly size: number;
  readonly root: string;
  readonly hashes: number;
  readonly reason: string;
}

/**
 * Decodes a log file's bytes for DISPLAY only (the timeline, the text of a bad line): UTF-8, with invalid
 * sequences shown as U+FFFD and a byte-order mark kept. The verdict is never computed on this text:
 * {@link verifyForView} gives `verifyLog` the bytes, which it decodes line by line as strict UTF-8, so a
 * line that is not UTF-8 fails at its number exactly as `agentguard verify` and `verifyLogFile` report it
 * (a replacing decoder would read `EF BF BD` changed to `FF` as the same U+FFFD and let it pass).
 *
 * @param bytes - the file as read.
 * @returns its text, for display.
 */
export function decodeLog(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
}

/**
 * Verifies a log's bytes with `@agentguard/audit`'s `verifyLog` (nothing else decides the verdict): the
 * bytes go to the verifier as they are, so invalid UTF-8 is reported at its line, as `agentguard verify`
 * reports it. Runs inside the page's Web Worker; also callable anywhere else.
 *
 * @param request - see {@link VerifyRequest}.
 * @param onProgress - called every 10,000 lines and at the end.
 * @returns the report, and the log's text for display ({@link decodeLog}; when the report is ok, every
 *   line was strict UTF-8, so it is exactly the text that verified).
 * @throws TypeError when `trust` is not a TrustStore or holds something other than Ed25519 did:key strings
 *   (as `verifyLog`).
 * @example
 * ```ts
 * const { report } = verifyForView({ bytes, trust: ['did:key:z6Mk…'] });
 * ```
 */
export function verifyForView(
  request: VerifyRequest,
  onProgress?: (checked: number, total: number) => void,
): VerifyResult & { readonly text: string } {
  const report = verifyLog(request.bytes, {
    // An empty list is no trust given (the page's empty box), not "trust nobody".
    ...(request.trust === undefined || (Array.isArray(request.trust) && request.trust.length === 0)
      ? {}
      : { trust: request.trust }),
    ...(request.checkpoint === undefined || request.checkpoint.trim() === '' ? {} : { checkpoint: request.checkpoint }),
    ...(request.checkpointKeys === undefined ||
    (Array.isArray(request.checkpointKeys) && request.checkpointKeys.length === 0)
      ? {}
      : { checkpointKeys: request.checkpointKeys }),
    ...(onProgress === undefined ? {} : { onProgress }),
  });
  return { report, text: decodeLog(request.bytes) };
}

/**
 * Proves that the record on `line` is in the Merkle tree the log's latest checkpoint signs (RFC 9162
 * §2.1.3), with `@agentguard/audit`'s tree and `verifyInclusion`. Only for a log that verified: the
 * checkpoint's root was checked against the records and its signature by `verifyLog`.
 *
 * @param text - a log that `verifyLog` accepted.
 * @param line - the record's 1-based line.
 * @returns an {@link InclusionResult}.
 */
export function proveInclusion(text: string, line: number): InclusionResult {
  const view = readLog(text);
  const index = line - 1;
  const record = view.records[index];
  const covering = [...view.checkpoints].reverse().find((c) => c.size > index);
  if (record === undefined || covering === undefined) {
    return { line, ok: false, size: 0, root: '', hashes: 0, reason: 'no checkpoint covers this record yet' };
  }
  const root = view.tree.root(covering.size);
  const proof = view.tree.inclusionProof(index, covering.size);
  const ok = verifyInclusion(index, covering.size, recordLeaf(record), proof, root);
  const reason = ok
    ? `included in the tree of ${covering.size} records signed by checkpoint line ${covering.size + 1}`
    : 'inclusion proof does not verify';
  return { line, ok, size: covering.size, root: toHex(root), hashes: proof.length, reason };
}
