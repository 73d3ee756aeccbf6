/**
 * Log bytes to lines. Every reader of log bytes goes through here, so all of them decode alike:
 * fatally (a byte sequence that is not UTF-8 is an error naming its line, never U+FFFD, so a changed
 * byte cannot hide behind a replacement character) and without stripping a byte-order mark (which
 * the JSON parser then refuses), so one line's bytes have exactly one reading.
 */
import { RECORD_MAX_BYTES } from '../record/record.js';

const LF = 0x0a;
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Why a line was refused before it was parsed. */
export const LINE_TOO_LARGE = `not a JSON record: JSON text larger than ${RECORD_MAX_BYTES} bytes`;
export const LINE_NOT_UTF8 = 'line is not valid UTF-8: a byte was changed, or this is not a log';

/** Decodes one line's bytes (no newline); undefined when they are not UTF-8. */
export function decodeLine(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Splits log bytes on LF. Splitting bytes is safe: 0x0A never occurs inside a multi-byte UTF-8
 * sequence. `torn` is a last line without a newline (left as bytes: a torn write may end mid-character).
 */
export function splitByteLines(bytes: Uint8Array): { lines: Uint8Array[]; torn: Uint8Array | undefined } {
  const lines: Uint8Array[] = [];
  let from = 0;
  for (let nl = bytes.indexOf(LF); nl !== -1; nl = bytes.indexOf(LF, from)) {
    lines.push(bytes.subarray(from, nl));
    from = nl + 1;
  }
  return { lines, torn: from < bytes.length ? bytes.subarray(from) : undefined };
}
