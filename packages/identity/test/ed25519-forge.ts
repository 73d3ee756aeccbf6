/**
 * Builds adversarial Ed25519 inputs that the shared vectors lack: small-order
 * keys and R values, torsion components, non-canonical encodings. Test-only;
 * uses noble's point arithmetic directly, as an attacker would.
 */
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';

ed.hashes.sha512 = sha512;

export const L = ed.Point.CURVE().n;
export const G = ed.Point.BASE;
export const Point = ed.Point;

export function numberToLE(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = n;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function leToNumber(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] as number);
  return n;
}

/** k = SHA-512(R || A || M) mod L (RFC 8032 §5.1.7 step 2). */
export function challenge(r: Uint8Array, a: Uint8Array, message: Uint8Array): bigint {
  const buf = new Uint8Array(64 + message.length);
  buf.set(r, 0);
  buf.set(a, 32);
  buf.set(message, 64);
  return leToNumber(sha512(buf)) % L;
}

/** A point of order 8 (generator of the torsion subgroup). */
export const T8 = ed.Point.fromBytes(
  Uint8Array.from(Buffer.from('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', 'hex')),
  false,
);

/** The canonical encodings of all 8 points of small order: [i]T8 for i in 0..7. */
export const SMALL_ORDER_ENCODINGS: Uint8Array[] = Array.from({ length: 8 }, (_, i) =>
  i === 0 ? ed.Point.ZERO.toBytes() : T8.multiply(BigInt(i), false).toBytes(),
);

export function signature(r: Uint8Array, s: bigint): Uint8Array {
  const out = new Uint8Array(64);
  out.set(r, 0);
  out.set(numberToLE(s), 32);
  return out;
}

/** Signs with a raw scalar `a` for key bytes `keyBytes` (which may carry a torsion component). */
export function signWithScalar(a: bigint, keyBytes: Uint8Array, message: Uint8Array, nonce = 12345n): Uint8Array {
  const r = G.multiply(nonce).toBytes();
  const k = challenge(r, keyBytes, message);
  return signature(r, (nonce + k * a) % L);
}

/** Encodes y = p + delta with the top bit: a non-canonical y (only valid for 0 <= delta < 19). */
export function nonCanonicalY(delta: number, signBit = false): Uint8Array {
  const p = 2n ** 255n - 19n;
  const bytes = numberToLE(p + BigInt(delta));
  if (signBit) bytes[31] = (bytes[31] as number) | 0x80;
  return bytes;
}

/**
 * A signature by scalar `a` (key [a]B, no torsion) whose R carries a torsion
 * component: R = [nonce]B + [i]T8, S = nonce + k * a. A cofactored verifier
 * accepts it ([8] kills the torsion); a cofactorless one does not.
 */
export function signWithTorsionR(a: bigint, message: Uint8Array, i: bigint, nonce = 777n): Uint8Array {
  const key = G.multiply(a).toBytes();
  const r = G.multiply(nonce).add(T8.multiply(i, false)).toBytes();
  const k = challenge(r, key, message);
  return signature(r, (nonce + k * a) % L);
}
