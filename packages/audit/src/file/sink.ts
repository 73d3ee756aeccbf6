import { type FileHandle, open } from 'node:fs/promises';
import { AuditError } from '../errors.js';
import type { AuditSink, SinkBatch } from '../log/sink.js';

/**
 * How the file sink makes records durable:
 * - `fsync`: every record is written and fsynced on its own before the next; slowest, simplest.
 * - `group`: a batch (all records that arrived while the previous batch was being synced) is written
 *   and fsynced once; each call still returns only after its record is on disk.
 * - `buffered`: **lossy on crash**. Writes are acknowledged before they reach the OS and flushed
 *   every `flushIntervalMs`; a crash loses what was acknowledged since the last flush.
 */
export type Durability = 'fsync' | 'group' | 'buffered';

/** Options of {@link createFileSink}. */
export interface FileSinkOptions {
  /**
   * Durability mode, see {@link Durability}.
   * @default 'group'
   */
  readonly durability?: Durability;
  /**
   * In `buffered` mode, how often buffered lines are written to the file.
   * @default 100
   */
  readonly flushIntervalMs?: number;
  /**
   * File mode when the file is created.
   * @default 0o600 (owner read/write only: records can hold arguments)
   */
  readonly mode?: number;
}

/** A file sink: appends JSON Lines to one file. */
export interface FileSink extends AuditSink {
  /** The file's path. */
  readonly path: string;
  /** Bytes in the file (including what is buffered and not yet written, in `buffered` mode). */
  readonly bytes: number;
}

const DURABILITY: readonly Durability[] = ['fsync', 'group', 'buffered'];

/**
 * Batches a `group` file sink keeps in flight. Overlapping syncs cost little more than one (measured
 * on ext4: 2 in flight gave 2.5-6x the syncs per second of 1), and each waits in Node's thread pool
 * (4 threads by default), so a few leave threads free for the writes.
 */
const GROUP_PIPELINE_DEPTH = 3;

async function writeAll(handle: FileHandle, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

/**
 * Opens (or creates) `path` for appending audit records. Node only.
 *
 * A failed write is undone (the file is truncated back to where the batch
 * began) so that no part of a rejected batch stays in the file; if even that
 * fails, the sink refuses every later write.
 *
 * @param path - the log file.
 * @param options - see {@link FileSinkOptions}.
 * @returns a {@link FileSink}.
 * @throws RangeError on bad options; the file system's error when the file cannot be opened.
 * @example
 * ```ts
 * const sink = await createFileSink('audit.jsonl', { durability: 'fsync' });
 * const log = createAuditLog({ sink });
 * ```
 */
export async function createFileSink(path: string, options: FileSinkOptions = {}): Promise<FileSink> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('"path" expected a non-empty string');
  const durability = options.durability ?? 'group';
  if (!DURABILITY.includes(durability)) {
    throw new RangeError(`"durability" expected one of ${DURABILITY.join(', ')}, got ${String(durability)}`);
  }
  const flushIntervalMs = options.flushIntervalMs ?? 100;
  if (!Number.isFinite(flushIntervalMs) || flushIntervalMs < 1) {
    throw new RangeError('"flushIntervalMs" expected a positive number');
  }
  const handle = await open(path, 'a', options.mode ?? 0o600);
  let size = (await handle.stat()).size;
  let written = size;
  let closed = false;
  let broken: AuditError | undefined;
  let chain: Promise<void> = Promise.resolve();
  let buffer: Uint8Array[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const encoder = new TextEncoder();

  // One operation at a time, in order, whatever the caller does.
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const result = chain.then(task);
    chain = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  };

  async function append(data: Uint8Array, sync: boolean): Promise<void> {
    const start = written;
    try {
      await writeAll(handle, data);
      if (sync) await handle.datasync();
      written += data.length;
    } catch (cause) {
      try {
        await handle.truncate(start);
      } catch (undo) {
        broken = new AuditError('ERR_AUDIT_SINK_FAILED', `audit file ${path} is damaged and cannot be repaired`, {
          cause: undo,
        });
      }
      throw cause;
    }
  }

  // Group mode is pipelined: up to GROUP_PIPELINE_DEPTH batches in flight, written one after another
  // and synced concurrently (the file system folds overlapping syncs into one journal commit), each
  // resolving after the one before it. A failure undoes from the failed batch to the end of the file;
  // every batch in flight behind it fails too (it chains from the failed one), and `epoch` makes the
  // writes it had queued skip, so whatever comes next is written after the undo.
  let epoch = 0;
  // Which batches chain from which: the log's rollback count (`SinkBatch.rollbacks`), sent with each batch. A batch
  // with the count of a failed one chains from it and fails with it, however late it was asked for: the log may
  // learn of a failure well after this sink reported it. For a caller that sends no count, the count moves on each
  // time a failed batch's rejection is handed back.
  let generation = 0;
  let last: { readonly generation: number; readonly done: Promise<boolean> } = {
    generation,
    done: Promise.resolve(true),
  };

  function writeGroup(data: Uint8Array, batch: SinkBatch | undefined): Promise<void> {
    const mine = epoch;
    const told = batch?.rollbacks ?? generation;
    const previous = last;
    let start: number | undefined;
    const wrote = serial(async () => {
      if (mine !== epoch) throw new AuditError('ERR_AUDIT_SINK_FAILED', 'an earlier batch failed; nothing written');
      if (broken !== undefined) throw broken;
      start = written;
      try {
        await writeAll(handle, data);
      } finally {
        // Counted even when partly written: the undo below truncates from `start`.
        written = start + data.length;
      }
    });
    const result = (async () => {
      try {
        await wrote;
        await handle.datasync();
      } catch (cause) {
        await undo(start);
        throw cause;
      } finally {
        size = written;
      }
      // Durable only once every batch asked for before it is: a batch after a failed one fails, unless it comes
      // after the rollback (a higher count).
      if (!(await previous.done) && previous.generation === told) {
        await undo(start);
        throw new AuditError('ERR_AUDIT_SINK_FAILED', 'an earlier batch failed; this one was undone with it');
      }
    })();
    last = {
      generation: told,
      done: result.then(
        () => true,
        () => {
          generation += 1;
          return false;
        },
      ),
    };
    return result;
  }

  /** Truncates back to `start` (never beyond the end) after the writes already queued, and voids later ones. */
  async function undo(start: number | undefined): Promise<void> {
    epoch += 1;
    if (start === undefined) return;
    await serial(async () => {
      if (start >= written) return;
      try {
        await handle.truncate(start);
        written = start;
      } catch (cause) {
        broken ??= new AuditError('ERR_AUDIT_SINK_FAILED', `audit file ${path} is damaged and cannot be repaired`, {
          cause,
        });
      }
    });
    size = written;
  }

  function flushBuffered(): Promise<void> {
    timer = undefined;
    const parts = buffer;
    buffer = [];
    if (parts.length === 0) return Promise.resolve();
    const total = parts.reduce((n, p) => n + p.length, 0);
    const data = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.length;
    }
    return serial(() => append(data, false)).catch((cause: unknown) => {
      broken ??= new AuditError('ERR_AUDIT_SINK_FAILED', `buffered audit records lost: ${String(cause)}`, { cause });
    });
  }

  async function write(lines: readonly string[], batch?: SinkBatch): Promise<void> {
    if (closed) throw new AuditError('ERR_AUDIT_CLOSED', `audit file ${path} is closed`);
    if (broken !== undefined) throw broken;
    if (lines.length === 0) return;
    if (durability === 'fsync') {
      return serial(async () => {
        for (const line of lines) await append(encoder.encode(`${line}\n`), true);
      }).finally(() => {
        size = written;
      });
    }
    const data = encoder.encode(`${lines.join('\n')}\n`);
    if (durability === 'group') return writeGroup(data, batch);
    buffer.push(data);
    size += data.length;
    timer ??= setTimeout(() => void flushBuffered(), flushIntervalMs);
    // Never keep a process alive for a flush.
    if (typeof timer === 'object' && 'unref' in timer) timer.unref();
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    if (timer !== undefined) clearTimeout(timer);
    await flushBuffered();
    await last.done;
    await serial(async () => {
      try {
        await handle.datasync();
      } finally {
        await handle.close();
      }
    });
    if (broken !== undefined) throw broken;
  }

  return Object.freeze({
    path,
    write,
    close,
    pipelineDepth: durability === 'group' ? GROUP_PIPELINE_DEPTH : 1,
    get bytes() {
      return size;
    },
  });
}
