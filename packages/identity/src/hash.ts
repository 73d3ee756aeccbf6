import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { assertUint8Array, toHex } from './bytes.js';

/**
 * SHA-256 of `bytes` (FIPS 180-4).
 *
 * @throws TypeError on non-Uint8Array input.
 */
export function sha256(bytes: Uint8Array): Uint8Array {
  assertUint8Array(bytes, 'bytes');
  return nobleSha256(bytes);
}

/**
 * Lower-case hex SHA-256 of `bytes`.
 *
 * @throws TypeError on non-Uint8Array input.
 */
export function sha256Hex(bytes: Uint8Array): string {
  return toHex(sha256(bytes));
}
