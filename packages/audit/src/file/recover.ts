/**
 * Opening an existing log: every record checked and the torn tail a crash left set aside, read as a stream
 * so that memory stays bounded by the read buffer and the longest record, however long the log.
 */
import { createHash } from 'node:crypto';
import { appendFile, truncate } from 'node:fs/promises';
import { AuditError, type AuditErrorCode } from '../errors.js';
import { RECORD_MAX_BYTES } from '../record/record.js';
import { LogChecker } from '../verify/checker.js';
import { LINE_TOO_LARGE, LineSplitter } from '../verify/lines.js';
import { READ_CHUNK_BYTES, readChunks } from './chunks.js';

/** What opening found at the end of an existing file that a crash had torn. */
export interface TornTail {
  /** 1-based line number of the torn line in its file. */
  readonly line: number;
  /** Bytes of the torn line (no newline). */
  readonly bytes: number;
  /** SHA-256 (hex) of the torn bytes. */
  readonly sha256: string;
  /** Where the torn bytes were moved: `<file>.torn`, appended to, never overwritten. */
  readonly savedTo: string;
}

const LF = 0x0a;

/**
 * Checks the files of a log, in order, as one log (each line decoded as strict UTF-8, as every reader does;
 * signatures are left to `verifyLog`), sets a torn tail of `last` aside, and returns where the log left off.
 * The torn tail stays bytes: a write cut mid-character is not UTF-8, and it is cut off by its exact byte length.
 *
 * A bad line is named `file:line` with lines counted per file as `readLogDirectory` counts them (a last line
 * without a newline is a line of its file). A line longer than any record is refused as soon as it is seen,
 * without holding it whole, a final one without a newline too (no torn write of a record is that long).
 *
 * @param files - the log's files in order (one for a file log; may be none for an empty directory).
 * @param last - the file new records go to, from which a torn tail is cut.
 * @param onTorn - see `FileAuditLogOptions.tornTail`.
 * @param chunkBytes - bytes read at a time (tests read a byte or a few at a time).
 * @internal
 */
export async function recoverLog(
  files: readonly string[],
  last: string,
  onTorn: 'recover' | 'refuse',
  chunkBytes: number = READ_CHUNK_BYTES,
): Promise<{ checker: LogChecker; torn: TornTail | undefined }> {
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) {
    throw new RangeError(`"chunkBytes" expected a positive integer, got ${String(chunkBytes)}`);
  }
  const checker = new LogChecker({ signatures: false });
  const splitter = new LineSplitter(RECORD_MAX_BYTES);
  const buffer = new Uint8Array(chunkBytes);
  const starts: { path: string; firstLine: number }[] = [];
  const locate = (n: number): { path: string; line: number } => {
    let start = starts[0];
    for (const s of starts) if (s.firstLine <= n) start = s;
    return start === undefined ? { path: last, line: n } : { path: start.path, line: n - start.firstLine + 1 };
  };
  const refuse = (code: AuditErrorCode, n: number, what: string) => {
    const at = locate(n);
    return new AuditError(code, `${at.path}:${at.line}: ${what}`);
  };

  let nextLine = 1;
  let lastBytes = 0;
  for (const path of files) {
    starts.push({ path, firstLine: nextLine });
    const before = splitter.lines;
    let bytes = 0;
    let endsInLF = true;
    for await (const chunk of readChunks(path, buffer)) {
      bytes += chunk.length;
      endsInLF = chunk[chunk.length - 1] === LF;
      for (const line of splitter.push(chunk)) {
        const n = line === undefined ? splitter.lines + 1 : splitter.lines;
        const problem =
          line === undefined
            ? { code: 'ERR_AUDIT_RECORD_MALFORMED' as const, reason: LINE_TOO_LARGE }
            : checker.checkBytes(line).problem;
        if (problem !== undefined) {
          throw refuse(problem.code, n, `${problem.reason}; refusing to append to a damaged log`);
        }
      }
    }
    // The next file's first line, as readLogDirectory counts: a last line without a newline is this file's.
    nextLine += splitter.lines - before + (endsInLF ? 0 : 1);
    lastBytes = bytes;
  }

  if (splitter.pendingBytes === 0) return { checker, torn: undefined };
  const torn = splitter.rest();
  const n = splitter.lines + 1;
  if (onTorn === 'refuse') {
    throw refuse(
      'ERR_AUDIT_RECORD_TRUNCATED',
      n,
      `the last line has no newline (${torn.length} bytes after record ${splitter.lines}): ` +
        'a torn write, or a write still in progress; refusing to append, nothing was cut',
    );
  }
  if (torn.length > lastBytes) throw refuse('ERR_AUDIT_RECORD_TRUNCATED', n, 'a torn line spans two files');
  const savedTo = `${last}.torn`;
  const saved = new Uint8Array(torn.length + 1);
  saved.set(torn);
  saved[torn.length] = LF;
  // Save first, then cut: a crash in between leaves the torn line in both places, never in neither.
  await appendFile(savedTo, saved, { mode: 0o600, flush: true });
  // Cut at the end of the last whole record as read (the writer lock keeps anyone else from appending).
  await truncate(last, lastBytes - torn.length);
  return {
    checker,
    torn: Object.freeze({
      line: locate(n).line,
      bytes: torn.length,
      sha256: createHash('sha256').update(torn).digest('hex'),
      savedTo,
    }),
  };
}
