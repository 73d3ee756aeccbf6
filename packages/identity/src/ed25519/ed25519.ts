/**
 * The one module that signs and verifies with Ed25519. Everything else in
 * AgentGuard goes through `sign` and `verify` here; the backends beside it
 * (ed25519-noble.ts, ed25519-node.ts) are internal to this module.
 *
 * Backend, chosen on first use: `node:crypto` (OpenSSL) where
 * `process.getBuiltinModule` offers it and passes an RFC 8032 self-test, else
 * `@noble/ed25519`. The environment variable `AGENTGUARD_CRYPTO_BACKEND=noble`
 * forces the pure-JS one (useful to run a whole test suite on it).
 *
 * Verification is strict RFC 8032 §5.1.7 (not ZIP-215), identical on every
 * backend: S < L, A and R canonical and not of small order, then the
 * cofactorless equation [S]B = R + [k]A (see ed25519-strict.ts).
 */
import { fromHex } from '@agentguard/statement';
import { createNodeBackend } from './node.js';
import { decodePoint, noblePublicKeyOf, nobleSign, nobleVerify } from './noble.js';
import { isStrictPointEncoding, passesStrictEncodingChecks } from './strict.js';
import { IdentityError } from '../errors.js';

/** The Ed25519 implementations this package can use. */
export type CryptoBackendName = 'node' | 'noble';

interface Backend {
  readonly name: CryptoBackendName;
  publicKeyOf(secretKey: Uint8Array): Uint8Array;
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  /** The group equation only; callers apply the strict encoding checks first. */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}

const NOBLE: Backend = { name: 'noble', publicKeyOf: noblePublicKeyOf, sign: nobleSign, verify: nobleVerify };
let node: Backend | null | undefined; // undefined until probed; null when unavailable
let current: Backend | undefined;

// RFC 8032 §7.1 TEST 1, to check a backend before trusting it.
const SELF_TEST = {
  secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  signature:
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
};

function passesSelfTest(backend: Backend): boolean {
  try {
    const secret = fromHex(SELF_TEST.secret);
    const pub = fromHex(SELF_TEST.public);
    const sig = fromHex(SELF_TEST.signature);
    const empty = new Uint8Array(0);
    const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
    const flipped = sig.slice();
    flipped[0] = (flipped[0] as number) ^ 1;
    return (
      same(backend.publicKeyOf(secret), pub) &&
      same(backend.sign(empty, secret), sig) &&
      backend.verify(sig, empty, pub) &&
      !backend.verify(flipped, empty, pub)
    );
  } catch {
    return false;
  }
}

function nodeBackend(): Backend | null {
  if (node === undefined) {
    const b = createNodeBackend();
    const candidate: Backend | null = b === undefined ? null : { name: 'node', ...b };
    node = candidate !== null && passesSelfTest(candidate) ? candidate : null;
  }
  return node;
}

function backend(): Backend {
  if (current === undefined) {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
    current = env?.AGENTGUARD_CRYPTO_BACKEND === 'noble' ? NOBLE : (nodeBackend() ?? NOBLE);
  }
  return current;
}

/**
 * The Ed25519 backend in use: `'node'` (OpenSSL through `node:crypto`) or
 * `'noble'` (`@noble/ed25519`, pure JS). Both sign bit for bit alike and verify
 * by the same strict rules; they differ only in speed.
 *
 * @returns the backend name.
 */
export function cryptoBackend(): CryptoBackendName {
  return backend().name;
}

/**
 * Whether the `node:crypto` backend can be used in this runtime.
 * @internal for tests and benchmarks.
 */
export function isNodeBackendAvailable(): boolean {
  return nodeBackend() !== null;
}

/**
 * Forces the backend (`'auto'` restores the choice made at load).
 * @internal for tests and benchmarks; both backends give the same results.
 * @throws RangeError when `name` is unknown or `'node'` is not available here.
 */
export function setCryptoBackend(name: CryptoBackendName | 'auto'): CryptoBackendName {
  if (name === 'auto') {
    current = undefined;
  } else if (name === 'noble') {
    current = NOBLE;
  } else if (name === 'node') {
    const b = nodeBackend();
    if (b === null) throw new RangeError('"name" expected an available backend, got "node" (no node:crypto here)');
    current = b;
  } else {
    throw new RangeError(`"name" expected 'node', 'noble' or 'auto', got ${String(name)}`);
  }
  return backend().name;
}

/**
 * Runs `fn` with the backend forced to `name`, then restores the previous one.
 * @internal for tests and benchmarks.
 */
export function withCryptoBackend<T>(name: CryptoBackendName, fn: () => T): T {
  const previous = current;
  setCryptoBackend(name);
  try {
    return fn();
  } finally {
    current = previous;
  }
}

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
    throw new IdentityError('ERR_IDENTITY_KEY_INVALID', `"${name}" expected ${length} bytes, got ${value.length}`);
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
 * @throws TypeError when `secretKey` is not a Uint8Array; IdentityError `ERR_IDENTITY_KEY_INVALID` when it is not 32 bytes.
 */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  assertKey(secretKey, SECRET_KEY_LENGTH, 'secretKey');
  return backend().publicKeyOf(secretKey);
}

/**
 * Signs `message` with `secretKey` (RFC 8032 §5.1.6; deterministic, so the same
 * inputs always give the same signature on every backend).
 *
 * @param message - the exact bytes to sign.
 * @param secretKey - the 32-byte seed.
 * @returns the 64-byte signature.
 * @throws TypeError on non-Uint8Array input; IdentityError `ERR_IDENTITY_KEY_INVALID` when `secretKey` is not 32 bytes.
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
  return backend().sign(message, secretKey);
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
    return backend().verify(sig, message, key);
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
