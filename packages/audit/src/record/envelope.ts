import { AttestationError, PAYLOAD_TYPE, parseCallStatement } from '@agentguard/attestation';
import { didOfKeyId, didToPublicKey, verify } from '@agentguard/identity';
import { MAX_PAYLOAD_BYTES, verifyEnvelope } from '@agentguard/statement';

/**
 * What an envelope inside a record must agree with: the record's own fields. The policy hash is not among them:
 * an envelope that came in from another process names the caller's policy, while the record names the policy
 * that decided the call here. Call id, tool, agent and args already tie an envelope to exactly one call.
 */
export interface EnvelopeBinding {
  readonly callId: string;
  readonly tool: string;
  readonly agent: string;
  /** `data.inputDigest ?? data.argsDigest`: the digest of the args as the agent sent them. */
  readonly argsDigest: unknown;
}

const quote = (value: unknown) => JSON.stringify(String(value).slice(0, 80));

/**
 * Checks a DSSE call envelope embedded in a record with the same code that verifies one at call time:
 * `@agentguard/statement` parses and verifies the envelope (exact fields, one signature, payload type and
 * size, canonical base64, signature over the PAE of the exact payload under the key its keyid names) and
 * attestation's `parseCallStatement` reads the statement (strict UTF-8 JSON, predicate, subject, validity
 * window). Then its claims are bound to the record it sits in: agent, call id, tool and args digest must all
 * be the record's. Time is not checked against a clock: a log is verified long after its envelopes expired.
 *
 * @param check - how the signature is checked (at once by default; a deferring checker returns true).
 * @returns undefined when the envelope verifies and belongs to the record, else what is wrong.
 */
export function checkEnvelope(
  input: unknown,
  record: EnvelopeBinding,
  keyOf: (did: string) => Uint8Array | undefined,
  check: (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array, reason: string) => boolean = (
    signature,
    message,
    publicKey,
  ) => verify(signature, message, publicKey),
): string | undefined {
  let did: string | undefined;
  const verified = verifyEnvelope(input, {
    payloadType: PAYLOAD_TYPE,
    maxPayloadBytes: MAX_PAYLOAD_BYTES,
    maxSignatures: 1,
    verifierFor: (keyid) => {
      const base = didOfKeyId(keyid);
      const key = base === undefined ? undefined : keyOf(base);
      if (base === undefined || key === undefined) return undefined;
      return (sig, message) => {
        did = base;
        // A deferring checker answers true now and fails the log later; a wrong length can be refused at once.
        return sig.length === 64 && check(sig, message, key, `envelope signature by ${base} does not verify`);
      };
    },
  });
  if (!verified.ok) {
    if (verified.code === 'ERR_STATEMENT_KEY_UNTRUSTED')
      return `envelope keyid names no Ed25519 did:key (${verified.reason})`;
    return `envelope is not a valid DSSE call envelope: ${verified.code}: ${verified.reason}`;
  }
  let claims: ReturnType<typeof parseCallStatement>['claims'];
  try {
    claims = parseCallStatement(verified.payload).claims;
  } catch (error) {
    if (!(error instanceof AttestationError)) throw error;
    return `envelope statement is invalid: ${error.code}: ${error.message}`;
  }
  if (claims.agent !== did) return `envelope statement names agent ${claims.agent} but is signed by ${did}`;

  // The envelope is the statement of this record's call, not of another one (a spliced envelope fails here).
  if (claims.agent !== record.agent)
    return `envelope is signed by ${claims.agent}, not by the record's agent ${record.agent}`;
  if (claims.callId !== record.callId) {
    return `envelope is for call ${quote(claims.callId)}, the record for call ${quote(record.callId)}`;
  }
  if (claims.tool !== record.tool)
    return `envelope is for tool ${quote(claims.tool)}, the record for ${quote(record.tool)}`;
  if (typeof record.argsDigest !== 'string') return 'record has no argsDigest to bind its envelope to';
  if (claims.argsDigest !== record.argsDigest) {
    return `envelope is for args ${claims.argsDigest}, the record's are ${quote(record.argsDigest)}`;
  }
  return undefined;
}

/** did:key → public key, or undefined when it is not an Ed25519 did:key. */
export function publicKeyOfDid(did: string): Uint8Array | undefined {
  try {
    return didToPublicKey(did);
  } catch {
    return undefined;
  }
}
