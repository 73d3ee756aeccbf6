/**
 * A persistent agent identity: the key comes from an environment variable
 * holding a private JWK, or from a key file that is created on first use
 * (through the hardened file store: O_EXCL, O_NOFOLLOW, mode 0600) and loaded on
 * every later run. Node only: exported from `@agentguard/identity/node`.
 */
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes, toHex } from '@agentguard/statement';
import { IdentityError } from '../errors.js';
import { type AgentIdentity, createIdentity, identityFromJwk } from '../key/identity.js';
import { parseJsonOrThrow as parseJson } from '../statement-errors.js';
import type { ScryptParams } from './crypto.js';
import { loadKeyFile, saveKeyFile } from './file.js';

/** Options of {@link loadOrCreateIdentity}. */
export interface LoadOrCreateIdentityOptions {
  /** The key file: loaded when it exists, created (mode 0600, parent directories 0700) when it does not. */
  readonly path: string;
  /** Human-readable agent name. @default the did:key id */
  readonly name?: string;
  /** Encrypts a new key file / decrypts an existing one. @default none: the JWK is stored in clear (mode 0600) */
  readonly passphrase?: string;
  /** scrypt cost when a new file is encrypted. @default { N: 2^17, r: 8, p: 1 } */
  readonly scrypt?: ScryptParams;
  /**
   * Name of an environment variable holding the private JWK as JSON. When it is set (non-empty) the
   * identity comes from it and the file is neither read nor written: how a container or CI job gets
   * its key from a secret store.
   * @default none: only the file is used
   */
  readonly env?: string;
  /** The environment read for `env`. @default process.env */
  readonly environment?: Readonly<Record<string, string | undefined>>;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * Loads an identity from the private JWK in an environment variable.
 *
 * @returns the identity, or `undefined` when the variable is unset or empty.
 * @throws IdentityError `ERR_IDENTITY_JWK_INVALID`/`ERR_IDENTITY_JSON_*` when it is set but not a private Ed25519 JWK
 *   (the message never contains its value); TypeError on misuse.
 * @example
 * ```ts
 * // AGENTGUARD_AGENT_JWK='{"kty":"OKP","crv":"Ed25519","x":"…","d":"…"}'
 * const agent = identityFromEnv('AGENTGUARD_AGENT_JWK', { name: 'billing-agent' }) ?? createIdentity();
 * ```
 */
export function identityFromEnv(
  variable: string,
  options: { readonly name?: string; readonly environment?: Readonly<Record<string, string | undefined>> } = {},
): AgentIdentity | undefined {
  if (typeof variable !== 'string' || !ENV_NAME.test(variable)) {
    throw new TypeError('"variable" expected an environment variable name ([A-Za-z_][A-Za-z0-9_]*)');
  }
  const value = (options.environment ?? process.env)[variable];
  if (value === undefined || value === '') return undefined;
  let jwk: unknown;
  try {
    jwk = parseJson(value, { maxBytes: 4096, maxDepth: 2 });
  } catch (cause) {
    // The value is a secret: name the variable, never echo its content.
    throw new IdentityError('ERR_IDENTITY_JWK_INVALID', `environment variable ${variable} is not a JSON private JWK`, {
      cause,
    });
  }
  return identityFromJwk(jwk, options.name === undefined ? {} : { name: options.name });
}

function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

/**
 * Keeps an agent's identity across runs: the key in the environment variable `env` when that is set,
 * else the key file at `path`, created on first use. Safe when several processes start at once: the
 * new key is written completely to a private temporary file beside `path` (O_EXCL, 0600) and then
 * hard-linked to `path`, which fails if anything is there; the loser of that race discards its key
 * and loads the winner's, so every process ends up with the same identity and no reader ever sees a
 * half-written file. An existing file is loaded with all of {@link loadKeyFile}'s checks.
 *
 * @returns the identity (the same did:key on every run).
 * @throws IdentityError `ERR_IDENTITY_KEYSTORE_PERMISSIONS` (the file is group/world-accessible, a symlink, not
 *   owned by this user), `ERR_IDENTITY_KEYSTORE_PASSPHRASE`, `ERR_IDENTITY_KEYSTORE_FORMAT`, `ERR_IDENTITY_JWK_INVALID`;
 *   Node errors when the directory cannot be created or written; TypeError on misuse.
 * @example
 * ```ts
 * import { loadOrCreateIdentity } from '@agentguard/identity/node';
 * const agent = await loadOrCreateIdentity({ path: '.agentguard/agent.jwk', name: 'billing-agent' });
 * console.log(agent.id); // the same did:key on every run: put it in your trust file
 * ```
 */
export async function loadOrCreateIdentity(options: LoadOrCreateIdentityOptions): Promise<AgentIdentity> {
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  const { path, name, passphrase } = options;
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('"path" expected a non-empty string');
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
    throw new TypeError('"name" expected a non-empty string');
  }
  const named = name === undefined ? {} : { name };
  if (options.env !== undefined) {
    const environment = options.environment === undefined ? {} : { environment: options.environment };
    const fromEnv = identityFromEnv(options.env, { ...named, ...environment });
    if (fromEnv !== undefined) return fromEnv;
  }
  const load = () => loadKeyFile(path, { ...named, ...(passphrase === undefined ? {} : { passphrase }) });
  try {
    return await load();
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
  }
  await fs.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const identity = createIdentity(named);
  const temporary = join(dirname(path), `.${basename(path)}.${toHex(randomBytes(8))}.tmp`);
  await saveKeyFile(temporary, identity, {
    ...(passphrase === undefined ? {} : { passphrase }),
    ...(options.scrypt === undefined ? {} : { scrypt: options.scrypt }),
  });
  try {
    // link(2) never follows or replaces what is at `path` (file, symlink, dangling symlink): EEXIST.
    await fs.link(temporary, path);
  } catch (error) {
    if (!isErrno(error, 'EEXIST')) throw error;
    return load(); // another process created it first: use its key
  } finally {
    await fs.rm(temporary, { force: true });
  }
  return identity;
}
