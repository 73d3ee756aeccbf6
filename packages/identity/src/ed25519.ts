/**
 * The one module that signs and verifies with Ed25519. Everything else in
 * AgentGuard goes through `sign` and `verify` here; the backends beside it
 * (ed25519-noble.ts, ed25519-node.ts) are internal to this module.
 *
 * Verification is strict RFC 8032 §5.1.7 (not ZIP-215), identical on every
 * backend: S < L, A and R canonical and not of small order, then the
 * cofactorless equation [S]B = R + [k]A (see ed25519-strict.ts).
 */
import { passesStrictEncodingChecks, isStrictPointEncoding } from './ed25519-strict.js';
import { decodePoint, noblePublicKeyOf, nobleSign, nobleVerify } from './ed25519-noble.js';
import { IdentityError } from './errors.js';

/** Length in bytes of an Ed25519 secret key (the RFC 8032 seed). */
export const SECRET_KEY_LENGTH = 32;
/** Length in bytes of an Ed25519 public key. */
export const PUBLIC_KEY_LENGTH = 32;
/** Length in bytes of an Ed25519 signature. */
export const SIGNATURE_LENGTH = 64;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function assertBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`"${name}" expected Uint8Array, got ${describe(value)}`);
}

function assertKey(value: unknown, length: number, name: string): asserts value is Uint8Array {
  assertBytes(value, name);
  if (value.length !== length) {
    throw new IdentityError('ERR_KEY_INVALID', `"${name}" expected ${length} bytes, got ${value.length}`);
  }
}

/**
 * A fresh secret key (32-byte seed) from the platform CSPRNG (`crypto.getRandomValues`).
 *
 * @returns 32 random bytes; treat them as a secret.
 */
export function generateSecretKey(): Uint8Array {
  const out = new Uint8Array(SECRET_KEY_LENGTH);
  crypto.getRandomValues(out);
  return out;
}

/**
 * The public key of a 32-byte secret key (RFC 8032 §5.1.5).
 *
 * @param secretKey - the 32-byte seed.
 * @returns the 32-byte public key.
 * @throws TypeError when `secretKey` is not a Uint8Array; IdentityError `ERR_KEY_INVALID` when it is not 32 bytes.
 */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  assertKey(secretKey, SECRET_KEY_LENGTH, 'secretKey');
  return noblePublicKeyOf(secretKey);
}

/**
 * Signs `message` with `secretKey` (RFC 8032 §5.1.6; deterministic, so the same
 * inputs always give the same signature on every backend).
 *
 * @param message - the exact bytes to sign.
 * @param secretKey - the 32-byte seed.
 * @returns the 64-byte signature.
 * @throws TypeError on non-Uint8Array input; IdentityError `ERR_KEY_INVALID` when `secretKey` is not 32 bytes.
 * @example
 * ```ts
 * const secretKey = generateSecretKey();
 * const signature = sign(utf8('hello'), secretKey);
 * verify(signature, utf8('hello'), publicKeyOf(secretKey)); // true
 * ```
 */
export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  assertBytes(message, 'message');
  assertKey(secretKey, SECRET_KEY_LENGTH, 'secretKey');
  return nobleSign(message, secretKey);
}

/**
 * Checks `signature` over `message` under `publicKey`, strictly (RFC 8032
 * §5.1.7, not ZIP-215): S must be below the group order, A and R canonical and
 * not of small order, and [S]B = R + [k]A must hold.
 *
 * Returns false for every malformed input of the right type (wrong lengths,
 * invalid points, hostile bytes); never throws on them.
 *
 * @param signature - the 64-byte signature.
 * @param message - the signed bytes.
 * @param publicKey - the 32-byte public key.
 * @returns whether the signature is valid.
 * @throws TypeError when an argument is not a Uint8Array.
 */
export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  assertBytes(signature, 'signature');
  assertBytes(message, 'message');
  assertBytes(publicKey, 'publicKey');
  if (signature.length !== SIGNATURE_LENGTH || publicKey.length !== PUBLIC_KEY_LENGTH) return false;
  // Copy the small inputs so they cannot change between the checks and their use.
  const sig = signature.slice();
  const key = publicKey.slice();
  if (!passesStrictEncodingChecks(sig, key)) return false;
  try {
    return nobleVerify(sig, message, key);
  } catch {
    return false;
  }
}

/**
 * Whether `publicKey` is a key that strict verification can accept: 32 bytes,
 * a canonical encoding of a curve point, and not of small order.
 *
 * @param publicKey - candidate public key bytes.
 * @returns true when valid; false for anything else (never throws).
 */
export function isValidPublicKey(publicKey: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_LENGTH) return false;
  return isStrictPointEncoding(publicKey) && decodePoint(publicKey) !== null;
}
