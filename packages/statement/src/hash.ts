import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { assertString, assertUint8Array, toHex } from './encoding.js';

type Digest = (bytes: Uint8Array) => Uint8Array;

interface NodeCryptoHash {
  createHash(algorithm: 'sha256'): { update(data: Uint8Array): { digest(): Uint8Array } };
  /** One-shot hash (Node 20.12+, 21.7+): no Hash object per call, about twice as fast on short inputs. */
  hash?: (algorithm: 'sha256', data: Uint8Array, encoding: 'latin1' | 'hex') => string;
}

/** FIPS 180-4 example "abc", to check a backend before trusting it. */
const ABC = Uint8Array.from([0x61, 0x62, 0x63]);
const ABC_DIGEST = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

/**
 * The digest bytes of a one-shot hash asked for as a latin1 string (one character per byte), copied into a
 * fresh 32-byte array. Asking for a Buffer costs three times as much (measured: 1.7 µs against 0.6 µs for
 * 650 bytes): Node allocates it outside V8's heap, and the copy a caller must own is a second array.
 */
function fromLatin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function nodeCrypto(): NodeCryptoHash | undefined {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const mod = proc?.getBuiltinModule?.('node:crypto') as NodeCryptoHash | undefined;
    return typeof mod?.createHash === 'function' ? mod : undefined;
  } catch {
    return undefined;
  }
}

/**
 * SHA-256 through `node:crypto` (OpenSSL, several times faster than pure JS on the
 * short inputs of audit records), reached through `process.getBuiltinModule` so the
 * package still loads where there is no Node; undefined there, or if it fails its
 * known answer. The digest is copied out of the Buffer Node returns, so callers get a
 * plain Uint8Array that shares memory with nothing. Internal.
 */
export function nodeSha256(): Digest | undefined {
  try {
    const mod = nodeCrypto();
    if (mod === undefined) return undefined;
    const oneShot = mod.hash;
    const digest: Digest =
      typeof oneShot === 'function'
        ? (bytes) => fromLatin1(oneShot('sha256', bytes, 'latin1'))
        : (bytes) => new Uint8Array(mod.createHash('sha256').update(bytes).digest());
    return toHex(digest(ABC)) === ABC_DIGEST ? digest : undefined;
  } catch {
    return undefined;
  }
}

/** Hex SHA-256 straight from `node:crypto`'s one-shot hash (no bytes to convert), when it passes its known answer. */
function nodeSha256Hex(): ((bytes: Uint8Array) => string) | undefined {
  try {
    const oneShot = nodeCrypto()?.hash;
    if (typeof oneShot !== 'function') return undefined;
    const hex = (bytes: Uint8Array): string => oneShot('sha256', bytes, 'hex');
    return hex(ABC) === ABC_DIGEST ? hex : undefined;
  } catch {
    return undefined;
  }
}

const node = nodeSha256();
const nodeHex = nodeSha256Hex();
/**
 * Below one SHA-256 block of message (55 bytes, with padding), pure JS is faster than a Hash object
 * from OpenSSL (measured: 33 bytes 1.6 µs against 3.5 µs; 97 bytes 4.3 µs against 2.3 µs). Node's
 * one-shot hash is faster than pure JS at every size (33 bytes: 0.7 µs against 1.0 µs).
 */
const SMALL = nodeHex === undefined ? 56 : 0;

/**
 * SHA-256 of `bytes` (FIPS 180-4): `node:crypto` on Node, `@noble/hashes` elsewhere.
 *
 * @throws TypeError on non-Uint8Array input.
 */
export function sha256(bytes: Uint8Array): Uint8Array {
  assertUint8Array(bytes, 'bytes');
  return node === undefined || bytes.length < SMALL ? nobleSha256(bytes) : node(bytes);
}

/**
 * Lower-case hex SHA-256 of `bytes`.
 *
 * @throws TypeError on non-Uint8Array input.
 */
export function sha256Hex(bytes: Uint8Array): string {
  assertUint8Array(bytes, 'bytes');
  return nodeHex === undefined ? toHex(sha256(bytes)) : nodeHex(bytes);
}

const encoder = new TextEncoder();
/** Text up to this many UTF-16 units is encoded into {@link scratch}; longer text gets an array of its own. */
const SCRATCH_UNITS = 8192;
/** Room for the UTF-8 of SCRATCH_UNITS units (at most 3 bytes each). */
const scratch = new Uint8Array(SCRATCH_UNITS * 3);

/**
 * Lower-case hex SHA-256 of the UTF-8 bytes of `text` (a lone surrogate as U+FFFD, as {@link utf8}). Short text
 * is encoded into one buffer reused from call to call and hashed there: a fresh array of more than 64 bytes is
 * allocated outside V8's heap and cost more than the hash itself (measured: 650 bytes 2.9 µs to encode into a new
 * array, 0.6 µs into the reused one). The buffer is filled and hashed in one synchronous step. Internal.
 *
 * @throws TypeError when `text` is not a string.
 */
export function sha256HexOfText(text: string): string {
  assertString(text, 'text');
  if (text.length > SCRATCH_UNITS) return sha256Hex(encoder.encode(text));
  const { written } = encoder.encodeInto(text, scratch);
  return sha256Hex(scratch.subarray(0, written));
}
