/**
 * The pure-JS Ed25519 backend (`@noble/ed25519`), used where `node:crypto` is
 * not available (browsers, edge runtimes) and as the reference in tests.
 * Internal to ed25519.ts.
 *
 * Signing is noble's RFC 8032 §5.1.6 (deterministic, so bit for bit the same as
 * OpenSSL). Verification does not use noble's `verify`: that one checks the
 * cofactored equation [8][S]B = [8]R + [8][k]A, which accepts some signatures
 * (R with a torsion component) that OpenSSL's cofactorless check refuses. Here
 * the cofactorless check is done on noble's points, so both backends agree on
 * every input (RFC 8032 §5.1.7 allows either equation; agreement is what matters).
 */
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';

// noble's synchronous API needs a SHA-512; setting it is idempotent.
ed.hashes.sha512 = sha512;

const { n: L } = ed.Point.CURVE();
const G = ed.Point.BASE;
const MAX_CACHED_POINTS = 1024;
const points = new Map<string, ed.Point | null>();

function bytesToNumberLE(bytes: Uint8Array, from: number, to: number): bigint {
  let n = 0n;
  for (let i = to - 1; i >= from; i--) n = (n << 8n) | BigInt(bytes[i] as number);
  return n;
}

/** Latin-1 string of bytes, used as a cache key (public keys only). */
export function cacheKey(bytes: Uint8Array): string {
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/**
 * The decoded point of a 32-byte encoding (strict RFC 8032 §5.1.3 decoding), or
 * null when it is not a point. Decoding takes a square root, so results are kept
 * in a bounded LRU cache (public data only).
 */
export function decodePoint(encoding: Uint8Array): ed.Point | null {
  const key = cacheKey(encoding);
  const hit = points.get(key);
  if (hit !== undefined) {
    points.delete(key);
    points.set(key, hit);
    return hit;
  }
  let point: ed.Point | null;
  try {
    point = ed.Point.fromBytes(encoding, false);
  } catch {
    point = null;
  }
  if (points.size >= MAX_CACHED_POINTS) points.delete(points.keys().next().value as string);
  points.set(key, point);
  return point;
}

/** The public key of a 32-byte seed (RFC 8032 §5.1.5). */
export function noblePublicKeyOf(secretKey: Uint8Array): Uint8Array {
  return ed.getPublicKey(secretKey);
}

/** Signs `message` with a 32-byte seed (RFC 8032 §5.1.6). */
export function nobleSign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed.sign(message, secretKey);
}

/**
 * The cofactorless group equation [S]B = R + [k]A, checked as
 * encode([S]B - [k]A) == R. Callers have already applied the strict encoding
 * checks (S < L, canonical and not small-order A and R).
 */
export function nobleVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  const A = decodePoint(publicKey);
  if (A === null) return false;
  const r = signature.subarray(0, 32);
  const h = sha512(concat(r, publicKey, message));
  const k = bytesToNumberLE(h, 0, 64) % L;
  const s = bytesToNumberLE(signature, 32, 64);
  const check = G.multiply(s, false).subtract(A.multiply(k, false)).toBytes();
  let diff = 0;
  for (let i = 0; i < 32; i++) diff |= (check[i] as number) ^ (r[i] as number);
  return diff === 0;
}

function concat(a: Uint8Array, b: Uint8Array, c: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length + c.length);
  out.set(a, 0);
  out.set(b, a.length);
  out.set(c, a.length + b.length);
  return out;
}
