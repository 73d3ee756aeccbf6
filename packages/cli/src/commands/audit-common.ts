import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type AuditRecord, type LogView, readLog } from '@agentguard/audit';
import { didToPublicKey } from '@agentguard/identity';
import { type CommandIO, UsageError } from '../command.js';

/** Reads a file named on the command line; a missing file is a usage error. */
export async function readLogFile(path: string, io: CommandIO): Promise<{ path: string; text: string }> {
  const absolute = resolve(io.cwd, path);
  try {
    return { path: absolute, text: await readFile(absolute, 'utf8') };
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    throw new UsageError(`cannot read ${absolute}${typeof code === 'string' ? ` (${code})` : ''}`);
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

/** Removes terminal control characters from text taken from a log before printing it. */
export function printable(text: string): string {
  return text.replace(/\p{Cc}/gu, '?');
}
