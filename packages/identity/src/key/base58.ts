import { assertUint8Array } from '../assert.js';
import { IdentityError } from '../errors.js';

// The Bitcoin alphabet, as multibase `z` (base58btc) uses.
const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const INDEX = new Map<string, number>([...ALPHABET].map((c, i) => [c, i]));

/**
 * Encodes bytes as base58btc (the Bitcoin alphabet; multibase prefix `z`).
 * Leading zero bytes become leading `1`s, so the encoding is one-to-one.
 *
 * @throws TypeError on non-Uint8Array input.
 */
export function toBase58(bytes: Uint8Array): string {
  assertUint8Array(bytes, 'bytes');
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  const digits: number[] = [];
  for (let i = zeros; i < bytes.length; i++) {
    let carry = bytes[i] as number;
    for (let j = 0; j < digits.length; j++) {
      carry += (digits[j] as number) << 8;
      digits[j] = carry % 58;
      carry = Math.floor(carry / 58);
    }
    while (carry > 0) {
      digits.push(carry % 58);
      carry = Math.floor(carry / 58);
    }
  }
  let out = '1'.repeat(zeros);
  for (let i = digits.length - 1; i >= 0; i--) out += ALPHABET[digits[i] as number];
  return out;
}

/**
 * Decodes base58btc. Input longer than `maxLength` characters is refused before
 * any work, since decoding is quadratic in the length.
 *
 * @param text - base58btc text (no multibase prefix).
 * @param maxLength - longest accepted input, in characters. @default 256
 * @throws TypeError on non-string input; RangeError on a bad `maxLength`;
 *   IdentityError `ERR_IDENTITY_ENCODING_INVALID` for a character outside the alphabet or too long an input.
 */
export function fromBase58(text: string, maxLength = 256): Uint8Array {
  if (typeof text !== 'string') throw new TypeError(`"text" expected string, got ${typeof text}`);
  if (!Number.isSafeInteger(maxLength) || maxLength < 0) {
    throw new RangeError(`"maxLength" expected a non-negative integer, got ${String(maxLength)}`);
  }
  if (text.length > maxLength) {
    throw new IdentityError(
      'ERR_IDENTITY_ENCODING_INVALID',
      `expected a base58btc string of at most ${maxLength} characters`,
    );
  }
  let zeros = 0;
  while (zeros < text.length && text[zeros] === '1') zeros++;
  const bytes: number[] = [];
  for (let i = zeros; i < text.length; i++) {
    const value = INDEX.get(text[i] as string);
    if (value === undefined) {
      throw new IdentityError('ERR_IDENTITY_ENCODING_INVALID', `invalid base58btc character at ${i}`);
    }
    let carry = value;
    for (let j = 0; j < bytes.length; j++) {
      carry += (bytes[j] as number) * 58;
      bytes[j] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push(carry & 0xff);
      carry >>= 8;
    }
  }
  const out = new Uint8Array(zeros + bytes.length);
  for (let i = 0; i < bytes.length; i++) out[out.length - 1 - i] = bytes[i] as number;
  return out;
}
