import {
  canonicalBytes,
  canonicalize,
  didToPublicKey,
  fromBase64,
  fromUtf8,
  randomBytes,
  type Signer,
  toBase64,
  toBase64Url,
  verify,
} from '@agentguard/identity';
import {
  APPROVAL_PAYLOAD_TYPE,
  type ApprovalErrorCode,
  type ApprovalResult,
  type ApprovalStatement,
  type ApprovalSubject,
  approvalStatementSchema,
  argsDigest,
  preAuthEncoding,
  STATEMENT_TYPE,
  type SignedApproval,
  signedApprovalSchema,
} from './approval-statement.js';
import type { StateStore } from './state-store.js';

/**
 * Signed approvals: a human (or an approval service) signs, with its own
 * Ed25519 key, a statement bound to one call: call id, tool, digest of the
 * canonical arguments, policy hash, expiry and a nonce. The statement travels
 * in a DSSE envelope (the signature covers DSSE's pre-authentication
 * encoding of the exact payload bytes, which are never re-canonicalised on
 * verification), and a nonce store lets each approval be used once only.
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
  readonly expiresInMs?: number;
  /** @default new Date() */
  readonly now?: Date;
  /** Free text for the audit. */
  readonly reason?: string;
}

/**
 * Signs an approval (or a rejection) of one call.
 *
 * @param subject - the call: id, tool, args, policy hash.
 * @param options - see {@link CreateApprovalOptions}.
 * @returns a DSSE envelope to hand back to the guard.
 * @throws TypeError/RangeError on misuse; IdentityError when `args` is not JSON.
 * @example
 * ```ts
 * const approval = await createApproval(
 *   { callId, tool: 'refund', args, policyHash: engine.hash },
 *   { approver: aliceIdentity },
 * );
 * ```
 */
export async function createApproval(
  subject: ApprovalSubject,
  options: CreateApprovalOptions,
): Promise<SignedApproval> {
  const { approver } = options;
  if (typeof approver !== 'object' || approver === null || typeof approver.sign !== 'function') {
    throw new TypeError('"approver" expected a Signer');
  }
  const expiresInMs = options.expiresInMs ?? 300_000;
  if (!Number.isFinite(expiresInMs) || expiresInMs <= 0) {
    throw new RangeError(`"expiresInMs" expected a positive number, got ${expiresInMs}`);
  }
  const now = options.now ?? new Date();
  const statement: ApprovalStatement = approvalStatementSchema.parse({
    _type: STATEMENT_TYPE,
    approver: approver.id,
    decision: options.decision ?? 'approve',
    callId: subject.callId,
    tool: subject.tool,
    argsDigest: argsDigest(subject.args),
    policyHash: subject.policyHash,
    issuedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + expiresInMs).toISOString(),
    nonce: toBase64Url(randomBytes(18)),
    ...(options.reason === undefined ? {} : { reason: options.reason }),
  });
  const payload = canonicalBytes(statement);
  const sig = await approver.sign(preAuthEncoding(APPROVAL_PAYLOAD_TYPE, payload));
  return {
    payloadType: APPROVAL_PAYLOAD_TYPE,
    payload: toBase64(payload),
    signatures: [{ keyid: approver.keyId, sig: toBase64(sig) }],
  };
}

/** Options of {@link verifyApproval}. */
export interface VerifyApprovalOptions {
  /** The `did:key` ids of approvers whose approvals count. */
  readonly trustedApprovers: readonly string[];
  /** Where used nonces are remembered (share it between processes to refuse replays across them). */
  readonly nonceStore: StateStore;
  /** @default new Date() */
  readonly now?: Date;
  /**
   * Tolerated clock difference between approver and verifier.
   * @default 30_000
   */
  readonly clockSkewMs?: number;
  /** @default 'agentguard:' */
  readonly keyPrefix?: string;
  /**
   * `did:key` ids whose approvals never count, even when listed in `trustedApprovers`: the calling agent's
   * own key and every key of its delegation chain (an agent must not approve its own calls). Such an
   * approval is refused with `ERR_POLICY_APPROVAL_SELF_SIGNED`.
   * @default []
   */
  readonly excludedApprovers?: readonly string[];
}

function refuse(code: ApprovalErrorCode, reason: string, approver?: string): ApprovalResult {
  return approver === undefined ? { ok: false, code, reason } : { ok: false, code, reason, approver };
}

/**
 * Checks a signed approval against the call it must be about, and accepts it
 * once. Never throws on hostile input: every refusal is a result with a code.
 *
 * Checks, in order: envelope and statement shape (canonical payload only),
 * a trusted approver, the signature, an approver other than the caller
 * (`excludedApprovers`), the validity window, the binding to call id, tool,
 * args digest and policy hash, the decision, and finally the nonce (consumed
 * only when everything else holds).
 *
 * @returns `{ ok: true, approver, statement }` or `{ ok: false, code, reason }`.
 * @example
 * ```ts
 * const result = await verifyApproval(approval, { callId, tool, args, policyHash }, {
 *   trustedApprovers: [alice.id],
 *   nonceStore: stateStore,
 * });
 * if (!result.ok) throw new Error(`${result.code}: ${result.reason}`);
 * ```
 */
export async function verifyApproval(
  approval: unknown,
  expected: ApprovalSubject,
  options: VerifyApprovalOptions,
): Promise<ApprovalResult> {
  if (!Array.isArray(options.trustedApprovers)) throw new TypeError('"trustedApprovers" expected an array');
  const excluded = options.excludedApprovers ?? [];
  if (!Array.isArray(excluded)) throw new TypeError('"excludedApprovers" expected an array');
  const skew = options.clockSkewMs ?? 30_000;
  const now = (options.now ?? new Date()).getTime();
  const envelope = signedApprovalSchema.safeParse(approval);
  if (!envelope.success)
    return refuse(
      'ERR_POLICY_APPROVAL_MALFORMED',
      `not a signed approval envelope: ${envelope.error.issues[0]?.message}`,
    );
  let payload: Uint8Array;
  let statement: ApprovalStatement;
  try {
    payload = fromBase64(envelope.data.payload);
    const text = fromUtf8(payload);
    const parsed = approvalStatementSchema.safeParse(JSON.parse(text));
    if (!parsed.success)
      return refuse('ERR_POLICY_APPROVAL_MALFORMED', `bad statement: ${parsed.error.issues[0]?.message}`);
    // Only the canonical form is accepted: no duplicate keys, no reordering, no whitespace games.
    if (canonicalize(parsed.data) !== text)
      return refuse('ERR_POLICY_APPROVAL_MALFORMED', 'statement is not canonical JSON');
    statement = parsed.data;
  } catch (error) {
    return refuse('ERR_POLICY_APPROVAL_MALFORMED', `payload is not base64 JSON: ${(error as Error).message}`);
  }
  const approver = statement.approver;
  if (!options.trustedApprovers.includes(approver)) {
    return refuse('ERR_POLICY_APPROVAL_UNTRUSTED', `approver ${approver} is not trusted`);
  }
  const signature = envelope.data.signatures[0] as { keyid: string; sig: string };
  let valid = false;
  try {
    const publicKey = didToPublicKey(approver);
    valid = verify(fromBase64(signature.sig), preAuthEncoding(APPROVAL_PAYLOAD_TYPE, payload), publicKey);
  } catch {
    valid = false;
  }
  if (!valid) return refuse('ERR_POLICY_APPROVAL_FORGED', `signature does not verify under ${approver}`);
  // Whatever the configuration: the agent (or a key it holds through its delegation chain) approving its own
  // call is no approval. Checked before the decision, so a self-signed rejection names no approver either.
  if (excluded.includes(approver)) {
    return refuse(
      'ERR_POLICY_APPROVAL_SELF_SIGNED',
      `approver ${approver} is the calling agent or a key of its delegation chain: an agent cannot approve its own calls`,
      approver,
    );
  }
  const issuedAt = Date.parse(statement.issuedAt);
  const expiresAt = Date.parse(statement.expiresAt);
  if (issuedAt - skew > now)
    return refuse('ERR_POLICY_APPROVAL_NOT_YET_VALID', `issued in the future (${statement.issuedAt})`, approver);
  if (expiresAt + skew <= now)
    return refuse('ERR_POLICY_APPROVAL_EXPIRED', `expired at ${statement.expiresAt}`, approver);
  let digest: string;
  try {
    digest = argsDigest(expected.args);
  } catch (error) {
    return refuse('ERR_POLICY_APPROVAL_MISMATCH', `call arguments are not JSON: ${(error as Error).message}`, approver);
  }
  for (const [field, want] of [
    ['callId', expected.callId],
    ['tool', expected.tool],
    ['argsDigest', digest],
    ['policyHash', expected.policyHash],
  ] as const) {
    if (statement[field] !== want) {
      return refuse(
        'ERR_POLICY_APPROVAL_MISMATCH',
        `approval is for another ${field} (${statement[field]}, expected ${want})`,
        approver,
      );
    }
  }
  if (statement.decision !== 'approve') {
    return refuse('ERR_POLICY_APPROVAL_REJECTED', statement.reason ?? `rejected by ${approver}`, approver);
  }
  const fresh = await options.nonceStore.checkAndRemember(
    `${options.keyPrefix ?? 'agentguard:'}approval:${statement.nonce}`,
    expiresAt + skew,
    now,
  );
  if (!fresh)
    return refuse('ERR_POLICY_APPROVAL_REPLAYED', `approval nonce ${statement.nonce} was already used`, approver);
  return { ok: true, approver, statement };
}
