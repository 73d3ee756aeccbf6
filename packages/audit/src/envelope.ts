import { didToPublicKey, verify } from '@agentguard/identity';
import { fromBase64, fromUtf8, parseJson, utf8 } from '@agentguard/statement';
import { z } from 'zod';

/**
 * The call envelope as `@agentguard/attestation` signs and accepts it, re-stated here so the audit
 * package does not depend on attestation (the adversarial suite holds both verifiers to the same
 * answers). Sources: attestation's `schema.ts` and `verify.ts`.
 */
const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
const PREDICATE_TYPE = 'https://agentguard.dev/attestation/tool-call/v1';
const SUBJECT_PREFIX = 'tool-call:';
const MAX_PAYLOAD_BYTES = 65_536;
const MAX_PAYLOAD_B64 = Math.ceil(MAX_PAYLOAD_BYTES / 3) * 4;
/** Attestation's longest validity window a verifier may allow (`MAX_TTL_MS`). */
const MAX_VALIDITY_MS = 3_600_000;
/** Attestation's nesting bound of a payload (`MAX_JSON_DEPTH`). */
const MAX_PAYLOAD_DEPTH = 32;

const PRINTABLE_ID = /^[\x21-\x7E]+$/;
const NO_CONTROL = /^[^\p{Cc}]+$/u;
const DID_KEY = /^did:key:z[1-9A-HJ-NP-Za-km-z]{40,60}$/;
const NONCE = /^[A-Za-z0-9_-]{21}[AQgw]$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const ARGS_DIGEST = /^sha256:[0-9a-f]{64}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const timestamp = z
  .string()
  .regex(TIMESTAMP, 'expected RFC 3339 UTC with milliseconds')
  .refine((text) => {
    const ms = Date.parse(text);
    return Number.isFinite(ms) && new Date(ms).toISOString() === text;
  }, 'not a real date');

/** DSSE envelope: exactly one signature, with a keyid, and no other field. */
const EnvelopeSchema = z.strictObject({
  payloadType: z.string().min(1).max(256),
  payload: z.string().max(MAX_PAYLOAD_B64),
  signatures: z
    .array(z.strictObject({ keyid: z.string().min(1).max(256), sig: z.string().min(1).max(100) }))
    .length(1, 'expected exactly one signature'),
});

/** The in-toto Statement v1 of one tool call. */
const StatementSchema = z.strictObject({
  _type: z.literal(STATEMENT_TYPE),
  subject: z.tuple([
    z.strictObject({
      name: z
        .string()
        .min(SUBJECT_PREFIX.length + 1)
        .max(SUBJECT_PREFIX.length + 256),
      digest: z.strictObject({ sha256: z.string().regex(SHA256_HEX) }),
    }),
  ]),
  predicateType: z.literal(PREDICATE_TYPE),
  predicate: z.strictObject({
    callId: z.string().min(1).max(256).regex(PRINTABLE_ID),
    agent: z.string().regex(DID_KEY),
    tool: z.string().min(1).max(256).regex(NO_CONTROL),
    argsDigest: z.string().regex(ARGS_DIGEST),
    policyHash: z.string().min(1).max(256).regex(PRINTABLE_ID),
    issuedAt: timestamp,
    expiresAt: timestamp,
    nonce: z.string().regex(NONCE),
  }),
});

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
function decodeBase64(text: string): Uint8Array | undefined {
  const urlSafe = text.includes('-') || text.includes('_');
  if (urlSafe && (text.includes('+') || text.includes('/'))) return undefined;
  try {
    return fromBase64(urlSafe ? text.replaceAll('-', '+').replaceAll('_', '/') : text);
  } catch {
    return undefined;
  }
}

/** The bare did:key of a keyid (`did:key:z…` or `did:key:z…#z…` whose fragment repeats the key), as attestation reads it. */
function baseDid(keyid: string): string | undefined {
  const hash = keyid.indexOf('#');
  if (hash < 0) return keyid;
  const base = keyid.slice(0, hash);
  return keyid.slice(hash + 1) === base.slice('did:key:'.length) ? base : undefined;
}

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
 * Checks a DSSE call envelope embedded in a record as strictly as `@agentguard/attestation` verifies
 * one (shape, one signature, payload type and size, keyid, signature over the exact payload, strict
 * UTF-8 JSON statement, agent, subject, validity window), then binds its statement to the record
 * it sits in: call id, tool, agent and args digest must all be the record's.
 * Time is not checked against a clock: a log is verified long after its envelopes expired.
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
  const parsed = EnvelopeSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? 'envelope' : issue.path.map(String).join('.');
    return `envelope is not a DSSE call envelope: ${where}: ${issue?.message ?? 'invalid'}`;
  }
  const envelope = parsed.data;
  if (envelope.payloadType !== PAYLOAD_TYPE) {
    return `envelope payloadType is ${quote(envelope.payloadType)}, expected ${PAYLOAD_TYPE}`;
  }
  const payload = decodeBase64(envelope.payload);
  if (payload === undefined) return 'envelope payload is not canonical base64';
  if (payload.length > MAX_PAYLOAD_BYTES) return `envelope payload is over ${MAX_PAYLOAD_BYTES} bytes`;
  const [entry] = envelope.signatures as [{ keyid: string; sig: string }];
  const did = baseDid(entry.keyid);
  const key = did === undefined ? undefined : keyOf(did);
  if (did === undefined || key === undefined) return `envelope keyid ${quote(entry.keyid)} names no Ed25519 did:key`;
  const sig = decodeBase64(entry.sig);
  if (sig === undefined || sig.length !== 64) return 'envelope signature is not base64 of 64 bytes';
  const reason = `envelope signature by ${did} does not verify`;
  if (!check(sig, pae(envelope.payloadType, payload), key, reason)) return reason;

  let value: unknown;
  try {
    value = parseJson(fromUtf8(payload), { maxDepth: MAX_PAYLOAD_DEPTH });
  } catch (cause) {
    return `envelope payload is not strict UTF-8 JSON: ${cause instanceof Error ? cause.message : String(cause)}`;
  }
  const statement = StatementSchema.safeParse(value);
  if (!statement.success) {
    const issue = statement.error.issues[0];
    return `envelope statement ${issue?.path.map(String).join('.') ?? ''}: ${issue?.message ?? 'invalid'}`;
  }
  const claims = statement.data.predicate;
  const subject = statement.data.subject[0];
  if (claims.agent !== did) return `envelope statement names agent ${claims.agent} but is signed by ${did}`;
  if (subject.name !== `${SUBJECT_PREFIX}${claims.callId}` || `sha256:${subject.digest.sha256}` !== claims.argsDigest) {
    return 'envelope statement subject does not match its claims (name or args digest)';
  }
  const issued = Date.parse(claims.issuedAt);
  const expires = Date.parse(claims.expiresAt);
  if (expires <= issued) return 'envelope expiresAt is not after issuedAt';
  if (expires - issued > MAX_VALIDITY_MS)
    return `envelope is valid for ${expires - issued} ms, more than any verifier allows`;

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
