import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { didToPublicKey } from '@agentguard/identity';
import { type CommandIO, UsageError } from '../command.js';

/** Reads a log (or other) file named on the command line; a missing file is a usage error. */
export async function readLogFile(path: string, io: CommandIO): Promise<{ path: string; text: string }> {
  const absolute = resolve(io.cwd, path);
  try {
    return { path: absolute, text: await readFile(absolute, 'utf8') };
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    throw new UsageError(`cannot read ${absolute}${typeof code === 'string' ? ` (${code})` : ''}`);
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
