import { parseStatement, StatementError } from '@agentguard/statement';
import { AttestationError } from './errors.js';
import { type CallClaims, type CallStatement, CallStatementSchema, PREDICATE_TYPE, SUBJECT_PREFIX } from './schema.js';
import { MAX_TTL_MS } from './sign.js';

/** Deepest nesting of arrays and objects accepted in a payload (ours have depth 4). */
const MAX_JSON_DEPTH = 32;

/** A call statement read from verified payload bytes (see {@link parseCallStatement}). */
export interface ParsedCallStatement {
  readonly statement: CallStatement;
  /** The statement's predicate, frozen. */
  readonly claims: CallClaims;
  /** `issuedAt` in epoch milliseconds. */
  readonly issuedMs: number;
  /** `expiresAt` in epoch milliseconds. */
  readonly expiresMs: number;
}

function invalid(reason: string, cause?: unknown): AttestationError {
  return new AttestationError('ERR_ATTESTATION_STATEMENT_INVALID', reason, cause === undefined ? {} : { cause });
}

/**
 * Reads the payload bytes of a verified call envelope as the in-toto
 * Statement v1 of one tool call, with every check that needs no clock, key or
 * expectation: strict UTF-8 JSON (through `@agentguard/statement`), exactly
 * our predicate type and fields, one subject named `tool-call:<callId>` whose
 * SHA-256 is the claims' args digest, `expiresAt` after `issuedAt` and at
 * most {@link MAX_TTL_MS} later. The bytes are parsed as they were signed,
 * never re-canonicalised.
 *
 * Used by the call verifier, the audit log verifier and the signer service, so
 * all three read a call statement the same way.
 *
 * @param payload - the payload bytes whose signature was verified.
 * @returns the statement and claims, frozen, with the validity window in milliseconds.
 * @throws AttestationError `ERR_ATTESTATION_STATEMENT_INVALID` or `ERR_ATTESTATION_ENVELOPE_VALIDITY_TOO_LONG`.
 */
export function parseCallStatement(payload: Uint8Array): ParsedCallStatement {
  let generic: ReturnType<typeof parseStatement>;
  try {
    generic = parseStatement(payload, { predicateType: PREDICATE_TYPE, maxSubjects: 1, maxDepth: MAX_JSON_DEPTH });
  } catch (cause) {
    if (cause instanceof StatementError) throw invalid(`statement: ${cause.message}`, cause);
    throw cause;
  }
  const checked = CallStatementSchema.safeParse(generic);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw invalid(`statement ${issue?.path.join('.') || ''}: ${issue?.message ?? 'invalid'}`);
  }
  const statement = checked.data;
  const claims = Object.freeze(statement.predicate);
  const subject = statement.subject[0];
  if (subject.name !== `${SUBJECT_PREFIX}${claims.callId}` || `sha256:${subject.digest.sha256}` !== claims.argsDigest) {
    throw invalid('statement subject does not match the claims (name or args digest)');
  }
  const issuedMs = Date.parse(claims.issuedAt);
  const expiresMs = Date.parse(claims.expiresAt);
  if (expiresMs <= issuedMs) throw invalid('expiresAt is not after issuedAt');
  if (expiresMs - issuedMs > MAX_TTL_MS) {
    throw new AttestationError(
      'ERR_ATTESTATION_ENVELOPE_VALIDITY_TOO_LONG',
      `valid for ${expiresMs - issuedMs} ms, more than any verifier allows (${MAX_TTL_MS} ms)`,
    );
  }
  return Object.freeze({ statement: Object.freeze(statement), claims, issuedMs, expiresMs });
}
