import { IdentityError } from './errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Encodes a string as UTF-8 bytes. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8 bytes; invalid UTF-8 is an error, never replaced with U+FFFD. */
export function fromUtf8(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch (cause) {
    throw new IdentityError('ERR_ENCODING_INVALID', 'bytes are not valid UTF-8', { cause });
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i] as number];
  return out;
}

/** Parses lower- or upper-case hex of even length. */
export function fromHex(hex: string): Uint8Array {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new IdentityError('ERR_ENCODING_INVALID', 'expected an even-length hex string');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function encode64(bytes: Uint8Array, chars: string, pad: boolean): string {
  const alphabet = [...chars];
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

function decode64(text: string, alphabet: string, padded: boolean, label: string): Uint8Array {
  if (typeof text !== 'string') throw new IdentityError('ERR_ENCODING_INVALID', `expected ${label} string`);
  let body = text;
  if (padded) {
    if (text.length % 4 !== 0) throw new IdentityError('ERR_ENCODING_INVALID', `invalid ${label}: length`);
    body = text.replace(/={1,2}$/, '');
  }
  if (body.length % 4 === 1) throw new IdentityError('ERR_ENCODING_INVALID', `invalid ${label}: length`);
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < body.length; i++) {
    const v = alphabet.indexOf(body[i] as string);
    if (v < 0) throw new IdentityError('ERR_ENCODING_INVALID', `invalid ${label}: unexpected character at ${i}`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  // Canonical encoding only: the unused low bits of the last character must be zero,
  // so one byte string has exactly one textual form (no signature malleability).
  if ((acc & ((1 << bits) - 1)) !== 0) {
    throw new IdentityError('ERR_ENCODING_INVALID', `invalid ${label}: non-canonical trailing bits`);
  }
  return out;
}

/** Standard base64 with padding (RFC 4648 §4), as DSSE uses. */
export function toBase64(bytes: Uint8Array): string {
  return encode64(bytes, B64, true);
}

/** Parses canonical, padded standard base64 (RFC 4648 §4). */
export function fromBase64(text: string): Uint8Array {
  return decode64(text, B64, true, 'base64');
}

/** Unpadded base64url (RFC 4648 §5), as JWK and JWS use. */
export function toBase64Url(bytes: Uint8Array): string {
  return encode64(bytes, B64URL, false);
}

/** Parses canonical, unpadded base64url (RFC 4648 §5). */
export function fromBase64Url(text: string): Uint8Array {
  return decode64(text, B64URL, false, 'base64url');
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Compares two byte arrays in time that depends only on their lengths. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** `count` bytes from the platform CSPRNG (`crypto.getRandomValues`). */
export function randomBytes(count: number): Uint8Array {
  const out = new Uint8Array(count);
  crypto.getRandomValues(out);
  return out;
}
