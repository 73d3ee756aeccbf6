import { StatementError } from './errors.js';

const encoder = new TextEncoder();
// ignoreBOM: a leading U+FEFF is part of the text (TextDecoder strips it by default), so bytes have one reading.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Encodes a string as UTF-8 bytes. A lone surrogate becomes U+FFFD, as
 * `TextEncoder` does; use `canonicalBytes` where that must be an error.
 *
 * @throws TypeError when `text` is not a string.
 */
export function utf8(text: string): Uint8Array {
  assertString(text, 'text');
  return encoder.encode(text);
}

/**
 * Decodes UTF-8 bytes; invalid UTF-8 is an error, never replaced with U+FFFD.
 * A leading byte-order mark is kept as U+FEFF, not stripped.
 *
 * @throws TypeError on non-Uint8Array input; StatementError `ERR_STATEMENT_ENCODING_INVALID` on invalid UTF-8.
 */
export function fromUtf8(bytes: Uint8Array): string {
  assertUint8Array(bytes, 'bytes');
  try {
    return decoder.decode(bytes);
  } catch (cause) {
    throw new StatementError('ERR_STATEMENT_ENCODING_INVALID', 'bytes are not valid UTF-8', { cause });
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? ((value as object).constructor?.name ?? 'object') : typeof value;
}

/** @internal Throws TypeError unless `value` is a Uint8Array (Buffer included). */
export function assertUint8Array(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`"${name}" expected Uint8Array, got ${describe(value)}`);
}

/** @internal Throws TypeError unless `value` is a string. */
export function assertString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`"${name}" expected string, got ${describe(value)}`);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Lower-case hex of `bytes`.
 *
 * @throws TypeError on non-Uint8Array input.
 */
export function toHex(bytes: Uint8Array): string {
  assertUint8Array(bytes, 'bytes');
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i] as number];
  return out;
}

/**
 * Parses lower- or upper-case hex of even length.
 *
 * @throws TypeError on non-string input; StatementError `ERR_STATEMENT_ENCODING_INVALID` on odd length or a non-hex character.
 */
export function fromHex(hex: string): Uint8Array {
  assertString(hex, 'hex');
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new StatementError('ERR_STATEMENT_ENCODING_INVALID', 'expected an even-length hex string');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const B64_CHARS = [...B64];
const B64URL_CHARS = [...B64URL];

interface NodeBufferModule {
  Buffer: {
    from(buffer: ArrayBufferLike, byteOffset: number, length: number): { toString(encoding: string): string };
  };
}

/**
 * Base64 through `node:buffer` (native, several times faster than the loop below on the envelopes and
 * signatures written per call), reached through `process.getBuiltinModule` so the package still loads where
 * there is no Node; undefined there, or if it fails a known answer of both alphabets. Same output as the loop.
 */
const nativeBase64 = ((): ((bytes: Uint8Array, url: boolean) => string) | undefined => {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const mod = proc?.getBuiltinModule?.('node:buffer') as NodeBufferModule | undefined;
    if (typeof mod?.Buffer?.from !== 'function') return undefined;
    const encode = (bytes: Uint8Array, url: boolean) =>
      mod.Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(url ? 'base64url' : 'base64');
    const probe = Uint8Array.from([0xfb, 0xff, 0xbf, 0x00]);
    return encode(probe, false) === '+/+/AA==' && encode(probe, true) === '-_-_AA' ? encode : undefined;
  } catch {
    return undefined;
  }
})();

/** Standard base64 with padding, or unpadded base64url (`url`): natively where it can, else by the loop. */
function encode64(bytes: Uint8Array, url: boolean): string {
  assertUint8Array(bytes, 'bytes');
  return nativeBase64 !== undefined ? nativeBase64(bytes, url) : encode64Loop(bytes, url);
}

/** @internal The portable encoder (used where `node:buffer` is missing); the encoding test holds it to the native one. */
export function encode64Loop(bytes: Uint8Array, url: boolean): string {
  const alphabet = url ? B64URL_CHARS : B64_CHARS;
  const pad = !url;
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out += `${alphabet[n >>> 18]}${alphabet[(n >>> 12) & 63]}${alphabet[(n >>> 6) & 63]}${alphabet[n & 63]}`;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] as number) << 16;
    out += `${alphabet[n >>> 18]}${alphabet[(n >>> 12) & 63]}${pad ? '==' : ''}`;
  } else if (rest === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out += `${alphabet[n >>> 18]}${alphabet[(n >>> 12) & 63]}${alphabet[(n >>> 6) & 63]}${pad ? '=' : ''}`;
  }
  return out;
}

function lookup(alphabet: string): Int8Array {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
}
const B64_LOOKUP = lookup(B64);
const B64URL_LOOKUP = lookup(B64URL);

function decode64(text: string, table: Int8Array, padded: boolean, label: string): Uint8Array {
  assertString(text, 'text');
  let end = text.length;
  if (padded) {
    if (text.length % 4 !== 0) throw new StatementError('ERR_STATEMENT_ENCODING_INVALID', `invalid ${label}: length`);
    if (text.endsWith('==')) end -= 2;
    else if (text.endsWith('=')) end -= 1;
  }
  if (end % 4 === 1) throw new StatementError('ERR_STATEMENT_ENCODING_INVALID', `invalid ${label}: length`);
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? (table[c] as number) : -1;
    if (v < 0)
      throw new StatementError('ERR_STATEMENT_ENCODING_INVALID', `invalid ${label}: unexpected character at ${i}`);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  // Canonical encoding only: the unused low bits of the last character must be zero,
  // so one byte string has exactly one textual form (RFC 4648 §3.5; no signature malleability).
  if ((acc & ((1 << bits) - 1)) !== 0) {
    throw new StatementError('ERR_STATEMENT_ENCODING_INVALID', `invalid ${label}: non-canonical trailing bits`);
  }
  return out;
}

/**
 * Standard base64 with padding (RFC 4648 §4), as DSSE uses.
 *
 * @throws TypeError on non-Uint8Array input.
 */
export function toBase64(bytes: Uint8Array): string {
  return encode64(bytes, false);
}

/**
 * Parses canonical, padded standard base64 (RFC 4648 §4): padding required,
 * no whitespace, no base64url characters, unused trailing bits zero (RFC 4648 §3.5).
 *
 * @throws TypeError on non-string input; StatementError `ERR_STATEMENT_ENCODING_INVALID` otherwise.
 */
export function fromBase64(text: string): Uint8Array {
  return decode64(text, B64_LOOKUP, true, 'base64');
}

/**
 * Unpadded base64url (RFC 4648 §5), as JWK and JWS use.
 *
 * @throws TypeError on non-Uint8Array input.
 */
export function toBase64Url(bytes: Uint8Array): string {
  return encode64(bytes, true);
}

/**
 * Parses canonical, unpadded base64url (RFC 4648 §5; RFC 7515 §2): no padding,
 * no whitespace, unused trailing bits zero.
 *
 * @throws TypeError on non-string input; StatementError `ERR_STATEMENT_ENCODING_INVALID` otherwise.
 */
export function fromBase64Url(text: string): Uint8Array {
  return decode64(text, B64URL_LOOKUP, false, 'base64url');
}

/**
 * Concatenates byte arrays into a new one.
 *
 * @throws TypeError when a part is not a Uint8Array.
 */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (let i = 0; i < parts.length; i++) {
    assertUint8Array(parts[i], `parts[${i}]`);
    length += (parts[i] as Uint8Array).length;
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Compares two byte arrays in time that depends only on their lengths.
 *
 * @throws TypeError on non-Uint8Array input.
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  assertUint8Array(a, 'a');
  assertUint8Array(b, 'b');
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

const MAX_RANDOM_BYTES = 1 << 20;

/**
 * `count` bytes from the platform CSPRNG (`crypto.getRandomValues`).
 *
 * @param count - an integer from 0 to 1 MiB.
 * @throws RangeError when `count` is not such an integer.
 */
export function randomBytes(count: number): Uint8Array {
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > MAX_RANDOM_BYTES) {
    throw new RangeError(`"count" expected an integer from 0 to ${MAX_RANDOM_BYTES}, got ${String(count)}`);
  }
  const out = new Uint8Array(count);
  // getRandomValues fills at most 65,536 bytes per call.
  for (let i = 0; i < count; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(count, i + 65536)));
  return out;
}
