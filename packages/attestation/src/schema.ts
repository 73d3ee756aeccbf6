import { type Envelope, IN_TOTO_PAYLOAD_TYPE, STATEMENT_V1_TYPE } from '@agentguard/statement';
import { z } from 'zod';

/** DSSE `payloadType` of every call envelope: an in-toto Statement in JSON. */
export const PAYLOAD_TYPE = IN_TOTO_PAYLOAD_TYPE;
/** in-toto Statement v1 `_type` (in-toto attestation framework, statement.md). */
export const STATEMENT_TYPE = STATEMENT_V1_TYPE;
/** Our predicate type; the `v1` is the version of {@link CallClaims}. */
export const PREDICATE_TYPE = 'https://agentguard.dev/attestation/tool-call/v1';
/** Prefix of the one subject's name: `tool-call:<callId>`. */
export const SUBJECT_PREFIX = 'tool-call:';

/** Largest decoded payload accepted, in bytes (64 KiB). */
export const MAX_PAYLOAD_BYTES = 65_536;

// Printable ASCII, no space: ids end up in logs, file names and headers.
const PRINTABLE_ID = /^[\x21-\x7E]+$/;
// No C0/C1 control characters (no log injection through a tool name).
const NO_CONTROL = /^[^\p{Cc}]+$/u;
// did:key of an Ed25519 key: multibase base58btc, 48 characters after 'z' for 34 bytes.
const DID_KEY = /^did:key:z[1-9A-HJ-NP-Za-km-z]{40,60}$/;
// Canonical unpadded base64url of exactly 16 bytes: the last character carries 2 bits, the other 4 are zero.
const NONCE = /^[A-Za-z0-9_-]{21}[AQgw]$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const ARGS_DIGEST = /^sha256:[0-9a-f]{64}$/;
// RFC 3339 in the one form Date#toISOString produces: UTC, milliseconds.
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** @internal A timestamp that is a real instant written exactly as `Date#toISOString` writes it. */
export const timestamp = z
  .string()
  .regex(TIMESTAMP, 'expected RFC 3339 UTC with milliseconds, e.g. 2026-01-01T00:00:00.000Z')
  .refine((text) => {
    const ms = Date.parse(text);
    // Round trip: rejects 2026-02-30 and other dates that Date.parse silently rolls over.
    return Number.isFinite(ms) && new Date(ms).toISOString() === text;
  }, 'not a real date');

/** @internal A call id, wherever a statement names one (a call's claims, an approval): 1-256 printable ASCII. */
export const callIdSchema = z.string().min(1).max(256).regex(PRINTABLE_ID, 'expected printable ASCII without spaces');
/** @internal A tool's name, wherever a statement names one (a call's claims, an approval's subject). */
export const toolNameSchema = z.string().min(1).max(256).regex(NO_CONTROL, 'expected no control characters');

/** The claims of one tool call: the predicate of the statement. */
export const CallClaimsSchema = z.strictObject({
  callId: callIdSchema,
  agent: z.string().regex(DID_KEY, 'expected an Ed25519 did:key'),
  tool: toolNameSchema,
  argsDigest: z.string().regex(ARGS_DIGEST, "expected 'sha256:' and 64 lower-case hex digits"),
  policyHash: z.string().min(1).max(256).regex(PRINTABLE_ID, 'expected printable ASCII without spaces'),
  issuedAt: timestamp,
  expiresAt: timestamp,
  nonce: z.string().regex(NONCE, 'expected 16 bytes as canonical unpadded base64url'),
});

/**
 * @internal Whether claims a signer built are plainly valid by {@link CallClaimsSchema}: the same checks,
 * without a schema parse (which costs as much as the rest of signing a call but the signature). Accepts
 * nothing the schema refuses; false when the schema must decide (and word the problem). A property test
 * holds the two to the same answers.
 */
export function plainlyValidClaims(
  claims: Readonly<Record<string, unknown>>,
): claims is Readonly<Record<string, unknown>> & CallClaims {
  const { callId, agent, tool, argsDigest, policyHash, issuedAt, expiresAt, nonce } = claims;
  return (
    Object.keys(claims).length === 8 &&
    isId(callId) &&
    typeof agent === 'string' &&
    DID_KEY.test(agent) &&
    typeof tool === 'string' &&
    tool.length >= 1 &&
    tool.length <= 256 &&
    NO_CONTROL.test(tool) &&
    typeof argsDigest === 'string' &&
    ARGS_DIGEST.test(argsDigest) &&
    isId(policyHash) &&
    isInstant(issuedAt) &&
    isInstant(expiresAt) &&
    typeof nonce === 'string' &&
    NONCE.test(nonce)
  );
}

const isId = (value: unknown): value is string =>
  typeof value === 'string' && value.length >= 1 && value.length <= 256 && PRINTABLE_ID.test(value);

const isInstant = (text: unknown): text is string => {
  if (typeof text !== 'string' || !TIMESTAMP.test(text)) return false;
  const ms = Date.parse(text);
  return Number.isFinite(ms) && new Date(ms).toISOString() === text;
};

/** The one subject: the call's arguments, named after the call, with their SHA-256. */
export const CallSubjectSchema = z.strictObject({
  name: z
    .string()
    .min(SUBJECT_PREFIX.length + 1)
    .max(SUBJECT_PREFIX.length + 256),
  digest: z.strictObject({ sha256: z.string().regex(SHA256_HEX) }),
});

/** The signed payload: an in-toto Statement v1 whose predicate is {@link CallClaims}. */
export const CallStatementSchema = z.strictObject({
  _type: z.literal(STATEMENT_TYPE),
  subject: z.tuple([CallSubjectSchema]),
  predicateType: z.literal(PREDICATE_TYPE),
  predicate: CallClaimsSchema,
});

/** A DSSE envelope as `@agentguard/statement` parses it: exactly one signature, with a keyid, for call envelopes. */
export type DsseEnvelope = Envelope;
/**
 * What a call envelope claims: the predicate of its statement. Every field is checked when a statement is read
 * ({@link parseCallStatement}) or signed ({@link signCall}).
 */
export interface CallClaims {
  /** 1-256 printable ASCII characters, no space. */
  readonly callId: string;
  /** The calling agent's Ed25519 did:key: the key that signs the envelope. */
  readonly agent: string;
  /** The tool's name: 1-256 characters, no control characters. */
  readonly tool: string;
  /** `sha256:` and 64 lower-case hex digits of the RFC 8785 canonical args ({@link digestArgs}). */
  readonly argsDigest: string;
  /** The hash of the policy the caller expects to decide the call. */
  readonly policyHash: string;
  /** RFC 3339 UTC with milliseconds, as `Date#toISOString` writes it. */
  readonly issuedAt: string;
  /** RFC 3339 UTC with milliseconds; after `issuedAt`, by at most {@link MAX_TTL_MS}. */
  readonly expiresAt: string;
  /** 16 random bytes, canonical unpadded base64url: what a replay cache remembers. */
  readonly nonce: string;
}

/** The in-toto Statement v1 inside a call envelope: one subject (`tool-call:<callId>`, the args' SHA-256), {@link CallClaims}. */
export interface CallStatement {
  readonly _type: typeof STATEMENT_TYPE;
  readonly subject: readonly [{ readonly name: string; readonly digest: { readonly sha256: string } }];
  readonly predicateType: typeof PREDICATE_TYPE;
  readonly predicate: CallClaims;
}
