/**
 * Node-only entry point `@agentguard/audit/file`: audit logs in JSON Lines files.
 */
import { lstat, mkdir, open, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { LogChecker } from './verify/checker.js';
import { checkTrust } from './verify/verify.js';
import { AuditError } from './errors.js';
import {
  createRotatingSink,
  type DirectoryText,
  listSegments,
  readLogDirectory,
  type RotateOptions,
  isSegmentName,
  refuseShared,
  segmentName,
} from './file/dir.js';
import { createFileSink, type Durability, type FileSink, type FileSinkOptions } from './file/sink.js';
import { acquireWriterLock, type WriterLock } from './file/lock.js';
import { recoverLog, type TornTail, type UncoveredTail } from './file/recover.js';
import { type AuditLog, type CheckpointOptions, createAuditLog } from './log/log.js';
import type { AuditSink } from './log/sink.js';

export { createFileSink, readLogDirectory, type DirectoryText, type Durability, type FileSink, type FileSinkOptions };
export type { RotateOptions, TornTail, UncoveredTail };
export {
  type LogFileLocation,
  type LogFileReport,
  type VerifyLogFileOptions,
  type VerifyProgress,
  verifyLogFile,
} from './verify/file.js';
export { type VerifyRecordLinesOptions, verifyRecordLines, verifyRecordLinesEach } from './verify/record-lines.js';

/** Options of {@link openFileAuditLog}. */
export interface FileAuditLogOptions extends FileSinkOptions {
  /**
   * More sinks that get every record besides the file (console, telemetry).
   * @default none
   */
  readonly sinks?: readonly AuditSink[];
  /**
   * Source of record timestamps, epoch milliseconds; a rotating directory also ages its files by it.
   * @default Date.now
   */
  readonly clock?: () => number;
  /**
   * Signed checkpoints by the log's own key (see `createAuditLog`). With it, a
   * torn or uncovered tail set aside on open is also recorded in the log as a `log.recovered` record.
   * @default none
   */
  readonly checkpoint?: CheckpointOptions;
  /**
   * What opening does with what a crash can leave at the end of a log: a final line without a newline (a torn
   * tail), and batched records no checkpoint covers (an uncovered tail: only a checkpoint authenticates a batched
   * record, and a checkpoint of this writer must not vouch for records it may not have written, such as ones
   * appended while the log was closed).
   * - `'recover'`: the crash recovery of a writer reopening its own log: the torn bytes are moved to
   *   `<file>.torn` and `torn` reports them; the first uncovered batched record and every record after it are
   *   moved to `<file>.uncovered` and `uncovered` reports them; the file is cut back to the last record kept.
   *   With a checkpoint key, a `log.recovered` record names what was moved (and its SHA-256).
   * - `'refuse'`: nothing is cut; opening throws `ERR_AUDIT_RECORD_TRUNCATED` (a torn tail) or
   *   `ERR_AUDIT_SIGNATURE_INVALID` (an uncovered one) naming `file:line`. For a writer that did not write the
   *   tail and cannot know it is a crash's (a one-off append by a tool).
   * @default 'recover'
   */
  readonly tornTail?: 'recover' | 'refuse';
  /**
   * Keys that signed this log's checkpoints before `checkpoint.signer` (the log key was rotated), as Ed25519
   * did:key ids, in any order. With `checkpoint`, opening accepts checkpoints by that signer and these keys only,
   * and these only before the first checkpoint by that signer (a retired key signs nothing once the current key
   * has; so a key cannot be brought back: rotate to a new one):
   * any other checkpoint (one an intruder signed with a key of their own, to "cover" batched records they
   * appended) refuses the open with `ERR_AUDIT_CHECKPOINT_INVALID`, since this writer's next checkpoint would
   * vouch for what it covers.
   * @default none: only `checkpoint.signer`
   */
  readonly previousLogKeys?: readonly string[];
}

/** An audit log backed by a file (or a directory of rotated files). */
export interface FileAuditLog extends AuditLog {
  /** The log file, or the directory of a rotated log. */
  readonly path: string;
  /** A torn final line found and set aside on open, if there was one. */
  readonly torn: TornTail | undefined;
  /** Batched records no checkpoint covered, found and set aside on open, if there were any. */
  readonly uncovered: UncoveredTail | undefined;
}

async function finish(
  path: string,
  sink: FileSink,
  options: FileAuditLogOptions,
  checker: LogChecker,
  found: { readonly torn: TornTail | undefined; readonly uncovered: UncoveredTail | undefined },
  lock: WriterLock,
): Promise<FileAuditLog> {
  const { torn, uncovered } = found;
  let log: AuditLog;
  try {
    log = createAuditLog({
      sink: [sink, ...(options.sinks ?? [])],
      resume: checker.state(),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.checkpoint === undefined ? {} : { checkpoint: options.checkpoint }),
    });
  } catch (error) {
    await sink.close().catch(() => {});
    throw error;
  }
  if ((torn !== undefined || uncovered !== undefined) && options.checkpoint !== undefined) {
    const key = options.checkpoint.signer;
    try {
      await log.append(
        {
          type: 'log.recovered',
          callId: `${torn === undefined ? 'uncovered' : 'torn'}-${checker.records}`,
          agent: key.id,
          tool: 'agentguard.audit',
          data: { ...(torn === undefined ? {} : { torn }), ...(uncovered === undefined ? {} : { uncovered }) },
        },
        key,
      );
    } catch (error) {
      // Closed before the lock is given back (by the caller), so nothing of this log is written after another
      // writer may have taken it.
      await log.close().catch(() => {});
      throw error;
    }
  }
  return Object.freeze({
    append: log.append,
    appendBatched: log.appendBatched,
    checkpoint: log.checkpoint,
    async close() {
      try {
        await log.close();
      } finally {
        await lock.release();
      }
    },
    get size() {
      return log.size;
    },
    get latestCheckpoint() {
      return log.latestCheckpoint;
    },
    inclusionProof: log.inclusionProof,
    consistencyProof: log.consistencyProof,
    root: log.root,
    path,
    torn,
    uncovered,
  });
}

/**
 * Opens the audit log in `path`, creating it if missing. Node only.
 *
 * An existing file is checked first (every record's structure, hash, chain
 * and checkpoints, checkpoint signatures included; record signatures are left
 * to `verifyLog`) and new records continue
 * its chain and tree. A final line without a newline, which a crash mid-write
 * leaves, is moved to `<path>.torn` and reported in `torn` (and recorded as a
 * `log.recovered` record when the log has a checkpoint key); the file is cut
 * back to its last whole record, so the chain is never broken and nothing is
 * silently dropped (with `tornTail: 'refuse'`, opening refuses instead and
 * cuts nothing). Batched records that no checkpoint covers (a crash before the
 * checkpoint, or records appended while the log was closed) are moved the same
 * way to `<path>.uncovered`, from the first of them to the end, and reported in
 * `uncovered`: this writer's next checkpoint would otherwise vouch for them.
 * Any other damage refuses to open (fail closed).
 *
 * The file is read as a stream, a 1 MiB chunk at a time, so opening a log of
 * any size takes bounded memory: the read buffer and at most one record
 * (`RECORD_MAX_BYTES`), besides the resumed Merkle tree (64 to 128 bytes of
 * hashes a record). A line longer than `RECORD_MAX_BYTES`, with or without a
 * newline, is refused with `ERR_AUDIT_RECORD_MALFORMED` as soon as it is that
 * long: no write of a record leaves one, torn or not.
 *
 * One writer at a time: opening takes the lock `<path>.lock` (naming this
 * process) before it reads the tail, and `close` gives it back; while another
 * live process holds it, opening throws `ERR_AUDIT_LOG_LOCKED` having read
 * and written nothing. A lock left by a crashed process on this host is taken over.
 * A numbered file of a log directory takes the directory's lock; a file with a
 * second hard link is refused (`ERR_AUDIT_NOT_A_LOG`): its other name would take another lock.
 *
 * @param path - the log file.
 * @param options - see {@link FileAuditLogOptions}.
 * @returns a {@link FileAuditLog}.
 * @throws AuditError with the code of the first bad record (message names file and line;
 *   `ERR_AUDIT_RECORD_TRUNCATED` for a torn tail refused or one that spans two files);
 *   `ERR_AUDIT_LOG_LOCKED` when another writer holds the log; `ERR_AUDIT_NOT_A_LOG` when it has another hard
 *   link; or the file system's error.
 * @throws RangeError on a bad `tornTail`.
 * @example
 * ```ts
 * import { openFileAuditLog } from '@agentguard/audit/file';
 * const audit = await openFileAuditLog('audit.jsonl', { durability: 'group', checkpoint: { signer: logKey } });
 * const ag = createGuard({ identity, policy, audit });
 * ```
 */
export async function openFileAuditLog(path: string, options: FileAuditLogOptions = {}): Promise<FileAuditLog> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('"path" expected a non-empty string');
  const onTorn = tornTailOption(options);
  const logKeys = logKeysOption(options);
  // Create the file (owner-only) if it is missing, without truncating it or reading anything: harmless before
  // the lock, and done first so that the name is resolved to the file that will really be written (a link
  // whose target did not exist yet would otherwise be locked under its own name, and its target under another).
  // Only a regular file (or a link to one) is a log: opening a FIFO to append would wait for a reader forever.
  const found = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (found !== undefined && !found.isFile()) {
    throw new AuditError('ERR_AUDIT_NOT_A_LOG', `${path} is not a regular file`);
  }
  await (await open(path, 'a', options.mode ?? 0o600)).close();
  // The lock comes first of everything else: only the writer that holds it may judge (and cut) the file's tail.
  // Named after the file itself (links followed), so a log reached through a symbolic link takes the same lock.
  const real = await realpath(path);
  // A numbered file of a log directory is written under the directory's lock, whichever way it is opened: a
  // directory writer and a writer of that one file would otherwise each hold a lock and race on its chain.
  const lockPath = isSegmentName(basename(real)) ? join(dirname(real), DIRECTORY_LOCK) : `${real}.lock`;
  const lock = await acquireWriterLock(lockPath, path);
  try {
    refuseShared(path, await stat(real));
    const { checker, ...found } = await recoverLog([path], path, onTorn, undefined, logKeys);
    return await finish(path, await createFileSink(path, options), options, checker, found, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** The keys whose checkpoints a writer accepts on open: its own and earlier log keys; none without a checkpoint key. */
function logKeysOption(options: FileAuditLogOptions): readonly string[] | undefined {
  const previous = checkTrust(options.previousLogKeys, 'previousLogKeys') ?? [];
  const signer = options.checkpoint?.signer;
  if (signer === undefined) {
    if (previous.length > 0)
      throw new TypeError('"previousLogKeys" needs "checkpoint": keys of a log this writer signs');
    return undefined;
  }
  return [String(signer.id), ...previous];
}

function tornTailOption(options: FileAuditLogOptions): 'recover' | 'refuse' {
  const value = options.tornTail ?? 'recover';
  if (value !== 'recover' && value !== 'refuse') {
    throw new RangeError(`"tornTail" expected 'recover' or 'refuse', got ${String(value)}`);
  }
  return value;
}

/**
 * Opens (or creates) a rotated audit log: a directory of numbered files
 * `audit-000001.jsonl`, `audit-000002.jsonl`, …, a new one started by size or
 * age. The chain and the tree continue across files; `readLogDirectory` and
 * `agentguard verify <dir>` check the directory as one log. Node only. Its
 * writer lock is `<dir>/audit.lock`.
 *
 * Existing files are checked as {@link openFileAuditLog} checks a file, read in
 * turn as one stream in the same bounded memory however many and large they
 * are; a bad record is named by its file and line in it. Only the last file
 * may end in a torn line.
 *
 * @param dir - the directory (created, mode 0700, if missing).
 * @param options - {@link FileAuditLogOptions} and `rotate`.
 * @returns a {@link FileAuditLog} whose `path` is the directory.
 * @throws AuditError as {@link openFileAuditLog}; `ERR_AUDIT_CHAIN_BROKEN` when a numbered file is missing.
 * @example
 * ```ts
 * const audit = await openAuditDirectory('audit/', { rotate: { maxBytes: 16 << 20 } });
 * ```
 */
export async function openAuditDirectory(
  dir: string,
  options: FileAuditLogOptions & { readonly rotate?: RotateOptions } = {},
): Promise<FileAuditLog> {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError('"dir" expected a non-empty string');
  const onTorn = tornTailOption(options);
  const logKeys = logKeysOption(options);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const lock = await acquireWriterLock(join(dir, DIRECTORY_LOCK), dir);
  try {
    const segments = await listSegments(dir);
    for (const segment of segments) refuseShared(segment, await lstat(segment));
    // Recover before the sink opens the last file, so the sink sees the file as it will stay.
    const last = segments.at(-1) ?? join(dir, segmentName(1));
    const { checker, ...found } = await recoverLog(segments, last, onTorn, undefined, logKeys);
    return await finish(dir, await createRotatingSink(dir, options), options, checker, found, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** The writer lock of a log directory (not a numbered file, so readers skip it). */
const DIRECTORY_LOCK = 'audit.lock';
