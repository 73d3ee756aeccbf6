import { open } from 'node:fs/promises';

/** Bytes read at a time: besides one record, the read buffer is all the memory a reader of a log file needs. @internal */
export const READ_CHUNK_BYTES = 1 << 20;

/**
 * The bytes of a file, read in order into `buffer` and given out as views of it: each chunk is valid only
 * until the next is read. One buffer serves a whole log, so reading it costs that buffer, however long the
 * log. @internal
 */
export async function* readChunks(path: string, buffer: Uint8Array): AsyncGenerator<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}
