import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { MAX_STATUS_PAYLOAD_BYTES } from './status.js';

/** Largest status document read, in bytes (the envelope's base64 payload and its signature). */
export const MAX_STATUS_DOCUMENT_BYTES = MAX_STATUS_PAYLOAD_BYTES * 2;

/** Reads the status document: its bytes, bounded. */
export type StatusReader = (signal: AbortSignal) => Promise<Uint8Array>;

/**
 * Opening never waits: a FIFO or a device put at the status path would block the open (and the read) forever, in
 * one of libuv's few pool threads that every file operation of the process shares, so a few polls would wedge the
 * guard's audit writes too. On a regular file the flag changes nothing.
 */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * @internal Reads a regular file (a symlink to one is followed), at most {@link MAX_STATUS_DOCUMENT_BYTES} (one more
 * byte says it is too large). Anything else at the path (a FIFO, a device, a directory) is refused unread.
 */
export function fileReader(path: string): StatusReader {
  return async () => {
    const handle = await open(path, OPEN_FLAGS);
    try {
      if (!(await handle.stat()).isFile()) throw new Error('the status path is not a regular file');
      const buffer = new Uint8Array(MAX_STATUS_DOCUMENT_BYTES + 1);
      let length = 0;
      while (length < buffer.length) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
        if (bytesRead === 0) break;
        length += bytesRead;
      }
      if (length > MAX_STATUS_DOCUMENT_BYTES)
        throw new Error(`status file larger than ${MAX_STATUS_DOCUMENT_BYTES} bytes`);
      return buffer.subarray(0, length);
    } finally {
      await handle.close();
    }
  };
}

/** @internal GETs an http(s) URL (no redirects), at most {@link MAX_STATUS_DOCUMENT_BYTES}. */
export function httpReader(url: URL): StatusReader {
  return async (signal) => {
    const response = await fetch(url, { signal, redirect: 'error', headers: { accept: 'application/json' } });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`status URL answered HTTP ${response.status}`);
    }
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > MAX_STATUS_DOCUMENT_BYTES) {
      await response.body?.cancel();
      throw new Error(`status document larger than ${MAX_STATUS_DOCUMENT_BYTES} bytes`);
    }
    const reader = response.body?.getReader();
    if (reader === undefined) return new Uint8Array(0);
    const chunks: Uint8Array[] = [];
    let length = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      length += value.length;
      if (length > MAX_STATUS_DOCUMENT_BYTES) {
        await reader.cancel();
        throw new Error(`status document larger than ${MAX_STATUS_DOCUMENT_BYTES} bytes`);
      }
      chunks.push(value);
    }
    const out = new Uint8Array(length);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  };
}

/** @internal The reader of a `status` option: a file path, a `file:` / `http:` / `https:` URL, or a function. */
export function readerOf(status: unknown): StatusReader {
  if (typeof status === 'function') {
    const read = status as () => Promise<string | Uint8Array>;
    return async () => {
      const value = await read();
      if (typeof value === 'string') return new TextEncoder().encode(value);
      if (value instanceof Uint8Array) return value;
      throw new Error('the status reader returned neither a string nor bytes');
    };
  }
  const text = status instanceof URL ? status.href : status;
  if (typeof text !== 'string' || text.length === 0) {
    throw new TypeError('"status" expected a file path, an http(s) URL or a function');
  }
  if (/^https?:\/\//i.test(text)) return httpReader(new URL(text));
  if (/^file:/i.test(text)) return fileReader(new URL(text).pathname);
  return fileReader(text);
}
