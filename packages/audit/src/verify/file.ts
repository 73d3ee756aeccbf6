import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { verify } from '@agentguard/identity';
import { LogChecker, type LineProblem, type SignatureCheck } from './checker.js';
import { AuditError } from '../errors.js';
import { listSegments } from '../file/dir.js';
import { LINE_TOO_LARGE, LineSplitter } from './lines.js';
import { READ_CHUNK_BYTES, readChunks } from '../file/chunks.js';
import { RECORD_MAX_BYTES } from '../record/record.js';
import {
  checkCheckpointKeys,
  checkTrust,
  concludeReport,
  type LogReport,
  type LogReportFailed,
  type VerifyLogOptions,
} from './verify.js';
import { BatchBuilder, verifyPacked } from './batch.js';
import { VerifyPool } from './pool.js';

/** How far a {@link verifyLogFile} run has got. */
export interface VerifyProgress {
  /** Records checked so far (their signatures may still be in a worker's queue). */
  readonly records: number;
  /** Bytes read so far. */
  readonly bytes: number;
  /** Bytes of every file to read. */
  readonly totalBytes: number;
}

/** Options of {@link verifyLogFile}. */
export interface VerifyLogFileOptions extends Omit<VerifyLogOptions, 'onProgress'> {
  /**
   * Worker threads that verify Ed25519 signatures while this thread parses, hashes and chains the
   * records. `0` does everything on this thread. Workers start only once a log has more than
   * `batchSize` signatures, so a small log costs no thread start.
   * @default os.availableParallelism(), at most 8 (the calling thread mostly waits on them)
   */
  readonly workers?: number;
  /**
   * Signatures sent to a worker at a time.
   * @default 1024
   */
  readonly batchSize?: number;
  /**
   * Called every 10,000 records and at the end, for progress on a terminal.
   * @default none
   */
  readonly onProgress?: (progress: VerifyProgress) => void;
}

/** Where a bad line of a file or directory log is. */
export interface LogFileLocation {
  /** The file that holds the bad line (the log file, or one file of a rotated directory). */
  readonly path: string;
  /** 1-based line within that file. */
  readonly fileLine: number;
}

/**
 * The result of {@link verifyLogFile}: a {@link LogReport}; for a bad line, its file and line in it; and
 * `workers`, the worker threads that checked signatures (0 when the log was small enough to check on the
 * calling thread, or when the workers could not start and it was checked there instead).
 */
export type LogFileReport = (Exclude<LogReport, LogReportFailed> | (LogReportFailed & Partial<LogFileLocation>)) & {
  readonly workers: number;
};

/** A batch goes to a worker once its distinct messages reach this size, even mid-line. */
const BATCH_BYTES = 4 * 1024 * 1024;
/** A message this large is verified at once: copying it to a worker would cost more than it saves. */
const DEFER_MAX_BYTES = 64 * 1024;

interface Failure {
  readonly line: number;
  /** Order among deferred checks (signature failures only): of two on one line, the first is reported. */
  readonly order?: number;
  readonly problem: LineProblem;
}

function checkCount(value: unknown, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > 1024) {
    throw new RangeError(`"${name}" expected an integer from ${min} to 1024`);
  }
  return value;
}

/**
 * Verifies a log file, or a directory of rotated files, as {@link verifyLog}
 * does, reading it as a stream (a log may be far larger than memory or than
 * the longest string JavaScript can hold) and spreading signature checks over
 * worker threads. The report is the one `verifyLog` gives for the same text:
 * the same first bad line, code and reason, whatever the number of workers.
 *
 * @param path - a JSON Lines log file, or a directory of `audit-NNNNNN.jsonl` files.
 * @param options - see {@link VerifyLogFileOptions}.
 * @returns a {@link LogFileReport}; a bad log is a returned `{ ok: false }`, never a throw.
 * @throws TypeError or RangeError on bad options; the file system's error when the path cannot be read;
 *   AuditError `ERR_AUDIT_CHAIN_BROKEN` when a numbered file of a directory is missing.
 * @example
 * ```ts
 * const report = await verifyLogFile('audit/', { trust: [agent.id, logKey.id] });
 * if (!report.ok) console.error(`${report.path}:${report.fileLine}: ${report.code} ${report.reason}`);
 * ```
 */
export async function verifyLogFile(path: string, options: VerifyLogFileOptions = {}): Promise<LogFileReport> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('"path" expected a file or directory path');
  const trust = checkTrust(options.trust);
  const checkpointKeys = checkCheckpointKeys(options.checkpointKeys, trust);
  if (options.checkpoint !== undefined && typeof options.checkpoint !== 'string') {
    throw new TypeError('"checkpoint" expected the text of a signed note');
  }
  const progress = options.onProgress;
  if (progress !== undefined && typeof progress !== 'function') throw new TypeError('"onProgress" expected a function');
  const workers = checkCount(options.workers, 'workers', Math.min(availableParallelism(), 8), 0);
  const batchSize = checkCount(options.batchSize, 'batchSize', 1024, 1);

  const files = (await stat(path)).isDirectory() ? await listSegments(path) : [path];
  const stats = await Promise.all(files.map((f) => stat(f)));
  // A device, FIFO or socket is no log: /dev/zero would be read forever, a FIFO would block.
  const special = files.find((_, i) => !(stats[i] as Stats).isFile());
  if (special !== undefined) {
    throw new AuditError(
      'ERR_AUDIT_NOT_A_LOG',
      `${special} is not a regular file: a log is a file or a directory of files`,
    );
  }
  const sizes = stats.map((s) => s.size);
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  const starts: { path: string; firstLine: number }[] = [];

  const pool = workers > 0 ? new VerifyPool(workers) : undefined;
  const builder = new BatchBuilder();
  const inflight: Promise<void>[] = [];
  let signatureFailure: Failure | undefined;
  let line = 0;
  const defer: SignatureCheck = (signature, message, key, problem) => {
    if (signature.length !== 64 || key.length !== 32) return false;
    if (message.length > DEFER_MAX_BYTES) return verify(signature, message, key);
    builder.add(signature, message, key, line, problem);
    if (builder.size >= batchSize || builder.bytes >= BATCH_BYTES) flush(false);
    return true;
  };
  let submitted = false;
  /** Sends the pending checks to the pool; a log whose checks fit in one batch is checked here, with no thread start. */
  const flush = (last: boolean) => {
    if (pool === undefined || builder.size === 0) return;
    const { batch, where } = builder.take();
    const checked = last && !submitted ? Promise.resolve(verifyPacked(batch)) : pool.submit(batch);
    submitted = true;
    inflight.push(
      checked.then((bad) => {
        if (bad < 0) return;
        const failed = where(bad);
        if (signatureFailure === undefined || failed.order < (signatureFailure.order as number)) {
          signatureFailure = failed;
        }
      }),
    );
  };
  const checker = new LogChecker({ trust, checkpointKeys, ...(pool === undefined ? {} : { verify: defer }) });

  let structural: Failure | undefined;
  let used = 0;
  let bytes = 0;
  // Lines are split on LF bytes (a chunk may end mid-line and mid-character) and each is decoded as strict
  // UTF-8 by the checker, as verifyLog does with bytes; the splitter holds at most one record's bytes.
  const splitter = new LineSplitter(RECORD_MAX_BYTES);
  const buffer = new Uint8Array(READ_CHUNK_BYTES);
  try {
    reading: for (const file of files) {
      starts.push({ path: file, firstLine: splitter.lines + 1 });
      for await (const chunk of readChunks(file, buffer)) {
        bytes += chunk.length;
        for (const record of splitter.push(chunk)) {
          if (record === undefined) {
            // Longer than any record the writer makes, newline or not: reported without reading on.
            const problem = { code: 'ERR_AUDIT_RECORD_MALFORMED' as const, reason: LINE_TOO_LARGE };
            structural = { line: splitter.lines + 1, problem };
            break reading;
          }
          line = splitter.lines;
          const { problem } = checker.checkBytes(record);
          if (problem !== undefined) {
            structural = { line, problem };
            break reading;
          }
          if (inflight.length > workers * 4) await inflight.shift();
          if (signatureFailure !== undefined) break reading;
          if (progress !== undefined && line % 10_000 === 0) progress({ records: line, bytes, totalBytes });
        }
      }
    }
    flush(true);
    await Promise.all(inflight);
  } finally {
    used = pool?.running ?? 0;
    await pool?.close();
  }
  progress?.({ records: line, bytes, totalBytes });

  const first =
    signatureFailure !== undefined && (structural === undefined || signatureFailure.line <= structural.line)
      ? signatureFailure
      : structural;
  const locate = (n: number): LogFileLocation => {
    const start = [...starts].reverse().find((s) => s.firstLine <= n) ?? starts[0];
    return start === undefined ? { path, fileLine: n } : { path: start.path, fileLine: n - start.firstLine + 1 };
  };
  if (first !== undefined) {
    return {
      ok: false,
      records: checker.verifiedBefore(first.line - 1),
      line: first.line,
      ...first.problem,
      ...locate(first.line),
      workers: used,
    };
  }
  const report = concludeReport(checker, {
    torn: splitter.pendingBytes > 0,
    lines: line,
    trust,
    checkpointKeys,
    checkpoint: options.checkpoint,
  });
  return report.ok || report.line === 0
    ? { ...report, workers: used }
    : { ...report, ...locate(report.line), workers: used };
}
