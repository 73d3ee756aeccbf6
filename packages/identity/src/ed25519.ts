/**
 * The one module that talks to an Ed25519 implementation. Everything else in
 * AgentGuard signs and verifies through `sign` and `verify` here.
 *
 * Verification is strict RFC 8032 §5.1.7 (not ZIP-215): S must be below the
 * group order, A and R must be canonical encodings, and public keys of small
 * order are refused.
 */
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { IdentityError } from './errors.js';

ed.hashes.sha512 = sha512;

/** Length in bytes of an Ed25519 secret key (seed), public key and signature. */
export const SECRET_KEY_LENGTH = 32;
export const PUBLIC_KEY_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;

function assertBytes(value: unknown, length: number, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`"${name}" expected Uint8Array, got ${value === null ? 'null' : typeof value}`);
  }
  if (value.length !== length) {
    throw new IdentityError('ERR_KEY_INVALID', `"${name}" expected ${length} bytes, got ${value.length}`);
  }
}

/** A fresh secret key (32-byte seed) from the platform CSPRNG. */
export function generateSecretKey(): Uint8Array {
  return ed.utils.randomSecretKey();
}

/** The public key of a 32-byte secret key. */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  assertBytes(secretKey, SECRET_KEY_LENGTH, 'secretKey');
  return ed.getPublicKey(secretKey);
}

/** Signs `message` with `secretKey` (RFC 8032 §5.1.6, deterministic). */
export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (!(message instanceof Uint8Array)) throw new TypeError('"message" expected Uint8Array');
  assertBytes(secretKey, SECRET_KEY_LENGTH, 'secretKey');
  return ed.sign(message, secretKey);
}

/**
 * Checks `signature` over `message` under `publicKey`, strictly (RFC 8032).
 * Returns false for every malformed input of the right type; never throws on
 * hostile bytes.
 */
export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || !(message instanceof Uint8Array) || !(publicKey instanceof Uint8Array)) {
    throw new TypeError('"signature", "message" and "publicKey" expected Uint8Array');
  }
  if (signature.length !== SIGNATURE_LENGTH || publicKey.length !== PUBLIC_KEY_LENGTH) return false;
  try {
    return ed.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** Whether `publicKey` decodes to a valid curve point (canonical encoding). */
export function isValidPublicKey(publicKey: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_LENGTH) return false;
  try {
    const point = ed.Point.fromBytes(publicKey, false);
    // A small-order key lets anyone forge signatures that verify under it.
    return !point.isSmallOrder();
  } catch {
    return false;
  }
}
