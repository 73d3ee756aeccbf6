/**
 * Passphrase encryption of a private JWK: scrypt (RFC 7914) derives a 256-bit
 * key, AES-256-GCM (WebCrypto) seals the JWK; every parameter is stored beside
 * the ciphertext and authenticated as additional data, so none can be swapped.
 * Runtime-neutral (WebCrypto and @noble/hashes), used by the Node file store.
 */
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { fromBase64Url, fromUtf8, randomBytes, toBase64Url, utf8, canonicalize } from '@agentguard/statement';
import { IdentityError } from '../errors.js';

/** scrypt cost parameters. */
export interface ScryptParams {
  /** CPU/memory cost, a power of two from 2^10 to 2^20. @default 131072 (2^17, OWASP's minimum) */
  readonly N?: number;
  /** Block size, 1 to 32. @default 8 */
  readonly r?: number;
  /** Parallelism, 1 to 16. @default 1 */
  readonly p?: number;
}

/** The stored form of an encrypted key. */
export interface EncryptedKeyFile {
  readonly agentguard: 'encrypted-key';
  readonly v: 1;
  readonly kid: string;
  readonly kdf: {
    readonly alg: 'scrypt';
    readonly N: number;
    readonly r: number;
    readonly p: number;
    readonly salt: string;
  };
  readonly enc: { readonly alg: 'A256GCM'; readonly iv: string };
  readonly ciphertext: string;
}

function format(message: string): never {
  throw new IdentityError('ERR_IDENTITY_KEYSTORE_FORMAT', message);
}

function checkParams(N: unknown, r: unknown, p: unknown): { N: number; r: number; p: number } {
  const pow2 = typeof N === 'number' && Number.isInteger(N) && N >= 1024 && N <= 1_048_576 && (N & (N - 1)) === 0;
  if (!pow2) throw new RangeError(`scrypt "N" expected a power of two from 2^10 to 2^20, got ${String(N)}`);
  if (!Number.isInteger(r) || (r as number) < 1 || (r as number) > 32)
    throw new RangeError('scrypt "r" expected 1 to 32');
  if (!Number.isInteger(p) || (p as number) < 1 || (p as number) > 16)
    throw new RangeError('scrypt "p" expected 1 to 16');
  return { N: N as number, r: r as number, p: p as number };
}

function passphraseBytes(passphrase: string): Uint8Array {
  if (typeof passphrase !== 'string' || passphrase.length === 0)
    throw new TypeError('"passphrase" expected a non-empty string');
  // NFC so the same passphrase typed on two systems derives the same key.
  return utf8(passphrase.normalize('NFC'));
}

async function aesKey(passphrase: string, salt: Uint8Array, N: number, r: number, p: number) {
  const raw = await scryptAsync(passphraseBytes(passphrase), salt, { N, r, p, dkLen: 32, maxmem: 2 ** 31 });
  return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

function aad(file: Omit<EncryptedKeyFile, 'ciphertext'>): Uint8Array {
  return utf8(canonicalize({ agentguard: file.agentguard, v: file.v, kid: file.kid, kdf: file.kdf, enc: file.enc }));
}

/** Encrypts the JSON text of a private JWK under `passphrase`. @internal */
export async function encryptKey(
  jwkText: string,
  kid: string,
  passphrase: string,
  params: ScryptParams = {},
): Promise<EncryptedKeyFile> {
  const { N, r, p } = checkParams(params.N ?? 131_072, params.r ?? 8, params.p ?? 1);
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const header = {
    agentguard: 'encrypted-key' as const,
    v: 1 as const,
    kid,
    kdf: { alg: 'scrypt' as const, N, r, p, salt: toBase64Url(salt) },
    enc: { alg: 'A256GCM' as const, iv: toBase64Url(iv) },
  };
  const key = await aesKey(passphrase, salt, N, r, p);
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad(header) }, key, utf8(jwkText));
  return { ...header, ciphertext: toBase64Url(new Uint8Array(sealed)) };
}

/** Whether parsed file content looks like an encrypted key. @internal */
export function isEncryptedKeyFile(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && (value as Record<string, unknown>).agentguard === 'encrypted-key'
  );
}

/**
 * Decrypts an encrypted key file to the JSON text of its private JWK.
 * @throws IdentityError `ERR_IDENTITY_KEYSTORE_FORMAT` (malformed, parameters out of bounds) or
 *   `ERR_IDENTITY_KEYSTORE_PASSPHRASE` (wrong passphrase, or the file was altered: GCM cannot tell them apart).
 * @internal
 */
export async function decryptKey(value: unknown, passphrase: string): Promise<string> {
  const f = value as Record<string, unknown>;
  const keys = Object.keys(f).sort().join(',');
  if (keys !== 'agentguard,ciphertext,enc,kdf,kid,v' || f.v !== 1 || typeof f.kid !== 'string') {
    format('encrypted key file: unexpected members or version');
  }
  const kdf = f.kdf as Record<string, unknown>;
  const enc = f.enc as Record<string, unknown>;
  if (typeof kdf !== 'object' || kdf === null || kdf.alg !== 'scrypt' || Object.keys(kdf).length !== 5) {
    format('encrypted key file: "kdf" expected scrypt parameters');
  }
  if (typeof enc !== 'object' || enc === null || enc.alg !== 'A256GCM' || Object.keys(enc).length !== 2) {
    format('encrypted key file: "enc" expected A256GCM');
  }
  let params: { N: number; r: number; p: number };
  let salt: Uint8Array;
  let iv: Uint8Array;
  let ciphertext: Uint8Array;
  try {
    // Bounds before any work: a hostile file must not make us allocate gigabytes.
    params = checkParams(kdf.N, kdf.r, kdf.p);
    salt = fromBase64Url(kdf.salt as string);
    iv = fromBase64Url(enc.iv as string);
    ciphertext = fromBase64Url(f.ciphertext as string);
  } catch (cause) {
    throw new IdentityError('ERR_IDENTITY_KEYSTORE_FORMAT', `encrypted key file: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (salt.length < 16 || iv.length !== 12 || ciphertext.length < 17 || ciphertext.length > 4096) {
    format('encrypted key file: salt, iv or ciphertext has the wrong length');
  }
  const key = await aesKey(passphrase, salt, params.N, params.r, params.p);
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv, additionalData: aad(f as unknown as EncryptedKeyFile) },
      key,
      ciphertext,
    );
  } catch (cause) {
    throw new IdentityError('ERR_IDENTITY_KEYSTORE_PASSPHRASE', 'wrong passphrase, or the key file was altered', {
      cause,
    });
  }
  return fromUtf8(new Uint8Array(plain));
}
