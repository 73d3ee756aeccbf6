import { lstat, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type AnyRecordData,
  AuditError,
  type AuditRecord,
  type LogView,
  readRecordFields,
  readLog,
} from '@agentguard/audit';
import { readLogDirectory } from '@agentguard/audit/file';
import { didToPublicKey } from '@agentguard/identity';
import { fromUtf8 } from '@agentguard/statement';
import { type CommandIO, InputError, UsageError } from '../command.js';
import { readBoundedFile } from '../read-input.js';

/** A log read from the command line: its bytes, as read, and where each line came from. */
export interface LogBytes {
  readonly path: string;
  /**
   * The log's bytes, never decoded here: the audit library decodes each line as strict UTF-8 and
   * reports one that is not at its line, with its own code and reason.
   */
  readonly bytes: Uint8Array;
  /** `file:line` of a 1-based line of the log (a rotated log directory spans several files). */
  where(line: number): string;
}

const isAuditError = (error: unknown): error is AuditError =>
  typeof (error as { code?: unknown } | null)?.code === 'string' &&
  (error as { code: string }).code.startsWith('ERR_AUDIT_');

function cannotRead(path: string, cause: unknown): InputError {
  const code = (cause as { code?: unknown } | null)?.code;
  return new InputError(`cannot read ${path}${typeof code === 'string' ? ` (${code})` : ''}`);
}

/**
 * Largest log a command reads whole into memory (a file, or a rotated directory's files together). Past it
 * the in-memory readers would exhaust memory; `agentguard verify` streams a log of any size instead.
 */
export const MAX_LOG_READ_BYTES = 1024 * 1024 * 1024;

/** The numbered files of a log directory, as `openAuditDirectory` names them. */
const SEGMENT = /^audit-\d{6,}\.jsonl$/;

/**
 * Reads a log file, or a rotated log directory, named on the command line, as bytes. A file that cannot
 * be read is unusable input (InputError, exit 2), and so is one larger than `maxBytes`
 * (`ERR_CLI_INPUT_TOO_LARGE`, refused before it is read); a directory that is not one log (a numbered
 * file missing) is a verdict (AuditError, exit 1). What the bytes say is for the audit library to judge.
 */
export async function readLogFile(path: string, io: CommandIO, maxBytes = MAX_LOG_READ_BYTES): Promise<LogBytes> {
  const absolute = resolve(io.cwd, path);
  let directory: boolean;
  try {
    directory = (await stat(absolute)).isDirectory();
  } catch (cause) {
    throw cannotRead(absolute, cause);
  }
  if (directory) {
    let dir: Awaited<ReturnType<typeof readLogDirectory>>;
    try {
      let total = 0;
      for (const name of (await readdir(absolute)).filter((n) => SEGMENT.test(n))) {
        // Sizes count only for regular files: a segment that is a link to a device or a FIFO would be read
        // without end, so it is refused as unusable input.
        const info = await lstat(join(absolute, name));
        if (!info.isFile()) throw new InputError(`log segment ${join(absolute, name)} is not a regular file`);
        total += info.size;
      }
      if (total > maxBytes) {
        throw new InputError(`log ${absolute} is too large: expected at most ${maxBytes} bytes, got ${total}`, {
          code: 'ERR_CLI_INPUT_TOO_LARGE',
        });
      }
      dir = await readLogDirectory(absolute);
    } catch (cause) {
      if (isAuditError(cause) || cause instanceof InputError) throw cause;
      throw cannotRead(absolute, cause);
    }
    return {
      path: absolute,
      bytes: dir.bytes,
      where: (line) => {
        const at = dir.locate(line);
        return `${at.path}:${at.line}`;
      },
    };
  }
  try {
    const bytes = await readBoundedFile(absolute, maxBytes, 'log');
    return { path: absolute, bytes, where: (line) => `${absolute}:${line}` };
  } catch (cause) {
    if (cause instanceof InputError) throw cause;
    throw cannotRead(absolute, cause);
  }
}

/** Largest signed note (checkpoint) file read: a note is a few lines and signatures. */
const MAX_NOTE_BYTES = 1024 * 1024;

/**
 * Reads a small text file named on the command line (a signed checkpoint) as strict UTF-8: `text` is
 * undefined when its bytes are not UTF-8 (a replacement character would let a changed byte read as the
 * same text). A file that cannot be read is unusable input (exit 2).
 */
export async function readNoteFile(path: string, io: CommandIO): Promise<{ path: string; text: string | undefined }> {
  const absolute = resolve(io.cwd, path);
  let bytes: Uint8Array;
  try {
    bytes = await readBoundedFile(absolute, MAX_NOTE_BYTES, 'note');
  } catch (cause) {
    if (cause instanceof InputError) throw cause;
    throw cannotRead(absolute, cause);
  }
  try {
    return { path: absolute, text: fromUtf8(bytes) };
  } catch {
    return { path: absolute, text: undefined };
  }
}

/**
 * Reads and checks a log for commands that need its records or tree. A bad log throws AuditError (exit 1)
 * with the audit library's code and reason, naming the first bad line as `file:line`.
 */
export async function loadLog(path: string, io: CommandIO): Promise<LogView & { path: string }> {
  const file = await readLogFile(path, io);
  try {
    return { ...readLog(file.bytes), path: file.path };
  } catch (error) {
    if (!isAuditError(error)) throw error;
    const at = /^line (\d+): /.exec(error.message);
    if (at === null) throw error;
    throw new AuditError(error.code, `${file.where(Number(at[1]))}: ${error.message.slice(at[0].length)}`, {
      cause: error,
    });
  }
}

/** Checks `--trust` values: each must be an Ed25519 did:key. */
export function parseTrust(values: readonly string[] | undefined): string[] | undefined {
  if (values === undefined || values.length === 0) return undefined;
  for (const did of values) {
    try {
      didToPublicKey(did);
    } catch {
      throw new UsageError(`--trust expects an Ed25519 did:key, got "${did.slice(0, 80)}"`);
    }
  }
  return [...values];
}

/** Exactly one positional argument: the log. */
export function onePositional(positionals: readonly string[], what = '<log>'): string {
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0 ? `missing ${what}` : `expected one ${what}, got ${positionals.length}`,
    );
  }
  return positionals[0] as string;
}

/** Parses a non-negative integer option. */
export function parseCount(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^(0|[1-9][0-9]{0,15})$/.test(value))
    throw new UsageError(`--${name} expects a non-negative integer, got "${value}"`);
  return Number(value);
}

/** Parses a time option: RFC 3339 / ISO 8601. */
export function parseTime(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new UsageError(`--${name} expects an ISO 8601 time, got "${value}"`);
  return ms;
}

/** The fields a record's type names, as the contract types them; empty for a checkpoint or data that breaks the contract. */
export function shownData(record: AuditRecord): AnyRecordData {
  if (record.type === 'checkpoint') return {};
  return readRecordFields(record.type, record.data) ?? {};
}

/** The decision a record shows: the policy effect, or what the record type implies. */
export function decisionOf(record: AuditRecord): string {
  if (record.type === 'checkpoint') return '';
  const effect = shownData(record).decision?.effect;
  if (effect !== undefined) return effect;
  if (record.type === 'call.denied') return 'deny';
  if (record.type === 'call.invalid') return 'invalid';
  return '';
}

/** Makes text taken from a log safe to print on one line (the CLI's one sanitiser). */
export { printable } from '../output.js';
