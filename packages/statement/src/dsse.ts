import { toBase64, utf8 } from './encoding.js';
import {
  type Envelope,
  type EnvelopeLimits,
  type EnvelopeSignature,
  envelopeLimits,
  openEnvelope,
  type ParseEnvelopeOptions,
} from './envelope.js';
import { StatementError, type StatementErrorCode } from './errors.js';

const PAE_PREFIX = utf8('DSSEv1 ');

/**
 * DSSE Pre-Authentication Encoding: the exact bytes a DSSE signature covers.
 *
 * secure-systems-lab/dsse protocol.md: `PAE(type, body) = "DSSEv1" SP LEN(type)
 * SP type SP LEN(body) SP body`, where LEN is the ASCII decimal byte length
 * without leading zeros and `type` is UTF-8. Binding the type into the signed
 * bytes stops an envelope from being reinterpreted as another kind of payload.
 *
 * @param payloadType - the DSSE `payloadType` (UTF-8 encoded here).
 * @param body - the serialised payload bytes, exactly as carried in the envelope.
 * @returns the bytes to sign or verify.
 * @throws TypeError on a non-string type or non-Uint8Array body.
 * @example
 * ```ts
 * pae('http://example.com/HelloWorld', utf8('hello world'));
 * // bytes of 'DSSEv1 29 http://example.com/HelloWorld 11 hello world'
 * ```
 */
export function pae(payloadType: string, body: Uint8Array): Uint8Array {
  if (typeof payloadType !== 'string') throw new TypeError(`"payloadType" expected string, got ${typeof payloadType}`);
  if (!(body instanceof Uint8Array)) throw new TypeError('"body" expected Uint8Array');
  const type = utf8(payloadType);
  const middle = utf8(`${type.length} `);
  const tail = utf8(` ${body.length} `);
  const out = new Uint8Array(PAE_PREFIX.length + middle.length + type.length + tail.length + body.length);
  let offset = 0;
  for (const part of [PAE_PREFIX, middle, type, tail, body]) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Something that signs the PAE bytes of an envelope under one `keyid`. */
export interface EnvelopeSigner {
  /** The DSSE `keyid` written beside the signature. */
  readonly keyid: string;
  /** Signs `message` (the PAE bytes); returns the raw signature. */
  sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/**
 * Signs `payload` as a DSSE envelope of `payloadType`: each signer signs
 * `PAE(payloadType, payload)` and its signature is written with its keyid.
 *
 * @param payloadType - the DSSE payload type.
 * @param payload - the exact payload bytes (e.g. canonical JSON of a statement).
 * @param signers - one or more {@link EnvelopeSigner}s with distinct keyids.
 * @returns a frozen {@link Envelope} (standard padded base64, as DSSE writes it).
 * @throws TypeError on misuse; whatever a signer throws, unchanged.
 * @example
 * ```ts
 * const envelope = await signEnvelope(PAYLOAD_TYPE, canonicalBytes(statement), [{ keyid, sign: (m) => key.sign(m) }]);
 * ```
 */
export async function signEnvelope(
  payloadType: string,
  payload: Uint8Array,
  signers: readonly EnvelopeSigner[],
): Promise<Envelope> {
  const message = pae(payloadType, payload);
  if (!Array.isArray(signers) || signers.length === 0) throw new TypeError('"signers" expected a non-empty array');
  const seen = new Set<string>();
  const signatures: EnvelopeSignature[] = [];
  for (const signer of signers) {
    if (typeof signer?.keyid !== 'string' || signer.keyid.length === 0 || typeof signer.sign !== 'function') {
      throw new TypeError('"signers" expected objects with a keyid and sign()');
    }
    if (seen.has(signer.keyid)) throw new TypeError(`"signers" repeat keyid ${JSON.stringify(signer.keyid)}`);
    seen.add(signer.keyid);
    const sig: unknown = await signer.sign(message.slice());
    if (!(sig instanceof Uint8Array)) throw new TypeError(`signer ${JSON.stringify(signer.keyid)} returned no bytes`);
    signatures.push(Object.freeze({ keyid: signer.keyid, sig: toBase64(sig) }));
  }
  return Object.freeze({ payloadType, payload: toBase64(payload), signatures: Object.freeze(signatures) });
}

/** Checks one signature over `message`: true only when it verifies. Must not throw; a throw counts as false. */
export type EnvelopeVerifier = (signature: Uint8Array, message: Uint8Array) => boolean;

/** Options of {@link verifyEnvelope}. */
export interface VerifyEnvelopeOptions extends ParseEnvelopeOptions {
  /**
   * The verifier for a keyid, or undefined when the keyid names no key the caller trusts.
   * A signature whose keyid has no verifier is not counted; one whose verifier says no fails the envelope.
   */
  readonly verifierFor: (keyid: string) => EnvelopeVerifier | undefined;
  /**
   * How many distinct keyids must have verified signatures, 1 to `maxSignatures`.
   * @default 1
   */
  readonly threshold?: number;
}

/** The outcome of {@link verifyEnvelope}. Expected failures are values, never throws. */
export type EnvelopeVerification =
  | {
      readonly ok: true;
      readonly envelope: Envelope;
      /** The payload bytes that were verified, freshly decoded: parse these, never re-encode them. */
      readonly payload: Uint8Array;
      /** The keyids whose signatures verified, in envelope order. */
      readonly keyids: readonly string[];
    }
  | { readonly ok: false; readonly code: StatementErrorCode; readonly reason: string };

/** @internal Validated {@link VerifyEnvelopeOptions}. */
export interface VerifyLimits extends EnvelopeLimits {
  readonly verifierFor: (keyid: string) => EnvelopeVerifier | undefined;
  readonly threshold: number;
}

/** @internal Validates verify options once (misuse throws). */
export function verifyLimits(options: VerifyEnvelopeOptions): VerifyLimits {
  const limits = envelopeLimits(options);
  if (typeof options.verifierFor !== 'function') throw new TypeError('"verifierFor" expected a function');
  const threshold = options.threshold ?? 1;
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > limits.maxSignatures) {
    throw new RangeError(`"threshold" expected an integer from 1 to ${limits.maxSignatures}, got ${String(threshold)}`);
  }
  return Object.freeze(Object.assign({}, limits, { verifierFor: options.verifierFor, threshold }));
}

function refused(code: StatementErrorCode, reason: string): EnvelopeVerification {
  return { ok: false, code, reason };
}

function lookup(limits: VerifyLimits, keyid: string): EnvelopeVerifier | undefined {
  try {
    const found: unknown = limits.verifierFor(keyid);
    return typeof found === 'function' ? (found as EnvelopeVerifier) : undefined;
  } catch {
    return undefined; // a lookup that throws trusts nothing for this keyid
  }
}

/** @internal {@link verifyEnvelope} with options validated once. */
export function verifyWith(input: unknown, limits: VerifyLimits): EnvelopeVerification {
  let opened: ReturnType<typeof openEnvelope>;
  try {
    opened = openEnvelope(input, limits);
  } catch (error) {
    if (error instanceof StatementError) return refused(error.code, error.message);
    return refused('ERR_STATEMENT_ENVELOPE_MALFORMED', `envelope could not be read: ${(error as Error)?.message}`);
  }
  const message = pae(opened.envelope.payloadType, opened.payload);
  const keyids: string[] = [];
  for (const { keyid, sig } of opened.signatures) {
    const verifier = lookup(limits, keyid);
    if (verifier === undefined) continue; // DSSE protocol.md: signatures by unknown keys are not counted
    let valid = false;
    try {
      valid = verifier(sig, message) === true;
    } catch {
      valid = false;
    }
    // A signature under a known keyid that does not verify is an attack or a bug; either way, refuse.
    if (!valid)
      return refused('ERR_STATEMENT_SIGNATURE_INVALID', `signature does not verify under keyid ${quote(keyid)}`);
    keyids.push(keyid);
  }
  if (keyids.length === 0) {
    const names = opened.signatures.map((s) => quote(s.keyid)).join(', ');
    return refused('ERR_STATEMENT_KEY_UNTRUSTED', `keyid ${names} is not a trusted key`);
  }
  if (keyids.length < limits.threshold) {
    return refused(
      'ERR_STATEMENT_SIGNATURE_INVALID',
      `${keyids.length} verified signature(s), ${limits.threshold} required`,
    );
  }
  return { ok: true, envelope: opened.envelope, payload: opened.payload, keyids: Object.freeze(keyids) };
}

const quote = (text: string) => JSON.stringify(text.slice(0, 120));

/**
 * Verifies a DSSE envelope (DSSE protocol.md "To verify"): parses it as
 * {@link parseEnvelope} does, then checks each signature over
 * `PAE(payloadType, payload)` with the verifier the caller supplies for its
 * keyid. A keyid without a verifier is not counted; a signature that its
 * keyid's verifier refuses fails the whole envelope (so a signature made by
 * one key and labelled with another's keyid always fails); at least
 * `threshold` distinct keyids must verify. Returns the exact payload bytes
 * that were verified.
 *
 * @param input - JSON text, its UTF-8 bytes, or a parsed envelope; untrusted.
 * @param options - see {@link VerifyEnvelopeOptions}.
 * @returns `{ ok: true, envelope, payload, keyids }` or `{ ok: false, code, reason }`.
 * @throws TypeError / RangeError on misuse of `options` only.
 * @example
 * ```ts
 * const result = verifyEnvelope(text, {
 *   payloadType: 'application/vnd.in-toto+json',
 *   verifierFor: (keyid) => (keyid === myKeyId ? (sig, msg) => verify(sig, msg, publicKey) : undefined),
 * });
 * ```
 */
export function verifyEnvelope(input: unknown, options: VerifyEnvelopeOptions): EnvelopeVerification {
  return verifyWith(input, verifyLimits(options));
}
