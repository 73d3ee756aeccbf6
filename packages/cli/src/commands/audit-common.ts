import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type AuditRecord, type LogView, readLog } from '@agentguard/audit';
import { readLogDirectory } from '@agentguard/audit/file';
import { didToPublicKey } from '@agentguard/identity';
import { type CommandIO, InputError, UsageError } from '../command.js';

/** A log read from the command line: its text and where each line came from. */
export interface LogText {
  readonly path: string;
  readonly text: string;
  /** `file:line` of a 1-based line of `text` (a rotated log directory spans several files). */
  where(line: number): string;
}

/** Reads a file, or a rotated log directory, named on the command line; a missing one is a usage error. */
export async function readLogFile(path: string, io: CommandIO): Promise<LogText> {
  const absolute = resolve(io.cwd, path);
  try {
    if ((await stat(absolute)).isDirectory()) {
      const dir = await readLogDirectory(absolute);
      return {
        path: absolute,
        text: dir.text,
        where: (line) => {
          const at = dir.locate(line);
          return `${at.path}:${at.line}`;
        },
      };
    }
    const text = await readFile(absolute, 'utf8');
    return { path: absolute, text, where: (line) => `${absolute}:${line}` };
  } catch (cause) {
    if ((cause as { code?: unknown }).code === 'ERR_AUDIT_CHAIN_BROKEN') throw cause;
    const code = (cause as { code?: unknown }).code;
    throw new InputError(`cannot read ${absolute}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
}

/** Reads and checks a log for commands that need its records or tree (throws AuditError on a bad log: exit 1). */
export async function loadLog(path: string, io: CommandIO): Promise<LogView & { path: string }> {
  const file = await readLogFile(path, io);
  return { ...readLog(file.text), path: file.path };
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

/** The decision a record shows: the policy effect, or what the record type implies. */
export function decisionOf(record: AuditRecord): string {
  if (record.type === 'checkpoint') return '';
  const decision = record.data?.decision as { effect?: unknown } | undefined;
  if (typeof decision?.effect === 'string') return decision.effect;
  if (record.type === 'call.denied') return 'deny';
  if (record.type === 'call.invalid') return 'invalid';
  return '';
}

/** Makes text taken from a log safe to print on one line (the CLI's one sanitiser). */
export { printable } from '../output.js';
