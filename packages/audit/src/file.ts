/**
 * Node-only entry point `@agentguard/audit/file`: audit logs in JSON Lines files.
 */
import { appendFile, open, readFile, truncate } from 'node:fs/promises';
import { AuditError } from './errors.js';
import { createFileSink, type Durability, type FileSink, type FileSinkOptions } from './file-sink.js';
import { type AuditLog, type CheckpointOptions, createAuditLog } from './log.js';
import type { AuditSink } from './sink.js';
import { LogChecker, splitLines } from './checker.js';

export { createFileSink, type Durability, type FileSink, type FileSinkOptions };

/** Options of {@link openFileAuditLog}. */
export interface FileAuditLogOptions extends FileSinkOptions {
  /**
   * More sinks that get every record besides the file (console, telemetry).
   * @default none
   */
  readonly sinks?: readonly AuditSink[];
  /**
   * Source of record timestamps.
   * @default () => new Date()
   */
  readonly clock?: () => Date;
  /**
   * Signed checkpoints by the log's own key (see `createAuditLog`).
   * @default none
   */
  readonly checkpoint?: CheckpointOptions;
}

/** What opening found at the end of an existing file that a crash had torn. */
export interface TornTail {
  /** 1-based line number of the torn line. */
  readonly line: number;
  /** Bytes of the torn line (no newline). */
  readonly bytes: number;
  /** Where the torn bytes were moved: `<path>.torn`, appended to, never overwritten. */
  readonly savedTo: string;
}

/** An audit log backed by a file. */
export interface FileAuditLog extends AuditLog {
  /** The log file. */
  readonly path: string;
  /** A torn final line found and set aside on open, if there was one. */
  readonly torn: TornTail | undefined;
}

/**
 * Opens the audit log in `path`, creating it if missing. Node only.
 *
 * An existing file is checked first (every record's structure, hash and chain;
 * signatures are left to `verifyLog`) and the new records continue its chain.
 * A final line without a newline, which a crash mid-write leaves, is moved to
 * `<path>.torn` and reported in `torn`; the file is cut back to its last whole
 * record, so the chain is never broken and nothing is silently dropped. Any
 * other damage refuses to open (fail closed).
 *
 * @param path - the log file.
 * @param options - see {@link FileAuditLogOptions}.
 * @returns a {@link FileAuditLog}.
 * @throws AuditError with the code of the first bad record (message names the line), or the file system's error.
 * @example
 * ```ts
 * import { openFileAuditLog } from '@agentguard/audit/file';
 * const audit = await openFileAuditLog('audit.jsonl', { durability: 'group' });
 * const ag = createGuard({ identity, policy, audit });
 * ```
 */
export async function openFileAuditLog(path: string, options: FileAuditLogOptions = {}): Promise<FileAuditLog> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('"path" expected a non-empty string');
  // Create the file (owner-only) if it is missing, without truncating it.
  await (await open(path, 'a', options.mode ?? 0o600)).close();
  const text = await readFile(path, 'utf8');
  const { lines, torn } = splitLines(text);
  const checker = new LogChecker({ signatures: false });
  for (const [i, line] of lines.entries()) {
    const { problem } = checker.check(line);
    if (problem !== undefined) {
      throw new AuditError(problem.code, `${path}:${i + 1}: ${problem.reason}; refusing to append to a damaged log`);
    }
  }
  let tornTail: TornTail | undefined;
  if (torn !== undefined) {
    const savedTo = `${path}.torn`;
    const keep = Buffer.byteLength(text, 'utf8') - Buffer.byteLength(torn, 'utf8');
    // Save first, then cut: a crash in between leaves the torn line in both places, never in neither.
    await appendFile(savedTo, `${torn}\n`, { mode: 0o600, flush: true });
    await truncate(path, keep);
    tornTail = Object.freeze({ line: lines.length + 1, bytes: Buffer.byteLength(torn, 'utf8'), savedTo });
  }
  const sink = await createFileSink(path, options);
  const log = createAuditLog({
    sink: [sink, ...(options.sinks ?? [])],
    resume: checker.state(),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.checkpoint === undefined ? {} : { checkpoint: options.checkpoint }),
  });
  return Object.freeze({
    append: log.append,
    checkpoint: log.checkpoint,
    close: log.close,
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
    torn: tornTail,
  });
}
