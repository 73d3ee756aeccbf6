import { type FileHandle, open } from 'node:fs/promises';
import { AuditError } from './errors.js';
import type { AuditSink } from './sink.js';

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

  async function write(lines: readonly string[]): Promise<void> {
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
    if (durability === 'group') {
      return serial(() => append(data, true)).finally(() => {
        size = written;
      });
    }
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
    get bytes() {
      return size;
    },
  });
}
