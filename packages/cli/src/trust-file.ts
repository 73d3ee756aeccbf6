/**
 * `--trust-file <path>`: reads a trust file (docs/formats/trust-file.md) and
 * merges its agent, log and operator keys with the `--trust` flags. Kept apart from the
 * commands so any command that anchors a log can take the same option.
 */
import { resolve } from 'node:path';
import {
  IdentityError,
  MAX_TRUST_FILE_BYTES,
  parseTrustFile,
  type TrustFile,
  type TrustRole,
  trustedIds,
} from '@agentguard/identity';
import { type CommandIO, InputError } from './command.js';
import { readBoundedFile } from './read-input.js';

/** Usage text of the option, for a command's help. */
export const TRUST_FILE_USAGE = `  --trust-file <path>  a trust file (JSON, docs/formats/trust-file.md) listing
                       trusted keys with their roles; its "agent", "log" and
                       "operator" keys are trusted as if each were given with
                       --trust, and its "log" keys are also the log keys
                       (--log-key).`;

/**
 * Reads and parses the trust file at `path`.
 *
 * @throws InputError (exit 2) when the file cannot be read or is not a valid trust file.
 */
export async function loadTrustFile(path: string, io: CommandIO): Promise<{ file: TrustFile; absolute: string }> {
  const absolute = resolve(io.cwd, path);
  let text: string;
  try {
    const bytes = await readBoundedFile(absolute, MAX_TRUST_FILE_BYTES, 'trust file');
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    if (cause instanceof InputError) throw cause;
    const code = (cause as { code?: unknown }).code;
    throw new InputError(`cannot read trust file ${absolute}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
  try {
    return { file: parseTrustFile(text), absolute };
  } catch (cause) {
    if (!(cause instanceof IdentityError)) throw cause;
    throw new InputError(`trust file ${absolute}: ${cause.code}: ${cause.message}`);
  }
}

/**
 * The keys to trust: the `--trust` values plus the ids with one of `roles` in the trust file at `path`.
 *
 * @returns `undefined` when neither gives a key (the log is then checked but not anchored).
 * @throws InputError (exit 2) when the file cannot be read or is not a valid trust file, or when it
 *   names no key with one of `roles` (an anchor that trusts nobody would fail every record, confusingly).
 */
export async function mergeTrustFile(
  trust: readonly string[] | undefined,
  path: string | undefined,
  io: CommandIO,
  roles: readonly TrustRole[] = ['agent', 'log', 'operator'],
): Promise<string[] | undefined> {
  if (path === undefined) return trust === undefined ? undefined : [...trust];
  const { file, absolute } = await loadTrustFile(path, io);
  const ids = trustedIds(file, roles);
  if (ids.length === 0) throw new InputError(`trust file ${absolute} lists no key with role ${roles.join(' or ')}`);
  return [...new Set([...(trust ?? []), ...ids])];
}

/**
 * The keys a log is checked with, from `--trust`, `--log-key` and `--trust-file` (its `agent`, `log` and `operator` roles):
 * operator keys are trusted for records only, never as log keys;
 * `logKeys` (the only keys whose checkpoints count) and `trust` (every trusted key, log keys included), or
 * `trust` undefined when none is given (the log is then checked but not anchored).
 *
 * @throws InputError (exit 2) as {@link mergeTrustFile}; UsageError from the did:key parser on a bad key.
 */
export async function logTrust(
  values: {
    readonly trust?: readonly string[];
    readonly 'log-key'?: readonly string[];
    readonly 'trust-file'?: string;
  },
  io: CommandIO,
  parse: (values: readonly string[] | undefined) => string[] | undefined,
): Promise<{ trust: string[] | undefined; logKeys: string[] }> {
  const flagLogKeys = parse(values['log-key']) ?? [];
  const path = values['trust-file'];
  const file = path === undefined ? undefined : (await loadTrustFile(path, io)).file;
  const fileLogKeys = file === undefined ? [] : trustedIds(file, ['log']);
  const operators = new Set<string>(file === undefined ? [] : trustedIds(file, ['operator']));
  const given = await mergeTrustFile(parse(values.trust), path, io);
  let logKeys = [...new Set([...flagLogKeys, ...fileLogKeys])];
  const trust = given === undefined && logKeys.length === 0 ? undefined : [...new Set([...(given ?? []), ...logKeys])];
  // An operator key signs records, never checkpoints: with no log key named, the keys that may sign checkpoints
  // are every trusted key but the file's operator keys (unless one of them is also named a log key).
  if (logKeys.length === 0 && operators.size > 0 && trust !== undefined) {
    logKeys = trust.filter((id) => !operators.has(id));
    if (logKeys.length === 0) {
      throw new InputError(
        `trust file ${path} names operator keys only: no key may sign the log's checkpoints; name the log's key (role "log") or give --log-key`,
      );
    }
  }
  return { trust, logKeys };
}
