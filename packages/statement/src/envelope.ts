import { fromBase64, fromUtf8 } from './encoding.js';
import { StatementError } from './errors.js';
import { parseJson } from './json-parse.js';

/**
 * The DSSE JSON envelope (secure-systems-lab/dsse envelope.md) as AgentGuard
 * accepts it: `payloadType`, `payload` (base64) and `signatures`, each with
 * a `keyid` (optional in DSSE, required here) and a base64 `sig`; no other field.
 */
export interface Envelope {
  readonly payloadType: string;
  readonly payload: string;
  readonly signatures: readonly EnvelopeSignature[];
}

/** One signature of an {@link Envelope}. */
export interface EnvelopeSignature {
  /** Names the key that made `sig`; a verifier is looked up by it. */
  readonly keyid: string;
  /** Base64 of the signature bytes over the PAE of the payload. */
  readonly sig: string;
}

/** Options of {@link parseEnvelope} (and of `verifyEnvelope`). */
export interface ParseEnvelopeOptions {
  /**
   * When set, `payloadType` must be exactly this, else `ERR_STATEMENT_ENVELOPE_PAYLOAD_TYPE`.
   * @default any payload type of 1 to 256 characters
   */
  readonly payloadType?: string;
  /**
   * Largest decoded payload accepted, in bytes, 1 to 1 MiB.
   * @default 65_536
   */
  readonly maxPayloadBytes?: number;
  /**
   * Most signatures accepted, 1 to 16. Every AgentGuard statement carries exactly one.
   * @default 1
   */
  readonly maxSignatures?: number;
}

/** Largest decoded payload accepted by default, in bytes (64 KiB). */
export const MAX_PAYLOAD_BYTES = 65_536;
/** Largest envelope text accepted by default, in UTF-16 code units (base64 of the payload plus room). */
export const MAX_ENVELOPE_CHARS = 98_304;
/** Longest `keyid` accepted. */
const MAX_KEYID_CHARS = 256;
/** Longest base64 `sig` accepted: room for 64-byte signatures (88 characters) and no more than needed. */
const MAX_SIG_CHARS = 100;
/** Envelopes have depth 3; anything deeper is not one. */
const MAX_ENVELOPE_DEPTH = 4;

/** @internal Normalised {@link ParseEnvelopeOptions}. */
export interface EnvelopeLimits {
  readonly payloadType: string | undefined;
  readonly maxPayloadBytes: number;
  readonly maxSignatures: number;
  readonly maxChars: number;
}

function boundedInt(value: unknown, fallback: number, max: number, name: string): number {
  const n = value ?? fallback;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max) {
    throw new RangeError(`"${name}" expected an integer from 1 to ${max}, got ${String(value)}`);
  }
  return n;
}

/** @internal Validates options once (misuse throws TypeError/RangeError). */
export function envelopeLimits(options: ParseEnvelopeOptions = {}): EnvelopeLimits {
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  const { payloadType } = options;
  if (payloadType !== undefined && (typeof payloadType !== 'string' || payloadType.length === 0)) {
    throw new TypeError('"payloadType" expected a non-empty string');
  }
  const maxPayloadBytes = boundedInt(options.maxPayloadBytes, MAX_PAYLOAD_BYTES, 1 << 20, 'maxPayloadBytes');
  const maxSignatures = boundedInt(options.maxSignatures, 1, 16, 'maxSignatures');
  const b64 = Math.ceil(maxPayloadBytes / 3) * 4;
  // Text allowance: the payload's base64 plus every signature and field name, with room for JSON whitespace.
  const maxChars = Math.max(MAX_ENVELOPE_CHARS, b64 + maxSignatures * 512 + 1024);
  return Object.freeze({ payloadType, maxPayloadBytes, maxSignatures, maxChars });
}

const malformed = (reason: string, cause?: unknown) =>
  new StatementError(
    'ERR_STATEMENT_ENVELOPE_MALFORMED',
    `not a DSSE envelope: ${reason}`,
    cause === undefined ? {} : { cause },
  );

function tooLarge(what: string, limits: EnvelopeLimits): StatementError {
  return new StatementError(
    'ERR_STATEMENT_ENVELOPE_TOO_LARGE',
    `envelope too large: ${what} (limit ${limits.maxChars} characters, payload ${limits.maxPayloadBytes} bytes)`,
  );
}

/** A plain object's own enumerable string keys, or undefined for anything else (arrays, class instances, proxies of them). */
function plainKeys(value: unknown): string[] | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return undefined;
  if (Object.getOwnPropertySymbols(value).length > 0) return undefined;
  return Object.keys(value);
}

/**
 * Reads a field exactly once: what is checked is the value used, even when the
 * caller's object has a getter that answers differently each time. A getter
 * that throws makes the envelope malformed.
 */
function field(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch (cause) {
    throw malformed(`"${key}" could not be read`, cause);
  }
}

function exactKeys(value: unknown, expected: readonly string[], where: string): object {
  const keys = plainKeys(value);
  if (keys === undefined) throw malformed(`${where} expected a plain object`);
  for (const key of keys) {
    if (!expected.includes(key)) throw malformed(`${where} has an unknown field ${JSON.stringify(key.slice(0, 40))}`);
  }
  for (const key of expected) if (!keys.includes(key)) throw malformed(`${where} lacks "${key}"`);
  return value as object;
}

function boundedString(value: unknown, max: number, where: string, min = 1): string {
  if (typeof value !== 'string') throw malformed(`${where} expected a string`);
  if (value.length < min || value.length > max) throw malformed(`${where} expected ${min} to ${max} characters`);
  return value;
}

/**
 * Decodes a DSSE base64 field. DSSE protocol.md: "Either standard or URL-safe
 * base64 encodings are allowed ... verifiers MUST accept either." Either
 * alphabet is accepted (not a mix), padded as RFC 4648 §4/§5 and as the
 * reference Go implementation decodes, in canonical form only (zero trailing
 * bits, RFC 4648 §3.5), so one byte string has one text per alphabet.
 *
 * @param text - the base64 text.
 * @param field - the field's name, for the message.
 * @returns the decoded bytes.
 * @throws StatementError `ERR_STATEMENT_ENVELOPE_MALFORMED` naming `field`.
 */
export function decodeDsseBase64(text: string, field: string): Uint8Array {
  if (typeof text !== 'string') throw malformed(`"${field}" expected base64`);
  const urlSafe = text.includes('-') || text.includes('_');
  if (urlSafe && (text.includes('+') || text.includes('/'))) {
    throw malformed(`"${field}" mixes standard and URL-safe base64`);
  }
  try {
    return fromBase64(urlSafe ? text.replaceAll('-', '+').replaceAll('_', '/') : text);
  } catch (cause) {
    throw malformed(`"${field}" is not canonical padded base64`, cause);
  }
}

/** @internal An envelope checked and decoded: the wire form, and the bytes its base64 fields hold. */
export interface OpenedEnvelope {
  readonly envelope: Envelope;
  readonly payload: Uint8Array;
  readonly signatures: readonly { readonly keyid: string; readonly sig: Uint8Array }[];
}

/** @internal {@link parseEnvelope}, keeping the decoded bytes (each base64 field is decoded once). */
export function openEnvelope(input: unknown, limits: EnvelopeLimits): OpenedEnvelope {
  let value = input;
  if (input instanceof Uint8Array) {
    if (input.length > limits.maxChars) throw tooLarge(`${input.length} bytes`, limits);
    try {
      value = fromUtf8(input);
    } catch (cause) {
      throw malformed('envelope bytes are not valid UTF-8', cause);
    }
  }
  if (typeof value === 'string') {
    if (value.length > limits.maxChars) throw tooLarge(`${value.length} characters`, limits);
    try {
      value = parseJson(value, { maxDepth: MAX_ENVELOPE_DEPTH, maxBytes: limits.maxChars * 3 });
    } catch (cause) {
      throw malformed(`envelope is not strict JSON: ${(cause as Error).message}`, cause);
    }
  }
  const root = exactKeys(value, ['payloadType', 'payload', 'signatures'], 'envelope');
  const payloadType = boundedString(field(root, 'payloadType'), 256, 'payloadType');
  const payloadText = field(root, 'payload');
  if (typeof payloadText !== 'string') throw malformed('payload expected a string');
  const list = field(root, 'signatures');
  if (!Array.isArray(list)) throw malformed('signatures expected an array');
  const count = list.length;
  if (count < 1 || count > limits.maxSignatures) {
    throw malformed(
      limits.maxSignatures === 1
        ? 'signatures: expected exactly one signature'
        : `signatures: expected 1 to ${limits.maxSignatures}`,
    );
  }
  // DSSE binds the type into the signed bytes; checked before decoding so the cheapest answer comes first.
  if (limits.payloadType !== undefined && payloadType !== limits.payloadType) {
    throw new StatementError(
      'ERR_STATEMENT_ENVELOPE_PAYLOAD_TYPE',
      `payloadType expected ${limits.payloadType}, got ${JSON.stringify(payloadType.slice(0, 80))}`,
    );
  }
  if (payloadText.length > Math.ceil(limits.maxPayloadBytes / 3) * 4) {
    throw tooLarge(`payload over ${limits.maxPayloadBytes} bytes`, limits);
  }
  const payload = decodeDsseBase64(payloadText, 'payload');
  if (payload.length > limits.maxPayloadBytes) throw tooLarge(`payload over ${limits.maxPayloadBytes} bytes`, limits);
  const wire: EnvelopeSignature[] = [];
  const decoded: { keyid: string; sig: Uint8Array }[] = [];
  for (let i = 0; i < count; i++) {
    if (!Object.hasOwn(list, i)) throw malformed(`signatures[${i}] is a hole`);
    const entry = exactKeys(field(list, String(i)), ['keyid', 'sig'], `signatures[${i}]`);
    const keyid = boundedString(field(entry, 'keyid'), MAX_KEYID_CHARS, `signatures[${i}].keyid`);
    const sigText = boundedString(field(entry, 'sig'), MAX_SIG_CHARS, `signatures[${i}].sig`);
    // One signature per key: a repeated keyid could otherwise count twice towards a threshold.
    if (wire.some((s) => s.keyid === keyid)) throw malformed(`signatures[${i}] repeats keyid of an earlier signature`);
    decoded.push({ keyid, sig: decodeDsseBase64(sigText, `signatures[${i}].sig`) });
    wire.push(Object.freeze({ keyid, sig: sigText }));
  }
  const envelope: Envelope = Object.freeze({ payloadType, payload: payloadText, signatures: Object.freeze(wire) });
  return { envelope, payload, signatures: decoded };
}

/**
 * Parses and checks a DSSE envelope at the boundary.
 *
 * Accepts JSON text, its UTF-8 bytes, or an already-parsed value. Text is
 * parsed strictly (duplicate names, `__proto__`, lone surrogates and deep
 * nesting refused). Exactly the three DSSE fields, each signature exactly
 * `keyid` and `sig`, no repeated keyid, 1 to `maxSignatures` signatures, the
 * payload and every signature canonical base64, the payload within
 * `maxPayloadBytes`. Each field is read once; the result is a fresh, frozen copy,
 * so later changes to the input cannot reach it. No signature is checked
 * here: use `verifyEnvelope`.
 *
 * @param input - JSON text, UTF-8 bytes of JSON text, or a parsed object; untrusted.
 * @param options - see {@link ParseEnvelopeOptions}.
 * @returns a frozen {@link Envelope}.
 * @throws StatementError `ERR_STATEMENT_ENVELOPE_MALFORMED`, `ERR_STATEMENT_ENVELOPE_TOO_LARGE` or `ERR_STATEMENT_ENVELOPE_PAYLOAD_TYPE`;
 *   TypeError / RangeError on bad options.
 * @example
 * ```ts
 * const envelope = parseEnvelope(text, { payloadType: 'application/vnd.in-toto+json' });
 * ```
 */
export function parseEnvelope(input: unknown, options?: ParseEnvelopeOptions): Envelope {
  return openEnvelope(input, envelopeLimits(options)).envelope;
}
