/**
 * Byte-level checks of strict Ed25519 verification, shared by every backend so
 * that they all accept exactly the same signatures. Internal to ed25519.ts.
 *
 * The rules (RFC 8032 §5.1.7 and §8.4, as libsodium applies them):
 * - S is below the group order L (no malleability, RFC 8032 §5.1.7 step 1);
 * - A and R are canonical encodings: y < p (RFC 8032 §5.1.3 step 1);
 * - A and R are not points of small order (the 8 torsion points): a small-order
 *   key lets anyone forge a signature that verifies on many messages, and a
 *   small-order R lets a signer make signatures that verifiers judge differently.
 * Then the cofactorless equation [S]B = R + [k]A is checked by comparing the
 * encoding of [S]B - [k]A with R, as OpenSSL and libsodium do.
 *
 * These checks are on bytes only: no point arithmetic, so they cost nothing
 * next to the verification itself.
 */

// L = 2^252 + 27742317777372353535851937790883648493, little-endian (RFC 8032 §5.1).
const GROUP_ORDER_LE = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0x10,
]);

/**
 * The y coordinates (sign bit cleared) of the 8 points of small order, as in
 * libsodium's blocklist: 0 (the two points of order 4), 1 (the identity),
 * p - 1 (order 2) and the two y values of the four points of order 8. Their
 * non-canonical aliases (p, p + 1) are already refused by the y < p check.
 */
const SMALL_ORDER_Y: readonly Uint8Array[] = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
].map((hex) => Uint8Array.from({ length: 32 }, (_, i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)));

/** Whether the 32-byte little-endian scalar at `bytes[offset..]` is below L. */
export function isCanonicalScalar(bytes: Uint8Array, offset: number): boolean {
  for (let i = 31; i >= 0; i--) {
    const b = bytes[offset + i] as number;
    const l = GROUP_ORDER_LE[i] as number;
    if (b < l) return true;
    if (b > l) return false;
  }
  return false; // equal to L
}

/** Whether y (sign bit cleared) of the point encoding at `bytes[offset..]` is below p = 2^255 - 19. */
export function isCanonicalY(bytes: Uint8Array, offset: number): boolean {
  if (((bytes[offset + 31] as number) & 0x7f) !== 0x7f) return true;
  for (let i = 30; i >= 1; i--) if (bytes[offset + i] !== 0xff) return true;
  return (bytes[offset] as number) < 0xed;
}

/** Whether the point encoding at `bytes[offset..]` has the y of a point of small order. */
export function hasSmallOrderY(bytes: Uint8Array, offset: number): boolean {
  outer: for (const y of SMALL_ORDER_Y) {
    for (let i = 0; i < 31; i++) if (bytes[offset + i] !== y[i]) continue outer;
    if (((bytes[offset + 31] as number) & 0x7f) === y[31]) return true;
  }
  return false;
}

/** A point encoding that strict verification accepts for A or R: canonical, not of small order. */
export function isStrictPointEncoding(bytes: Uint8Array, offset = 0): boolean {
  return isCanonicalY(bytes, offset) && !hasSmallOrderY(bytes, offset);
}

/**
 * The checks of a 64-byte signature and a 32-byte key that come before the
 * group equation. Whether A is on the curve at all is left to the backend.
 */
export function passesStrictEncodingChecks(signature: Uint8Array, publicKey: Uint8Array): boolean {
  return isCanonicalScalar(signature, 32) && isStrictPointEncoding(signature, 0) && isStrictPointEncoding(publicKey, 0);
}
