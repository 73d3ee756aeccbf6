import type { Signer } from '@agentguard/identity';
import { canonicalBytes, type JsonValue, signEnvelope } from '@agentguard/statement';
import { bindArgs } from './args.js';
import { nowFrom } from './clock.js';
import { AttestationError } from './errors.js';
import { freshNonce } from './nonce.js';
import {
  type CallClaims,
  CallClaimsSchema,
  plainlyValidClaims,
  type CallStatement,
  type DsseEnvelope,
  PAYLOAD_TYPE,
  PREDICATE_TYPE,
  STATEMENT_TYPE,
  SUBJECT_PREFIX,
} from './schema.js';

/** Default validity of a call envelope: 60 s. */
export const DEFAULT_TTL_MS = 60_000;
/** Longest validity a signer may ask for, and the ceiling of a verifier's `maxValidityMs`: 1 hour. */
export const MAX_TTL_MS = 3_600_000;

/** Input of {@link signCall}. */
export interface SignCallInput {
  /** The agent's signer; its `id` becomes the claims' `agent`, its `keyId` the DSSE `keyid`. */
  readonly signer: Signer;
  /** Id of the call: printable ASCII without spaces, 1 to 256 characters. */
  readonly callId: string;
  /** Name of the tool called: 1 to 256 characters, no control characters. */
  readonly tool: string;
  /** The call's arguments, plain JSON data; only their digest is signed. */
  readonly args: unknown;
  /** Content hash of the policy in force. */
  readonly policyHash: string;
  /**
   * Time of signing, in epoch milliseconds.
   * @default Date.now()
   */
  readonly nowMs?: number;
  /**
   * Milliseconds the envelope stays valid, 1 to {@link MAX_TTL_MS}.
   * @default 60_000
   */
  readonly ttlMs?: number;
  /**
   * 16 random bytes as unpadded base64url. Supply one only for reproducible tests.
   * @default 16 bytes from the platform CSPRNG
   */
  readonly nonce?: string;
}

/** A signed call: the envelope to send, with the claims and payload bytes it holds. */
export interface SignedCall {
  /** The DSSE envelope, frozen. */
  readonly envelope: DsseEnvelope;
  /** The claims signed, frozen. */
  readonly claims: CallClaims;
  /** The exact payload bytes signed (JCS of the statement); a fresh copy on each read. */
  readonly payload: Uint8Array;
}

function checkInput(input: SignCallInput): void {
  if (typeof input !== 'object' || input === null) throw new TypeError('"input" expected an object');
  const { signer, ttlMs } = input;
  if (
    typeof signer !== 'object' ||
    signer === null ||
    typeof signer.sign !== 'function' ||
    typeof signer.id !== 'string' ||
    typeof signer.keyId !== 'string'
  ) {
    throw new TypeError('"signer" expected a Signer with id, keyId and sign()');
  }
  // The keyid must name the signer's own did:key (itself or its verification method), or no verifier could match them.
  if (signer.keyId !== signer.id && signer.keyId !== `${signer.id}#${signer.id.slice('did:key:'.length)}`) {
    throw new TypeError('"signer.keyId" expected the signer\'s did:key or its verification method id');
  }
  if (ttlMs !== undefined && (!Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_TTL_MS)) {
    throw new RangeError(`"ttlMs" expected an integer from 1 to ${MAX_TTL_MS}, got ${String(ttlMs)}`);
  }
}

/**
 * Signs a tool call: builds the claims, wraps them in an in-toto Statement v1
 * whose subject is the args digest, serialises it with RFC 8785 (JCS), and
 * signs the DSSE PAE of those exact bytes.
 *
 * @param input - see {@link SignCallInput}.
 * @returns the {@link SignedCall}.
 * @throws TypeError / RangeError on misuse (bad callId, tool, policyHash, nonce, nowMs or ttlMs);
 *   AttestationError `ERR_ATTESTATION_ARGS_INVALID` when args are not plain JSON data,
 *   `ERR_ATTESTATION_SIGNING_FAILED` when the signer fails.
 * @example
 * ```ts
 * const agent = createIdentity({ name: 'billing' });
 * const { envelope } = await signCall({ signer: agent, callId: 'c1', tool: 'refund', args: { id: 7 }, policyHash });
 * ```
 */
export async function signCall(input: SignCallInput): Promise<SignedCall> {
  checkInput(input);
  const { signer } = input;
  const issuedMs = nowFrom(input.nowMs);
  const ttlMs = input.ttlMs ?? DEFAULT_TTL_MS;
  const { args, digest } = bindArgs(input.args);
  const claimsInput = {
    callId: input.callId,
    agent: signer.id,
    tool: input.tool,
    argsDigest: digest,
    policyHash: input.policyHash,
    issuedAt: new Date(issuedMs).toISOString(),
    expiresAt: new Date(issuedMs + ttlMs).toISOString(),
    nonce: input.nonce ?? freshNonce(),
  };
  const claims: CallClaims = Object.freeze(checkedClaims(claimsInput));
  const statement: CallStatement = {
    _type: STATEMENT_TYPE,
    subject: [{ name: `${SUBJECT_PREFIX}${claims.callId}`, digest: { sha256: digest.slice('sha256:'.length) } }],
    predicateType: PREDICATE_TYPE,
    predicate: claims,
  };
  const payload = canonicalBytes(statement);
  const envelope: DsseEnvelope = await signEnvelope(PAYLOAD_TYPE, payload, [
    {
      keyid: signer.keyId,
      sign: async (message) => {
        let sig: unknown;
        try {
          // The args go along as context for a signer that decides by policy; it checks them against the digest.
          sig = await signer.sign(message, { args: args as JsonValue });
        } catch (cause) {
          throw new AttestationError('ERR_ATTESTATION_SIGNING_FAILED', `signer ${signer.id} failed to sign the call`, {
            cause,
          });
        }
        if (!(sig instanceof Uint8Array) || sig.length !== 64) {
          throw new AttestationError(
            'ERR_ATTESTATION_SIGNING_FAILED',
            'signer returned something other than a 64-byte signature',
          );
        }
        return sig;
      },
    },
  ]);
  const signed = { envelope, claims };
  Object.defineProperty(signed, 'payload', PAYLOAD_GETTER);
  signedPayloads.set(signed, payload);
  return Object.freeze(signed) as SignedCall;
}

/** The signed bytes of each signed call, out of reach of any code but this module's getter. */
const signedPayloads = new WeakMap<object, Uint8Array>();

/**
 * The one `payload` getter of every signed call: a fresh copy of the signed bytes on every read. An own, enumerable
 * accessor of a plain object, as a getter written in the result's literal was; but that getter was a new function
 * per call, which V8 answers with a hidden class per call (docs/contributing.md).
 */
const PAYLOAD_GETTER: PropertyDescriptor = Object.freeze({
  get(this: object): Uint8Array {
    const bytes = signedPayloads.get(this);
    if (bytes === undefined) throw new TypeError('"payload" is read from the signed call signCall returned');
    return bytes.slice();
  },
  enumerable: true,
  configurable: false,
});

/**
 * The claims, checked: our own object of exactly the schema's members, so when the plain checks pass it is
 * what a schema parse would return; otherwise the schema decides and words the misuse.
 */
function checkedClaims(claims: Record<string, unknown>): CallClaims {
  if (plainlyValidClaims(claims)) return claims;
  const checked = CallClaimsSchema.safeParse(claims);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new TypeError(`"${String(issue?.path[0] ?? 'input')}" ${issue?.message ?? 'is invalid'}`);
  }
  return checked.data;
}
