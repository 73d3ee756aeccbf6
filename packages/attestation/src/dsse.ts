import { canonicalize, fromBase64, fromUtf8, utf8 } from '@agentguard/identity';
import { AttestationError } from './errors.js';
import { parseStrictJson } from './json.js';
import { type DsseEnvelope, DsseEnvelopeSchema, MAX_ENVELOPE_CHARS, MAX_PAYLOAD_BYTES } from './schema.js';

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

/**
 * Decodes a DSSE base64 field. DSSE protocol.md: "Either standard or URL-safe
 * base64 encodings are allowed ... verifiers MUST accept either." We accept
 * either alphabet (not a mix), padded as RFC 4648 §4/§5 and as the reference
 * Go implementation (go-securesystemslib) decodes, in canonical form only
 * (zero trailing bits), so one byte string has one text per alphabet.
 *
 * @throws AttestationError `ERR_ATTESTATION_ENVELOPE_MALFORMED` naming `field`.
 */
export function decodeDsseBase64(text: string, field: string): Uint8Array {
  if (typeof text !== 'string')
    throw new AttestationError('ERR_ATTESTATION_ENVELOPE_MALFORMED', `"${field}" expected base64`);
  const urlSafe = text.includes('-') || text.includes('_');
  if (urlSafe && (text.includes('+') || text.includes('/'))) {
    throw new AttestationError('ERR_ATTESTATION_ENVELOPE_MALFORMED', `"${field}" mixes standard and URL-safe base64`);
  }
  try {
    return fromBase64(urlSafe ? text.replaceAll('-', '+').replaceAll('_', '/') : text);
  } catch (cause) {
    throw new AttestationError('ERR_ATTESTATION_ENVELOPE_MALFORMED', `"${field}" is not canonical padded base64`, {
      cause,
    });
  }
}

/**
 * Parses and validates a call envelope at the boundary.
 *
 * Accepts JSON text, its UTF-8 bytes, or an already-parsed value. Text is
 * parsed strictly (duplicate names, `__proto__` and deep nesting refused);
 * every input is checked against {@link DsseEnvelopeSchema} (exactly one
 * signature, no unknown fields) and size limits. The result is a fresh, frozen
 * copy: later changes to the input cannot reach it. The base64 fields are not
 * decoded here and the signature is not checked: use `verifyCall` for that.
 *
 * @param input - JSON text, UTF-8 bytes of JSON text, or a parsed object.
 * @returns a frozen {@link DsseEnvelope}.
 * @throws AttestationError `ERR_ATTESTATION_ENVELOPE_TOO_LARGE` or `ERR_ATTESTATION_ENVELOPE_MALFORMED`.
 * @example
 * ```ts
 * const envelope = parseEnvelope(request.headers['x-agentguard-envelope']);
 * ```
 */
export function parseEnvelope(input: unknown): DsseEnvelope {
  let value = input;
  if (input instanceof Uint8Array) {
    if (input.length > MAX_ENVELOPE_CHARS) throw tooLarge(`${input.length} bytes`);
    try {
      value = fromUtf8(input);
    } catch (cause) {
      throw new AttestationError('ERR_ATTESTATION_ENVELOPE_MALFORMED', 'envelope bytes are not valid UTF-8', { cause });
    }
  }
  if (typeof value === 'string') {
    if (value.length > MAX_ENVELOPE_CHARS) throw tooLarge(`${value.length} characters`);
    try {
      value = parseStrictJson(value);
    } catch (cause) {
      throw new AttestationError(
        'ERR_ATTESTATION_ENVELOPE_MALFORMED',
        `envelope is not strict JSON: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
  }
  const parsed = DsseEnvelopeSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const tooBig = issue?.code === 'too_big' && issue.path[0] === 'payload';
    const where = issue?.path.length ? issue.path.join('.') : 'envelope';
    const reason = `${where}: ${issue?.message ?? 'invalid'}`;
    if (tooBig) throw tooLarge(`payload over ${MAX_PAYLOAD_BYTES} bytes`);
    throw new AttestationError('ERR_ATTESTATION_ENVELOPE_MALFORMED', `not a call envelope: ${reason}`);
  }
  const { payloadType, payload, signatures } = parsed.data;
  return Object.freeze({
    payloadType,
    payload,
    signatures: Object.freeze(signatures.map((s) => Object.freeze({ keyid: s.keyid, sig: s.sig }))),
  }) as DsseEnvelope;
}

/**
 * Serialises an envelope as JSON text (RFC 8785 canonical form, so equal
 * envelopes give equal text), e.g. to carry it in MCP `_meta` or a header.
 *
 * @throws AttestationError `ERR_ATTESTATION_ENVELOPE_MALFORMED` when `envelope` is not a valid envelope.
 */
export function encodeEnvelope(envelope: DsseEnvelope): string {
  return canonicalize(parseEnvelope(envelope));
}

function tooLarge(what: string): AttestationError {
  return new AttestationError(
    'ERR_ATTESTATION_ENVELOPE_TOO_LARGE',
    `envelope too large: ${what} (limit ${MAX_ENVELOPE_CHARS} characters, payload ${MAX_PAYLOAD_BYTES} bytes)`,
  );
}
