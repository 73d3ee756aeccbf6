import { lstat, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditError } from '../errors.js';
import { createFileSink, type FileSink, type FileSinkOptions } from './sink.js';
import { decodeLine, LINE_NOT_UTF8, splitByteLines } from '../verify/lines.js';

/** Rotation of a log directory into numbered files. */
export interface RotateOptions {
  /**
   * Start a new file once the current one holds this many bytes (0: never by size).
   * @default 64 MiB
   */
  readonly maxBytes?: number;
  /**
   * Start a new file once the current one is this old, in ms (0: never by age).
   * @default 0
   */
  readonly maxAgeMs?: number;
}

const FILE = /^audit-(\d{6,})\.jsonl$/;

/** Whether `name` is the name of a numbered file of a log directory. */
export function isSegmentName(name: string): boolean {
  return FILE.test(name);
}

/** The name of the n-th file (1-based) of a log directory. */
export function segmentName(n: number): string {
  return `audit-${String(n).padStart(6, '0')}.jsonl`;
}

/** The files of a log directory, in order. */
export async function listSegments(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => FILE.test(n));
  names.sort((a, b) => Number(FILE.exec(a)?.[1]) - Number(FILE.exec(b)?.[1]));
  for (const [i, name] of names.entries()) {
    if (name !== segmentName(i + 1)) {
      throw new AuditError(
        'ERR_AUDIT_CHAIN_BROKEN',
        `${dir}: expected ${segmentName(i + 1)}, found ${name}: a file is missing`,
      );
    }
  }
  return names.map((n) => join(dir, n));
}

/** A log directory read as one log, with a way back from a line number to its file and line. */
export interface DirectoryText {
  /**
   * The files' bytes, in order, as one log: give these to `verifyLog` or `readLog`, which decode each
   * line as strict UTF-8 and name the line that is not.
   */
  readonly bytes: Uint8Array;
  /**
   * The same log as text, decoded as strict UTF-8 (a byte-order mark is kept, so the parser refuses it).
   * @throws AuditError `ERR_AUDIT_RECORD_MALFORMED` naming `file:line` when a line is not UTF-8,
   *   `ERR_AUDIT_RECORD_TRUNCATED` when the torn last line is not (a write cut mid-character).
   */
  readonly text: string;
  readonly files: readonly { readonly path: string; readonly firstLine: number; readonly lines: number }[];
  /** The file and 1-based line within it of a 1-based line of the log. */
  locate(line: number): { path: string; line: number };
}

/** Reads every file of a log directory, in order, as one byte string; with a line locator. @internal */
export async function readSegments(dir: string): Promise<Omit<DirectoryText, 'text'>> {
  const files: { path: string; firstLine: number; lines: number }[] = [];
  const parts: Uint8Array[] = [];
  let line = 1;
  for (const path of await listSegments(dir)) {
    const data = await readFile(path);
    let lines = 0;
    for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, nl + 1)) lines += 1;
    if (data.length > 0 && data[data.length - 1] !== 0x0a) lines += 1;
    files.push({ path, firstLine: line, lines });
    parts.push(data);
    line += lines;
  }
  const bytes = Buffer.concat(parts);
  return {
    bytes,
    files,
    locate(n: number) {
      const file = [...files].reverse().find((f) => f.firstLine <= n) ?? files[0];
      return file === undefined ? { path: dir, line: n } : { path: file.path, line: n - file.firstLine + 1 };
    },
  };
}

/** The log's bytes as text, decoded line by line as strict UTF-8; a line that is not is named. */
function decodeLog(read: Omit<DirectoryText, 'text'>): string {
  const { lines, torn } = splitByteLines(read.bytes);
  const out: string[] = [];
  const refuse = (code: 'ERR_AUDIT_RECORD_MALFORMED' | 'ERR_AUDIT_RECORD_TRUNCATED', n: number, what: string) => {
    const at = read.locate(n);
    return new AuditError(code, `${at.path}:${at.line}: ${what}`);
  };
  for (const [i, bytes] of lines.entries()) {
    const text = decodeLine(bytes);
    if (text === undefined) throw refuse('ERR_AUDIT_RECORD_MALFORMED', i + 1, LINE_NOT_UTF8);
    out.push(text, '\n');
  }
  if (torn !== undefined) {
    const text = decodeLine(torn);
    if (text === undefined) {
      throw refuse('ERR_AUDIT_RECORD_TRUNCATED', lines.length + 1, 'last line has no newline and is cut mid-character');
    }
    out.push(text);
  }
  return out.join('');
}

/**
 * Reads every file of a rotated log directory, in order, as one JSON Lines log (the chain and tree
 * continue across files, so it verifies as one log). Prefer `bytes` (for `verifyLog`/`readLog`);
 * `text` is decoded strictly.
 *
 * @param dir - the directory.
 * @returns the bytes, the text and a line locator.
 * @throws AuditError `ERR_AUDIT_CHAIN_BROKEN` when a numbered file is missing; `ERR_AUDIT_RECORD_MALFORMED`
 *   (naming `file:line`) when a line is not UTF-8.
 */
export async function readLogDirectory(dir: string): Promise<DirectoryText> {
  const read = await readSegments(dir);
  // Decoded on first use: a reader of `bytes` gets them even when a line is not UTF-8 (the verifier
  // then names that line); only reading `text` throws.
  let text: string | undefined;
  return {
    ...read,
    get text() {
      text ??= decodeLog(read);
      return text;
    },
  };
}

/**
 * Opens a numbered file of a log directory for appending, refusing one that is a symbolic link or has another hard
 * link: a writer of the file it names would take another lock than the directory's, and two writers would race on
 * one chain. (Whoever can place a link in the directory can change the log anyway; this stops mistakes.)
 */
async function openSegment(path: string, options: FileSinkOptions): Promise<FileSink> {
  const found = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (found !== undefined) refuseShared(path, found);
  const sink = await createFileSink(path, options);
  try {
    refuseShared(path, await lstat(path));
  } catch (error) {
    await sink.close();
    throw error;
  }
  return sink;
}

/** Throws `ERR_AUDIT_NOT_A_LOG` for a log file that is a symbolic link or has more than one hard link. */
export function refuseShared(path: string, found: { isSymbolicLink(): boolean; readonly nlink: number }): void {
  if (found.isSymbolicLink()) {
    throw new AuditError(
      'ERR_AUDIT_NOT_A_LOG',
      `${path} is a symbolic link: a numbered file of a log directory must be the file itself, or a writer of its target would take another lock`,
    );
  }
  if (found.nlink > 1) {
    throw new AuditError(
      'ERR_AUDIT_NOT_A_LOG',
      `${path} has ${found.nlink} hard links: a writer through another of them would take another lock and race on the chain; remove the other links (copy the file for a backup)`,
    );
  }
}

/**
 * A sink over a directory of numbered files that starts a new file by size or
 * age. A batch is never split across files; the log's chain and tree simply
 * continue in the next file.
 */
export async function createRotatingSink(
  dir: string,
  options: FileSinkOptions & { readonly rotate?: RotateOptions; readonly clock?: () => number },
): Promise<FileSink> {
  const maxBytes = options.rotate?.maxBytes ?? 64 * 1024 * 1024;
  const maxAgeMs = options.rotate?.maxAgeMs ?? 0;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0)
    throw new RangeError('"rotate.maxBytes" expected a non-negative integer');
  if (!Number.isSafeInteger(maxAgeMs) || maxAgeMs < 0)
    throw new RangeError('"rotate.maxAgeMs" expected a non-negative integer');
  const clock = options.clock === undefined ? Date.now : options.clock;
  if (typeof clock !== 'function') throw new TypeError(`"clock" expected a function, got ${typeof clock}`);
  // A broken clock fails the write (the log refuses the batch) rather than never or always rotating.
  const now = (): number => {
    const t = clock();
    if (typeof t !== 'number' || !Number.isFinite(t)) {
      throw new AuditError('ERR_AUDIT_SINK_FAILED', `"clock" expected to return finite epoch ms, got ${String(t)}`);
    }
    return t;
  };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const existing = await listSegments(dir);
  let index = Math.max(existing.length, 1);
  let current = await openSegment(join(dir, segmentName(index)), options);
  let opened = now();
  let chain: Promise<void> = Promise.resolve();

  async function write(lines: readonly string[]): Promise<void> {
    const run = chain.then(async () => {
      const full = maxBytes > 0 && current.bytes >= maxBytes;
      const old = maxAgeMs > 0 && now() - opened >= maxAgeMs && current.bytes > 0;
      if (full || old) {
        await current.close();
        index += 1;
        current = await openSegment(join(dir, segmentName(index)), options);
        opened = now();
      }
      await current.write(lines);
    });
    chain = run.catch(() => {});
    return run;
  }

  return {
    get path() {
      return current.path;
    },
    get bytes() {
      return current.bytes;
    },
    write,
    close: async () => {
      await chain;
      await current.close();
    },
  };
}
