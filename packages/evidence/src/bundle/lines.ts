/**
 * JSON Lines files of a bundle (records.jsonl, proofs.jsonl) and the log they are exported from, split into
 * lines one way for export and verify alike (review D12: each had its own splitter, and a check written twice
 * will one day disagree with itself).
 *
 * - Lines end in LF alone. A CR before it is not part of the terminator: it stays in the line, where the
 *   strict record and proof parsers refuse it, so a CRLF file is refused at its first line by every reader.
 * - The last line must end in LF: a partial last line (a cut file, a torn write) is refused, never dropped.
 * - No line is longer than `maxLineBytes`; the first longer one is refused by its 1-based number.
 *
 * Splitting bytes is safe: 0x0A never occurs inside a multi-byte UTF-8 sequence. Lines are views of `bytes`.
 */

import { RECORD_MAX_BYTES } from '@agentguard/audit';

const LF = 0x0a;

/** Longest line of records.jsonl (and of the log exported): a record's own bound. @internal */
export const MAX_RECORD_LINE_BYTES = RECORD_MAX_BYTES;
/** Longest line of proofs.jsonl: `{ "proof", "seq" }` with a proof of at most 16 KiB. @internal */
export const MAX_PROOF_LINE_BYTES = 64 * 1024;

/** The lines of a JSON Lines file, or the first reason it cannot be split. @internal */
export type JsonLines =
  | { readonly ok: true; readonly lines: Uint8Array[] }
  | { readonly ok: false; readonly line: number; readonly reason: string };

/**
 * Splits a JSON Lines file into its lines (without their LF).
 *
 * @param bytes - the file.
 * @param maxLineBytes - the longest line accepted, in bytes (without its LF).
 * @returns the lines (none for an empty file), or the 1-based line that cannot be split and why.
 * @internal
 */
export function splitJsonLines(bytes: Uint8Array, maxLineBytes: number): JsonLines {
  const lines: Uint8Array[] = [];
  let from = 0;
  for (let nl = bytes.indexOf(LF); nl !== -1; nl = bytes.indexOf(LF, from)) {
    if (nl - from > maxLineBytes) return tooLong(lines.length + 1, maxLineBytes);
    lines.push(bytes.subarray(from, nl));
    from = nl + 1;
  }
  if (from < bytes.length) {
    if (bytes.length - from > maxLineBytes) return tooLong(lines.length + 1, maxLineBytes);
    return { ok: false, line: lines.length + 1, reason: 'does not end with a newline' };
  }
  return { ok: true, lines };
}

function tooLong(line: number, maxLineBytes: number): JsonLines {
  return { ok: false, line, reason: `is longer than ${maxLineBytes} bytes` };
}

/**
 * The lines of a split, or undefined after reporting why the file could not be split (at its line).
 * @internal
 */
export function linesOf(
  split: JsonLines | undefined,
  file: string,
  malformed: (file: string, reason: string, at: { line: number }) => void,
): Uint8Array[] | undefined {
  if (split === undefined) return undefined;
  if (split.ok) return split.lines;
  malformed(file, `${file} line ${split.line} ${split.reason}`, { line: split.line });
  return undefined;
}
