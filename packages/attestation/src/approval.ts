import type { Signer } from '@agentguard/identity';
import {
  canonicalBytes,
  digestArgs,
  randomBytes,
  signEnvelope,
  STATEMENT_V1_TYPE,
  toBase64Url,
} from '@agentguard/statement';
import {
  APPROVAL_PAYLOAD_TYPE,
  APPROVAL_PREDICATE_TYPE,
  type ApprovalStatement,
  type ApprovalSubject,
  approvalStatementSchema,
  type SignedApproval,
} from './approval-statement.js';
import { nowFrom } from './clock.js';

/**
 * Signed approvals: a human (or an approval service) signs, with its own Ed25519 key, an in-toto Statement
 * about one call: the subject is the tool with the SHA-256 of the canonical arguments; the predicate names
 * the call id, the approver, the decision, the policy hash, the validity window, a nonce and, when known,
 * the calling agent. The statement travels in a DSSE envelope (the signature covers DSSE's
 * pre-authentication encoding of the exact payload bytes, which are never re-canonicalised on
 * verification), and a replay cache lets each approval be used once only.
 */

/** Options of {@link createApproval}. */
export interface CreateApprovalOptions {
  /** The approver's own key (not the agent's). */
  readonly approver: Signer;
  /** @default 'approve' */
  readonly decision?: 'approve' | 'reject';
  /**
   * How long the approval stays usable.
   * @default 300_000 (five minutes)
   */
  readonly ttlMs?: number;
  /**
   * Time of signing, in epoch milliseconds.
   * @default Date.now()
   */
  readonly nowMs?: number;
  /** Free text for the audit. */
  readonly reason?: string;
  /**
   * 22 to 64 base64url characters. Supply one only for reproducible tests.
   * @default 18 bytes from the platform CSPRNG
   */
  readonly nonce?: string;
}

/**
 * Signs an approval (or a rejection) of one call.
 *
 * @param subject - the call: id, tool, args, policy hash and, optionally, the calling agent.
 * @param options - see {@link CreateApprovalOptions}.
 * @returns a DSSE envelope to hand back to the guard.
 * @throws TypeError/RangeError on misuse (including a field the statement schema refuses);
 *   StatementError `ERR_STATEMENT_JSON_*` when `args` is not JSON.
 * @example
 * ```ts
 * const approval = await createApproval(
 *   { callId, tool: 'refund', args, policyHash: engine.hash, agent: request.agent },
 *   { approver: aliceIdentity },
 * );
 * ```
 */
export async function createApproval(
  subject: ApprovalSubject,
  options: CreateApprovalOptions,
): Promise<SignedApproval> {
  if (typeof subject !== 'object' || subject === null) throw new TypeError('"subject" expected an object');
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  const { approver } = options;
  if (typeof approver !== 'object' || approver === null || typeof approver.sign !== 'function') {
    throw new TypeError('"approver" expected a Signer');
  }
  const ttlMs = options.ttlMs ?? 300_000;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`"ttlMs" expected a positive number, got ${ttlMs}`);
  }
  const nowMs = nowFrom(options.nowMs);
  const digest = digestArgs(subject.args);
  const parsed = approvalStatementSchema.safeParse({
    _type: STATEMENT_V1_TYPE,
    subject: [{ name: subject.tool, digest: { sha256: digest.slice('sha256:'.length) } }],
    predicateType: APPROVAL_PREDICATE_TYPE,
    predicate: {
      callId: subject.callId,
      ...(subject.agent === undefined ? {} : { agent: subject.agent }),
      approver: approver.id,
      decision: options.decision ?? 'approve',
      policyHash: subject.policyHash,
      issuedAt: new Date(nowMs).toISOString(),
      expiresAt: new Date(nowMs + ttlMs).toISOString(),
      nonce: options.nonce ?? toBase64Url(randomBytes(18)),
      ...(options.reason === undefined ? {} : { reason: options.reason }),
    },
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TypeError(`"${issue?.path.join('.') || 'subject'}" ${issue?.message ?? 'is invalid'}`);
  }
  const statement: ApprovalStatement = parsed.data;
  return signEnvelope(APPROVAL_PAYLOAD_TYPE, canonicalBytes(statement), [
    { keyid: approver.keyId, sign: (message) => approver.sign(message) },
  ]);
}
