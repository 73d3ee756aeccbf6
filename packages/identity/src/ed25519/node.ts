/**
 * The Node.js Ed25519 backend: OpenSSL through `node:crypto`, several times
 * faster than pure JS. Internal to ed25519.ts.
 *
 * `node:crypto` is reached through `process.getBuiltinModule` (Node 20.16+), not
 * a static import, so this package still loads in browsers and edge runtimes,
 * where the noble backend is used instead.
 *
 * OpenSSL's verify checks S < L and the cofactorless equation by comparing the
 * encoding of [S]B - [k]A with R, but accepts small-order keys and R (and
 * some non-canonical keys); ed25519.ts applies the shared byte checks of
 * ed25519-strict.ts first, so this backend gives the same answers as noble.
 */
import type * as NodeCrypto from 'node:crypto';

type Crypto = typeof NodeCrypto;
type KeyObject = NodeCrypto.KeyObject;

// Node accepts any ArrayBufferView as DER input; the casts only satisfy its typings,
// so no `Buffer` global is needed.
// DER prefixes of an Ed25519 SubjectPublicKeyInfo and PKCS #8 PrivateKeyInfo (RFC 8410 §4, §7).
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

/** Most public keys kept imported; re-importing on every call doubles verify time. */
export const MAX_CACHED_PUBLIC_KEYS = 1024;

/** A backend on top of `node:crypto`, or undefined where it is not available. */
export interface NodeBackend {
  publicKeyOf(secretKey: Uint8Array): Uint8Array;
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  /** Number of public keys currently imported (for tests). */
  cachedPublicKeys(): number;
}

function loadCrypto(): Crypto | undefined {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const mod = proc?.getBuiltinModule?.('node:crypto') as Crypto | undefined;
    return typeof mod?.sign === 'function' && typeof mod.createPublicKey === 'function' ? mod : undefined;
  } catch {
    return undefined;
  }
}

function der(prefix: Uint8Array, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + key.length);
  out.set(prefix, 0);
  out.set(key, prefix.length);
  return out;
}

/** Creates the node backend, or returns undefined when `node:crypto` (with Ed25519) is unavailable. */
export function createNodeBackend(): NodeBackend | undefined {
  const nc = loadCrypto();
  if (nc === undefined) return undefined;

  // Public keys: a bounded LRU keyed by the key bytes (public data).
  const publicKeys = new Map<string, KeyObject>();
  const publicKeyObject = (publicKey: Uint8Array): KeyObject => {
    const id = String.fromCharCode.apply(null, publicKey as unknown as number[]);
    const hit = publicKeys.get(id);
    if (hit !== undefined) {
      publicKeys.delete(id);
      publicKeys.set(id, hit);
      return hit;
    }
    const key = nc.createPublicKey({ key: der(SPKI_PREFIX, publicKey) as Buffer, format: 'der', type: 'spki' });
    if (publicKeys.size >= MAX_CACHED_PUBLIC_KEYS) publicKeys.delete(publicKeys.keys().next().value as string);
    publicKeys.set(id, key);
    return key;
  };

  // Secret keys: held only as long as the caller's array lives (WeakMap), never as
  // map keys made of secret bytes. A copy is kept to notice if the caller mutates
  // the array, in which case the key is imported again.
  const secretKeys = new WeakMap<Uint8Array, { readonly copy: Uint8Array; readonly key: KeyObject }>();
  const privateKeyObject = (secretKey: Uint8Array): KeyObject => {
    const hit = secretKeys.get(secretKey);
    if (hit !== undefined && equal(hit.copy, secretKey)) return hit.key;
    const pkcs8 = der(PKCS8_PREFIX, secretKey);
    const key = nc.createPrivateKey({ key: pkcs8 as Buffer, format: 'der', type: 'pkcs8' });
    pkcs8.fill(0);
    secretKeys.set(secretKey, { copy: secretKey.slice(), key });
    return key;
  };

  return {
    publicKeyOf(secretKey) {
      const spki = nc.createPublicKey(privateKeyObject(secretKey)).export({ format: 'der', type: 'spki' });
      return new Uint8Array(spki.subarray(SPKI_PREFIX.length));
    },
    sign(message, secretKey) {
      return new Uint8Array(nc.sign(null, message, privateKeyObject(secretKey)));
    },
    verify(signature, message, publicKey) {
      return nc.verify(null, message, publicKeyObject(publicKey), signature);
    },
    cachedPublicKeys: () => publicKeys.size,
  };
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}
