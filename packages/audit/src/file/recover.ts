/**
 * Opening an existing log: every record checked and the torn tail a crash left set aside, read as a stream
 * so that memory stays bounded by the read buffer and the longest record, however long the log.
 */
import { createHash } from 'node:crypto';
import { appendFile, open, stat, truncate, unlink } from 'node:fs/promises';
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

/**
 * What opening found after the last checkpoint of an existing log: batched (unsigned) records that no checkpoint
 * covers, which only a checkpoint could authenticate. A crash between a batched append and the next checkpoint
 * leaves them; so does anyone who appended a record while the log was closed. The writer cannot tell which, so it
 * never covers them: they are moved out of the log, with every record after them, before anything is appended.
 */
export interface UncoveredTail {
  /** 1-based line number, in its file, of the first record moved. */
  readonly line: number;
  /** The `seq` of the first record moved: the first batched record no checkpoint covers. */
  readonly seq: number;
  /** How many records were moved (that one and every record after it). */
  readonly records: number;
  /** Bytes moved (whole lines, each with its newline). */
  readonly bytes: number;
  /** SHA-256 (hex) of the bytes moved. */
  readonly sha256: string;
  /** Where they were moved: `<file>.uncovered`, appended to, never overwritten. */
  readonly savedTo: string;
}

const LF = 0x0a;

/**
 * Why a checkpoint by `signer` does not count for a writer whose log keys are `logKeys` (its own first, then earlier
 * ones), or undefined when it does. An earlier key counts only until the current one has signed (`current`): a key
 * retired, perhaps because it leaked, vouches for nothing written after its successor took over.
 */
function checkpointKeyProblem(signer: string, logKeys: readonly string[], current: boolean): string | undefined {
  if (!logKeys.includes(signer)) {
    // It may be a key the log rotated from, or an intruder's own: naming the latter would switch this check off.
    return `signed by ${signer}, which is not checkpoint.signer nor one of previousLogKeys: if this log rotated from that key, name it in previousLogKeys; otherwise the log was tampered with`;
  }
  if (current && signer !== logKeys[0]) {
    return `signed by ${signer}, an earlier log key, after a checkpoint by the current one (${logKeys[0]}): a retired key signs nothing more (a key cannot be brought back: rotate to a new one)`;
  }
  return undefined;
}

/**
 * Checks the files of a log, in order, as one log (each line decoded as strict UTF-8, as every reader does;
 * signatures are left to `verifyLog`), sets a torn tail of `last` aside, and returns where the log left off.
 * The torn tail stays bytes: a write cut mid-character is not UTF-8, and it is cut off by its exact byte length.
 *
 * Batched records no checkpoint covers are set aside too ({@link UncoveredTail}), from the first of them to the
 * end: a checkpoint this writer signs would otherwise vouch for records it may never have written.
 *
 * A bad line is named `file:line` with lines counted per file as `readLogDirectory` counts them (a last line
 * without a newline is a line of its file). A line longer than any record is refused as soon as it is seen,
 * without holding it whole, a final one without a newline too (no torn write of a record is that long).
 *
 * @param files - the log's files in order (one for a file log; may be none for an empty directory).
 * @param last - the file new records go to, from which a torn tail is cut.
 * @param onTorn - see `FileAuditLogOptions.tornTail` (it rules the uncovered records too).
 * @param chunkBytes - bytes read at a time (tests read a byte or a few at a time).
 * @param logKeys - the keys whose checkpoints count: the writer's own first, then earlier log keys, which count only
 *   until the writer's own key has signed a checkpoint; a checkpoint by any other key refuses the open. Undefined
 *   for a writer that signs no checkpoints, and so vouches for nothing.
 * @internal
 */
export async function recoverLog(
  files: readonly string[],
  last: string,
  onTorn: 'recover' | 'refuse',
  chunkBytes: number = READ_CHUNK_BYTES,
  logKeys?: readonly string[],
): Promise<{ checker: LogChecker; torn: TornTail | undefined; uncovered: UncoveredTail | undefined }> {
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) {
    throw new RangeError(`"chunkBytes" expected a positive integer, got ${String(chunkBytes)}`);
  }
  // Checkpoint signatures are checked, and with `logKeys` only those keys' checkpoints count (below): a checkpoint
  // taken for valid (forged, or signed by anyone's own key) would "cover" the batched records before it, and this
  // writer's next checkpoint would then vouch for them. Record signatures are left to verifyLog: a record with a bad
  // signature of its own is found by any verifier.
  const checker = new LogChecker({ signatures: 'checkpoints' });
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
  const sizes: number[] = [];
  // Whether the current log key (the first of `logKeys`) has signed a checkpoint yet.
  let current = false;
  // Where the first batched record no checkpoint covers (yet) begins: the index of its file, its byte offset in that
  // file (negative when the record began in an earlier file), and its line.
  let uncoveredAt: { file: number; offset: number; line: number } | undefined;
  for (const [index, path] of files.entries()) {
    starts.push({ path, firstLine: nextLine });
    const before = splitter.lines;
    let bytes = 0;
    // Where the line that ends next began, in this file: before its start when it was begun in an earlier file.
    let offset = -splitter.pendingBytes;
    let endsInLF = true;
    for await (const chunk of readChunks(path, buffer)) {
      bytes += chunk.length;
      endsInLF = chunk[chunk.length - 1] === LF;
      for (const line of splitter.push(chunk)) {
        const n = line === undefined ? splitter.lines + 1 : splitter.lines;
        const covered = checker.uncovered === undefined;
        const result =
          line === undefined
            ? { problem: { code: 'ERR_AUDIT_RECORD_MALFORMED' as const, reason: LINE_TOO_LARGE } }
            : checker.checkBytes(line);
        const problem = result.problem;
        if (problem !== undefined) {
          throw refuse(problem.code, n, `${problem.reason}; refusing to append to a damaged log`);
        }
        const record = result.record;
        if (record?.type === 'checkpoint' && logKeys !== undefined) {
          const why = checkpointKeyProblem(record.signer, logKeys, current);
          if (why !== undefined) {
            throw refuse('ERR_AUDIT_CHECKPOINT_INVALID', n, `checkpoint seq ${record.seq}: ${why}; refusing to append`);
          }
          if (record.signer === logKeys[0]) current = true;
        }
        if (checker.uncovered === undefined) uncoveredAt = undefined;
        else if (covered) uncoveredAt = { file: index, offset, line: n };
        offset += (line as Uint8Array).length + 1;
      }
    }
    // The next file's first line, as readLogDirectory counts: a last line without a newline is this file's.
    nextLine += splitter.lines - before + (endsInLF ? 0 : 1);
    sizes.push(bytes);
  }
  const lastBytes = sizes.at(-1) ?? 0;

  // Everything is judged before anything is cut: a refusal leaves the files as they were.
  const torn = splitter.pendingBytes === 0 ? undefined : splitter.rest();
  const n = splitter.lines + 1;
  if (torn !== undefined && onTorn === 'refuse') {
    throw refuse(
      'ERR_AUDIT_RECORD_TRUNCATED',
      n,
      `the last line has no newline (${torn.length} bytes after record ${splitter.lines}): ` +
        'a torn write, or a write still in progress; refusing to append, nothing was cut',
    );
  }
  if (torn !== undefined && torn.length > lastBytes) {
    throw refuse('ERR_AUDIT_RECORD_TRUNCATED', n, 'a torn line spans two files');
  }
  const wholeBytes = lastBytes - (torn?.length ?? 0);
  const first = checker.uncovered;
  let cut: { file: number; offset: number; bytes: number; line: number; seq: number } | undefined;
  if (first !== undefined && uncoveredAt !== undefined) {
    const what =
      `record seq ${first.seq} is batched (unsigned) and no checkpoint after it covers it, so nothing authenticates ` +
      `it or the ${checker.records - first.seq - 1} record(s) after it: a crash before the checkpoint, or records ` +
      'appended while the log was closed';
    if (onTorn === 'refuse') {
      throw refuse('ERR_AUDIT_SIGNATURE_INVALID', uncoveredAt.line, `${what}; refusing to append, nothing was cut`);
    }
    // No writer splits a record between files: one that is split was put there by hand, and is left for a human.
    if (uncoveredAt.offset < 0) {
      throw refuse('ERR_AUDIT_SIGNATURE_INVALID', uncoveredAt.line, `${what}; it spans two files, nothing was cut`);
    }
    const ends = sizes.map((size, i) => (i === sizes.length - 1 ? wholeBytes : size));
    let bytes = 0;
    for (let i = uncoveredAt.file; i < ends.length; i++)
      bytes += (ends[i] as number) - (i === uncoveredAt.file ? uncoveredAt.offset : 0);
    if (uncoveredAt.offset > (ends[uncoveredAt.file] as number) || bytes <= 0) {
      throw refuse(
        'ERR_AUDIT_SIGNATURE_INVALID',
        uncoveredAt.line,
        `${what}; its place in the files is unclear, nothing was cut`,
      );
    }
    cut = { ...uncoveredAt, bytes, seq: first.seq };
  }

  // Save first, then cut: a crash in between leaves what is set aside in both places, never in neither (and a
  // second open then finds the same bytes already saved, and does not save them twice).
  let tornTail: TornTail | undefined;
  if (torn !== undefined) {
    const savedTo = `${last}.torn`;
    const saved = new Uint8Array(torn.length + 1);
    saved.set(torn);
    saved[torn.length] = LF;
    await appendFile(savedTo, saved, { mode: 0o600, flush: true });
    tornTail = Object.freeze({
      line: locate(n).line,
      bytes: torn.length,
      sha256: createHash('sha256').update(torn).digest('hex'),
      savedTo,
    });
  }
  let uncovered: UncoveredTail | undefined;
  if (cut !== undefined) {
    const keep = files[cut.file] as string;
    const savedTo = `${keep}.uncovered`;
    const ranges = files.slice(cut.file).map((path, i) => ({
      path,
      from: i === 0 ? cut.offset : 0,
      to: cut.file + i === files.length - 1 ? wholeBytes : (sizes[cut.file + i] as number),
    }));
    const sha256 = await moveOut(ranges, cut.bytes, savedTo, buffer);
    // The files after the one that keeps the log's end go, the last first (so a crash leaves files in sequence).
    for (let i = files.length - 1; i > cut.file; i--) await unlink(files[i] as string);
    await truncate(keep, cut.offset);
    uncovered = Object.freeze({
      line: locate(cut.line).line,
      seq: cut.seq,
      records: checker.records - cut.seq,
      bytes: cut.bytes,
      sha256,
      savedTo,
    });
    checker.dropUncovered();
  } else if (torn !== undefined) {
    // Cut at the end of the last whole record as read (the writer lock keeps anyone else from appending).
    await truncate(last, wholeBytes);
  }
  return { checker, torn: tornTail, uncovered };
}

/**
 * Appends `ranges` of files (`bytes` in all) to `savedTo` (owner-only, synced), unless `savedTo` already ends with
 * exactly those bytes (saved by an open that crashed before it cut them); returns their SHA-256 (hex).
 */
async function moveOut(
  ranges: readonly { readonly path: string; readonly from: number; readonly to: number }[],
  bytes: number,
  savedTo: string,
  buffer: Uint8Array,
): Promise<string> {
  const sha256 = await hashRanges(ranges, buffer);
  const saved = await stat(savedTo).catch(() => undefined);
  if (saved !== undefined && saved.size >= bytes) {
    const tail = await hashRanges([{ path: savedTo, from: saved.size - bytes, to: saved.size }], buffer);
    if (tail === sha256) return sha256;
  }
  const target = await open(savedTo, 'a', 0o600);
  try {
    for (const range of ranges) await copyRange(range, buffer, (chunk) => target.writeFile(chunk));
    await target.sync();
  } finally {
    await target.close();
  }
  return sha256;
}

async function hashRanges(
  ranges: readonly { readonly path: string; readonly from: number; readonly to: number }[],
  buffer: Uint8Array,
): Promise<string> {
  const hash = createHash('sha256');
  for (const range of ranges) {
    await copyRange(range, buffer, async (chunk) => {
      hash.update(chunk);
    });
  }
  return hash.digest('hex');
}

/** Hands bytes `[from, to)` of a file to `use`, a buffer at a time (each chunk valid until `use` settles). */
async function copyRange(
  range: { readonly path: string; readonly from: number; readonly to: number },
  buffer: Uint8Array,
  use: (chunk: Uint8Array) => Promise<void>,
): Promise<void> {
  const source = await open(range.path, 'r');
  try {
    for (let at = range.from; at < range.to; ) {
      const { bytesRead } = await source.read(buffer, 0, Math.min(buffer.length, range.to - at), at);
      if (bytesRead === 0) throw new AuditError('ERR_AUDIT_RECORD_TRUNCATED', `${range.path} ended while being read`);
      await use(buffer.subarray(0, bytesRead));
      at += bytesRead;
    }
  } finally {
    await source.close();
  }
}
