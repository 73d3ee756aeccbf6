import { didToPublicKey, fromBase64, utf8, verify } from '@agentguard/identity';

/**
 * DSSE Pre-Authentication Encoding (secure-systems-lab/dsse protocol.md):
 * `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, LEN the decimal byte length.
 * Re-implemented here (a dozen lines) so the audit package does not depend on
 * `@agentguard/attestation`.
 */
export function pae(payloadType: string, body: Uint8Array): Uint8Array {
  const type = utf8(payloadType);
  const head = utf8(`DSSEv1 ${type.length} `);
  const middle = utf8(` ${body.length} `);
  const out = new Uint8Array(head.length + type.length + middle.length + body.length);
  out.set(head, 0);
  out.set(type, head.length);
  out.set(middle, head.length + type.length);
  out.set(body, head.length + type.length + middle.length);
  return out;
}

/** DSSE accepts standard or URL-safe base64 (not a mix); canonical padded form only. */
function decodeBase64(text: unknown): Uint8Array | undefined {
  if (typeof text !== 'string') return undefined;
  const urlSafe = text.includes('-') || text.includes('_');
  if (urlSafe && (text.includes('+') || text.includes('/'))) return undefined;
  try {
    return fromBase64(urlSafe ? text.replaceAll('-', '+').replaceAll('_', '/') : text);
  } catch {
    return undefined;
  }
}

/** A call envelope carries the agent's signature, perhaps a few more; never thousands. */
const MAX_ENVELOPE_SIGNATURES = 16;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a DSSE envelope embedded in a record: every signature verifies over
 * PAE(payloadType, payload) under the did:key its `keyid` names, and one of them
 * is by `agent`.
 *
 * @param check - how a signature is checked (at once by default; a deferring checker returns true).
 * @returns undefined when the envelope verifies, else what is wrong.
 */
export function checkEnvelope(
  envelope: unknown,
  agent: string,
  keyOf: (did: string) => Uint8Array | undefined,
  check: (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array, reason: string) => boolean = (
    signature,
    message,
    publicKey,
  ) => verify(signature, message, publicKey),
): string | undefined {
  if (!isObject(envelope)) return 'envelope is not an object';
  const { payloadType, payload, signatures } = envelope;
  if (typeof payloadType !== 'string') return 'envelope has no payloadType';
  const body = decodeBase64(payload);
  if (body === undefined) return 'envelope payload is not base64';
  if (!Array.isArray(signatures) || signatures.length === 0) return 'envelope has no signatures';
  if (signatures.length > MAX_ENVELOPE_SIGNATURES) {
    return `envelope has ${signatures.length} signatures, more than ${MAX_ENVELOPE_SIGNATURES}`;
  }
  const message = pae(payloadType, body);
  let byAgent = false;
  for (const [i, entry] of signatures.entries()) {
    if (!isObject(entry) || typeof entry.keyid !== 'string') return `envelope signature ${i} has no keyid`;
    const did = entry.keyid.split('#')[0] as string;
    const key = keyOf(did);
    if (key === undefined) return `envelope signature ${i} names no Ed25519 did:key`;
    const sig = decodeBase64(entry.sig);
    const reason = `envelope signature ${i} by ${did} does not verify`;
    if (sig === undefined || !check(sig, message, key, reason)) return reason;
    if (did === agent) byAgent = true;
  }
  return byAgent ? undefined : `envelope is not signed by the record's agent ${agent}`;
}

/** did:key → public key, or undefined when it is not an Ed25519 did:key. */
export function publicKeyOfDid(did: string): Uint8Array | undefined {
  try {
    return didToPublicKey(did);
  } catch {
    return undefined;
  }
}
