import { availableParallelism } from 'node:os';
import { verify } from '@agentguard/identity';
import { BatchBuilder, type PackedBatch } from './batch.js';
import type { LineProblem, SignatureCheck } from './checker.js';
import { VerifyPool } from './pool.js';
import { checkRecordLine, type RecordLineResult, verifyRecordLine } from './record-line.js';

/** Options of {@link verifyRecordLines}. */
export interface VerifyRecordLinesOptions {
  /**
   * Worker threads that check the Ed25519 signatures (each line's own and its call envelope's); 0 checks them
   * on the calling thread. Fewer than 256 lines are always checked on the calling thread (no thread start).
   * @default the machine's available parallelism, at most 8
   */
  readonly workers?: number;
  /**
   * Called once, when every line is parsed and checked but the signatures sent to worker threads may not be known
   * yet, with those provisional results (a line whose signature then fails is `ok` here): the caller can do its
   * own work on the lines meanwhile, on this thread, while the workers verify. The promise's results are final.
   * @default none
   */
  readonly onProvisional?: (results: readonly RecordLineResult[]) => void;
}

/** Checks per batch sent to a worker, and bytes of messages per batch. */
const BATCH = 1024;
const BATCH_BYTES = 4 * 1024 * 1024;
/** A message larger than this is checked at once rather than copied to a worker. */
const DEFER_MAX_BYTES = 64 * 1024;
/** Fewest lines worth starting threads for. */
const MIN_PARALLEL = 256;

/** What a deferred check reports: nothing, as a line with a failed check is read again for its report. */
const REREAD: LineProblem = Object.freeze({ code: 'ERR_AUDIT_SIGNATURE_INVALID', reason: 'read the line again' });

/** Whether check `i` of a packed batch verifies. */
function verifiesAt(batch: PackedBatch, i: number): boolean {
  return verify(
    batch.signatures.subarray(i * 64, i * 64 + 64),
    batch.messages.subarray(batch.starts[i] as number, batch.ends[i] as number),
    batch.keys.subarray(i * 32, i * 32 + 32),
  );
}

/**
 * Checks many independent log lines, as {@link verifyRecordLine} checks each one, with the signatures checked on
 * worker threads: for an excerpt of a log (an evidence bundle's records, each paired with its inclusion proof)
 * too large to check on one thread. Each result is exactly what `verifyRecordLine` gives for that line, in the
 * same order: a line whose signature fails on a worker is checked again on the calling thread for its report.
 * A worker that cannot start or crashes leaves its checks to the calling thread: slower, never skipped.
 *
 * @param lines - record lines without their newlines, as bytes (strict UTF-8) or text.
 * @param options - see {@link VerifyRecordLinesOptions}.
 * @returns one {@link RecordLineResult} per line; never rejects on bad lines.
 * @throws TypeError when `lines` is not an array, RangeError on a bad `workers`.
 * @example
 * ```ts
 * const results = await verifyRecordLines(lines, { workers: 2 });
 * const bad = results.findIndex((r) => !r.ok); // -1 when every line verifies
 * ```
 */
export async function verifyRecordLines(
  lines: readonly (string | Uint8Array)[],
  options: VerifyRecordLinesOptions = {},
): Promise<RecordLineResult[]> {
  const workers = checkOptions(lines, options);
  const onProvisional = options.onProvisional;
  if (onProvisional !== undefined && typeof onProvisional !== 'function') {
    throw new TypeError('"onProvisional" expected a function');
  }
  const results: RecordLineResult[] = new Array(lines.length);
  const changed = await checkLines(
    lines,
    workers,
    (index, result) => {
      results[index] = result;
    },
    // The workers verify what was sent while the caller works on the provisional results.
    () => onProvisional?.(results.slice()),
  );
  for (const [index, result] of changed) results[index] = result;
  return results;
}

/**
 * {@link verifyRecordLines} for a caller that uses each line's result at once and keeps none: `onLine` gets each
 * line's result in order, as soon as the line is read, while its signatures may still be on worker threads (a
 * line whose signature then fails is `ok` there). The promise says which of those results were not final: one
 * entry per such line, with exactly what `verifyRecordLine` gives for it. Every other line's result is final.
 * Nothing is held for a line once `onLine` returned, so a long excerpt is checked in little memory.
 *
 * @param lines - record lines without their newlines, as bytes (strict UTF-8) or text.
 * @param onLine - called once per line, in order, with its index and provisional result.
 * @param options - `workers` as in {@link VerifyRecordLinesOptions}.
 * @returns the final results of the lines whose provisional result was not final (a signature that failed on a
 *   worker thread), by index; empty when every line's result was final. Never rejects on bad lines.
 * @throws TypeError when `lines` is not an array or `onLine` not a function, RangeError on a bad `workers`.
 * @example
 * ```ts
 * let ok = 0;
 * const changed = await verifyRecordLinesEach(lines, (_, r) => void (r.ok && ok++));
 * console.log(changed.size === 0 ? `${ok} lines verify` : `${changed.size} signatures failed`);
 * ```
 */
export async function verifyRecordLinesEach(
  lines: readonly (string | Uint8Array)[],
  onLine: (index: number, result: RecordLineResult) => void,
  options: Pick<VerifyRecordLinesOptions, 'workers'> = {},
): Promise<ReadonlyMap<number, RecordLineResult>> {
  const workers = checkOptions(lines, options);
  if (typeof onLine !== 'function') throw new TypeError('"onLine" expected a function');
  return checkLines(lines, workers, onLine, () => {});
}

function checkOptions(lines: readonly (string | Uint8Array)[], options: VerifyRecordLinesOptions): number {
  if (!Array.isArray(lines)) throw new TypeError('"lines" expected an array of record lines');
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  const workers = options.workers ?? Math.min(availableParallelism(), 8);
  if (!Number.isSafeInteger(workers) || workers < 0 || workers > 64) {
    throw new RangeError(`"workers" expected an integer from 0 to 64, got ${String(workers)}`);
  }
  return workers;
}

/**
 * Reads every line, giving `onLine` its provisional result, calls `read` once every line is read (the workers may
 * still be verifying), and resolves with the final result of each line whose signature failed on a worker.
 */
async function checkLines(
  lines: readonly (string | Uint8Array)[],
  workers: number,
  onLine: (index: number, result: RecordLineResult) => void,
  read: () => void,
): Promise<Map<number, RecordLineResult>> {
  const changed = new Map<number, RecordLineResult>();
  if (workers === 0 || lines.length < MIN_PARALLEL) {
    for (let index = 0; index < lines.length; index++) {
      onLine(index, verifyRecordLine(lines[index] as string | Uint8Array));
    }
    read();
    return changed;
  }
  const failedLines = new Set<number>();
  const pool = new VerifyPool(workers);
  const builder = new BatchBuilder();
  const inflight: Promise<void>[] = [];
  const flush = () => {
    if (builder.size === 0) return;
    const { batch, where } = builder.take();
    inflight.push(
      pool.submit(batch).then((bad) => {
        // A batch reports its first bad check; the rest of it is checked here, so every bad line is found.
        for (let i = bad; i >= 0 && i < batch.count; i++) {
          if (i === bad || !verifiesAt(batch, i)) failedLines.add(where(i).line);
        }
      }),
    );
  };
  try {
    for (let index = 0; index < lines.length; index++) {
      const defer: SignatureCheck = (signature, message, key) => {
        if (signature.length !== 64 || key.length !== 32) return false;
        if (message.length > DEFER_MAX_BYTES) return verify(signature, message, key);
        // A line whose check fails is read again here for its report: the check's own problem is not kept.
        builder.add(signature, message, key, index, REREAD);
        if (builder.size >= BATCH || builder.bytes >= BATCH_BYTES) flush();
        return true;
      };
      onLine(index, checkRecordLine(lines[index] as string | Uint8Array, defer));
      // A few batches queued per worker keep it busy; more would only hold more lines' checks in memory.
      if (inflight.length > workers * 4) await inflight.shift();
    }
    flush();
    read();
    await Promise.all(inflight);
  } finally {
    await pool.close();
  }
  // A line with a failed signature gets exactly the report verifyRecordLine gives it (its first problem).
  for (const index of [...failedLines].sort((a, b) => a - b)) {
    changed.set(index, verifyRecordLine(lines[index] as string | Uint8Array));
  }
  return changed;
}
