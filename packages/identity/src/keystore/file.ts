/**
 * A key store on disk: one private JWK per file, created owner-only (0600, with
 * O_EXCL so an existing file or a planted symlink is never written through), and
 * refused on load when group- or world-accessible. Optional passphrase
 * encryption (scrypt + AES-256-GCM). Node only: exported from
 * `@agentguard/identity/node`.
 */
import { constants, promises as fs } from 'node:fs';
import { canonicalize } from '@agentguard/statement';
import { IdentityError } from '../errors.js';
import { type AgentIdentity, identityFromJwk } from '../key/identity.js';
import { parseJsonOrThrow as parseJson } from '../statement-errors.js';
import { decryptKey, encryptKey, isEncryptedKeyFile, type ScryptParams } from './crypto.js';

/** Options of {@link saveKeyFile}. */
export interface SaveKeyFileOptions {
  /** Encrypt the key under this passphrase. @default none: the JWK is stored in clear (mode 0600) */
  readonly passphrase?: string;
  /** scrypt cost when encrypting. @default { N: 2^17, r: 8, p: 1 } */
  readonly scrypt?: ScryptParams;
}

/** Options of {@link loadKeyFile}. */
export interface LoadKeyFileOptions {
  /** Passphrase of an encrypted key file. @default none (an encrypted file then fails with ERR_IDENTITY_KEYSTORE_PASSPHRASE) */
  readonly passphrase?: string;
  /** Name of the loaded identity. @default the did:key */
  readonly name?: string;
}

const MAX_FILE = 16_384;

/**
 * Writes `identity`'s private key to a new file at `path`, mode 0600. Never overwrites.
 *
 * @throws a Node `EEXIST` error when the path exists (also a symlink); TypeError on misuse.
 * @example
 * ```ts
 * await saveKeyFile('agent.jwk', createIdentity(), { passphrase: process.env.KEY_PASSPHRASE });
 * const agent = await loadKeyFile('agent.jwk', { passphrase: process.env.KEY_PASSPHRASE });
 * ```
 */
export async function saveKeyFile(
  path: string,
  identity: AgentIdentity,
  options: SaveKeyFileOptions = {},
): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('"path" expected a non-empty string');
  if (typeof identity?.exportPrivateJwk !== 'function') throw new TypeError('"identity" expected an AgentIdentity');
  const jwk = identity.exportPrivateJwk();
  const body =
    options.passphrase === undefined
      ? canonicalize(jwk)
      : canonicalize(await encryptKey(canonicalize(jwk), identity.keyId, options.passphrase, options.scrypt));
  // O_EXCL: fail if anything (file or symlink) is there; O_NOFOLLOW for good measure.
  const handle = await fs.open(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    await handle.chmod(0o600); // the umask can only have removed bits; make it exact anyway
    await handle.writeFile(`${body}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Loads an identity from a key file written by {@link saveKeyFile} (or any RFC 8037 private JWK file).
 *
 * @throws IdentityError `ERR_IDENTITY_KEYSTORE_PERMISSIONS` when the file is not a regular file owned by this
 *   user with no group/other permission bits; `ERR_IDENTITY_KEYSTORE_PASSPHRASE` on a missing or wrong passphrase;
 *   `ERR_IDENTITY_KEYSTORE_FORMAT`/`ERR_IDENTITY_JWK_INVALID`/`ERR_IDENTITY_JSON_*` on malformed content.
 */
export async function loadKeyFile(path: string, options: LoadKeyFileOptions = {}): Promise<AgentIdentity> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('"path" expected a non-empty string');
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (cause) {
    if ((cause as { code?: string }).code === 'ELOOP') {
      throw new IdentityError('ERR_IDENTITY_KEYSTORE_PERMISSIONS', `key file "${path}" is a symbolic link`, { cause });
    }
    throw cause;
  }
  let text: string;
  try {
    // fstat on the opened handle: the checked file is the read file (no TOCTOU through rename).
    const stat = await handle.stat();
    if (!stat.isFile())
      throw new IdentityError('ERR_IDENTITY_KEYSTORE_PERMISSIONS', `key file "${path}" is not a regular file`);
    if ((stat.mode & 0o077) !== 0) {
      throw new IdentityError(
        'ERR_IDENTITY_KEYSTORE_PERMISSIONS',
        `key file "${path}" has mode ${(stat.mode & 0o777).toString(8)}, expected no group/other access (chmod 600)`,
      );
    }
    const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
    if (uid !== undefined && stat.uid !== uid) {
      throw new IdentityError(
        'ERR_IDENTITY_KEYSTORE_PERMISSIONS',
        `key file "${path}" is owned by uid ${stat.uid}, not ${uid}`,
      );
    }
    if (stat.size > MAX_FILE)
      throw new IdentityError('ERR_IDENTITY_KEYSTORE_FORMAT', `key file "${path}" is too large`);
    text = await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
  const value = parseJson(text, { maxBytes: MAX_FILE, maxDepth: 4 });
  let jwk: unknown = value;
  if (isEncryptedKeyFile(value)) {
    if (options.passphrase === undefined) {
      throw new IdentityError(
        'ERR_IDENTITY_KEYSTORE_PASSPHRASE',
        `key file "${path}" is encrypted: a passphrase is required`,
      );
    }
    jwk = parseJson(await decryptKey(value, options.passphrase), { maxBytes: MAX_FILE, maxDepth: 2 });
  }
  return identityFromJwk(jwk, options.name === undefined ? {} : { name: options.name });
}
