/**
 * Bounded reading of the files a command is given. `readFile` reads a file whole, whatever its size (a
 * multi-gigabyte file exhausts memory; `/dev/zero` or an endless pipe never ends); this reads at most
 * `maxBytes + 1` bytes and refuses the file with a typed error, so every input has a stated limit.
 */
import { open } from 'node:fs/promises';
import { InputError } from './command.js';

const CHUNK = 1 << 20;

/**
 * Reads the file at `path` (absolute), refusing it once it holds more than `maxBytes` bytes.
 *
 * @param path - the file.
 * @param maxBytes - the largest file accepted.
 * @param what - what the file is, for messages ("deployment", "previous report").
 * @returns the file's bytes.
 * @throws InputError `ERR_CLI_INPUT_TOO_LARGE` (exit 2) past the limit; the file system's error when it cannot be read.
 */
export async function readBoundedFile(path: string, maxBytes: number, what: string): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) throw tooLarge(path, maxBytes, what, `${size} bytes`);
    // A regular file's size is known; a pipe or a device is read in chunks, and either may grow while read.
    let buffer = new Uint8Array(Math.min(Math.max(size, CHUNK), maxBytes + 1));
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > maxBytes) throw tooLarge(path, maxBytes, what, 'more');
        const grown = new Uint8Array(Math.min(buffer.length * 2, maxBytes + 1));
        grown.set(buffer);
        buffer = grown;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) throw tooLarge(path, maxBytes, what, 'more');
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

function tooLarge(path: string, maxBytes: number, what: string, got: string): InputError {
  return new InputError(`${what} ${path} is too large: expected at most ${maxBytes} bytes, got ${got}`, {
    code: 'ERR_CLI_INPUT_TOO_LARGE',
  });
}

/**
 * {@link readBoundedFile} decoded as `readFile(path, 'utf8')` decodes (lenient; a byte-order mark is kept).
 *
 * @throws as {@link readBoundedFile}.
 */
export async function readBoundedText(path: string, maxBytes: number, what: string): Promise<string> {
  const bytes = await readBoundedFile(path, maxBytes, what);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}
