import { resolve } from 'node:path';
import {
  type AgentIdentity,
  createTrustAnchors,
  type DidKey,
  didToPublicKey,
  IdentityError,
  type TrustAnchors,
} from '@agentguard/identity';
import { loadKeyFile } from '@agentguard/identity/node';
import { type CommandIO, InputError, UsageError } from '../command.js';
import { readBoundedText } from '../read-input.js';

const JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** A passphrase from the environment variable named by `--passphrase-env` (never from argv, which `ps` shows). */
export function passphraseFrom(varName: string | undefined, io: CommandIO): string | undefined {
  if (varName === undefined) return undefined;
  const value = io.env[varName];
  if (value === undefined || value.length === 0)
    throw new UsageError(`environment variable ${varName} is empty or unset`);
  return value;
}

/** Loads a key file named on the command line. */
export async function loadKey(path: string | undefined, io: CommandIO, passphraseEnv?: string): Promise<AgentIdentity> {
  if (path === undefined) throw new UsageError('missing --key <file>');
  const passphrase = passphraseFrom(passphraseEnv, io);
  try {
    return await loadKeyFile(resolve(io.cwd, path), passphrase === undefined ? {} : { passphrase });
  } catch (error) {
    // An encrypted key and no passphrase: say how a command is given one, not only that it is missing.
    if (
      error instanceof IdentityError &&
      error.code === 'ERR_IDENTITY_KEYSTORE_PASSPHRASE' &&
      passphrase === undefined
    ) {
      throw new IdentityError(
        error.code,
        `${error.message} (pass --passphrase-env <VAR>, naming an environment variable that holds it)`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Largest token or text file read (credentials, revocation lists). */
const MAX_TEXT_FILE_BYTES = 16 * 1024 * 1024;

/** A token given inline, or the path of a file holding one. */
export async function readToken(arg: string, io: CommandIO): Promise<string> {
  if (JWS.test(arg)) return arg;
  const path = resolve(io.cwd, arg);
  try {
    return (await readBoundedText(path, MAX_TEXT_FILE_BYTES, 'token file')).trim();
  } catch (cause) {
    if (cause instanceof InputError) throw cause;
    const code = (cause as { code?: unknown }).code;
    throw new InputError(
      `"${arg.slice(0, 80)}" is neither a token nor a readable file${typeof code === 'string' ? ` (${code})` : ''}`,
    );
  }
}

/** Reads a text file named on the command line. */
export async function readText(arg: string, io: CommandIO, what: string): Promise<string> {
  const path = resolve(io.cwd, arg);
  try {
    return await readBoundedText(path, MAX_TEXT_FILE_BYTES, what);
  } catch (cause) {
    if (cause instanceof InputError) throw cause;
    const code = (cause as { code?: unknown }).code;
    throw new InputError(`cannot read ${what} ${path}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
}

/** Trust anchors from `--trust <did:key>` values. */
export function anchorsFrom(values: readonly string[] | undefined): TrustAnchors {
  if (values === undefined || values.length === 0) throw new UsageError('missing --trust <did:key> (the authority)');
  for (const did of values) {
    try {
      didToPublicKey(did);
    } catch {
      throw new UsageError(`--trust expects an Ed25519 did:key, got "${did.slice(0, 80)}"`);
    }
  }
  return createTrustAnchors(values as DidKey[]);
}

/** Parses a duration: `90s`, `30m`, `24h`, `7d`, or milliseconds. */
export function parseDuration(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(text);
  if (m === null) throw new UsageError(`${flag} expects a duration like 90s, 30m, 24h or 7d, got "${text}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
  const ms = Number(m[1]) * unit;
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new UsageError(`${flag} out of range`);
  return ms;
}

/** Parses a positive integer flag. */
export function parseCount(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 0 || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${flag} expects a non-negative integer, got "${text}"`);
  }
  return Number(text);
}
