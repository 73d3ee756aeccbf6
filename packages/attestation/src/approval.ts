import { didToPublicKey, type Signer, verify } from '@agentguard/identity';
import {
  canonicalBytes,
  canonicalize,
  digestArgs,
  fromUtf8,
  parseJson,
  randomBytes,
  signEnvelope,
  toBase64Url,
  verifyEnvelope,
} from '@agentguard/statement';
import {
  APPROVAL_PAYLOAD_TYPE,
  APPROVAL_STATEMENT_TYPE,
  type ApprovalErrorCode,
  type ApprovalResult,
  type ApprovalStatement,
  type ApprovalSubject,
  approvalStatementSchema,
  MAX_APPROVAL_PAYLOAD_BYTES,
  type SignedApproval,
} from './approval-statement.js';
import type { ReplayCache } from './replay-cache.js';
import { baseDid } from './trust-store.js';

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
  readonly ttlMs?: number;
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
 * @throws TypeError/RangeError on misuse; StatementError `ERR_STATEMENT_JSON_*` when `args` is not JSON.
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
  const ttlMs = options.ttlMs ?? 300_000;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`"ttlMs" expected a positive number, got ${ttlMs}`);
  }
  const now = options.now ?? new Date();
  const statement: ApprovalStatement = approvalStatementSchema.parse({
    _type: APPROVAL_STATEMENT_TYPE,
    approver: approver.id,
    decision: options.decision ?? 'approve',
    callId: subject.callId,
    tool: subject.tool,
    argsDigest: digestArgs(subject.args),
    policyHash: subject.policyHash,
    issuedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
    nonce: toBase64Url(randomBytes(18)),
    ...(options.reason === undefined ? {} : { reason: options.reason }),
  });
  return signEnvelope(APPROVAL_PAYLOAD_TYPE, canonicalBytes(statement), [
    { keyid: approver.keyId, sign: (message) => approver.sign(message) },
  ]);
}

/** Options of {@link verifyApproval}. */
export interface VerifyApprovalOptions {
  /** The `did:key` ids of approvers whose approvals count. */
  readonly trustedApprovers: readonly string[];
  /**
   * Where used nonces are remembered, the one remember-once interface (a `createReplayCache()`, or a `StateStore`
   * of `@agentguard/policy` such as the Redis one; share it between processes to refuse replays across them).
   */
  readonly nonceStore: ReplayCache;
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
   * approval is refused with `ERR_ATTESTATION_APPROVAL_SELF_SIGNED`.
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
  // The envelope is checked by the statement layer: exact fields, one signature, canonical base64, bounded
  // size, and the signature under the key its keyid names, which must be a trusted approver's did:key.
  let signer: string | undefined;
  const verified = verifyEnvelope(approval, {
    payloadType: APPROVAL_PAYLOAD_TYPE,
    maxPayloadBytes: MAX_APPROVAL_PAYLOAD_BYTES,
    maxSignatures: 1,
    verifierFor: (keyid) => {
      const did = baseDid(keyid);
      if (did === undefined || !options.trustedApprovers.includes(did)) return undefined;
      let publicKey: Uint8Array;
      try {
        publicKey = didToPublicKey(did);
      } catch {
        return undefined;
      }
      return (sig, message) => {
        signer = did;
        return verify(sig, message, publicKey);
      };
    },
  });
  if (!verified.ok) {
    if (verified.code === 'ERR_STATEMENT_KEY_UNTRUSTED')
      return refuse('ERR_ATTESTATION_APPROVAL_UNTRUSTED', verified.reason);
    if (verified.code === 'ERR_STATEMENT_SIGNATURE_INVALID')
      return refuse('ERR_ATTESTATION_APPROVAL_FORGED', verified.reason);
    return refuse(
      'ERR_ATTESTATION_APPROVAL_MALFORMED',
      `not a signed approval envelope: ${verified.code}: ${verified.reason}`,
    );
  }
  let statement: ApprovalStatement;
  try {
    // The exact bytes that were verified, parsed strictly (no duplicate names, no __proto__), never re-encoded.
    const text = fromUtf8(verified.payload);
    const parsed = approvalStatementSchema.safeParse(parseJson(text, { maxDepth: 4 }));
    if (!parsed.success)
      return refuse('ERR_ATTESTATION_APPROVAL_MALFORMED', `bad statement: ${parsed.error.issues[0]?.message}`);
    // Only the canonical form is accepted: no reordering, no whitespace games.
    if (canonicalize(parsed.data) !== text)
      return refuse('ERR_ATTESTATION_APPROVAL_MALFORMED', 'statement is not canonical JSON');
    statement = parsed.data;
  } catch (error) {
    return refuse(
      'ERR_ATTESTATION_APPROVAL_MALFORMED',
      `payload is not strict UTF-8 JSON: ${(error as Error).message}`,
    );
  }
  const approver = statement.approver;
  // The statement names its approver; the signature must be that approver's, not another trusted key's.
  if (approver !== signer) {
    return refuse(
      'ERR_ATTESTATION_APPROVAL_FORGED',
      `statement names approver ${approver} but is signed by ${String(signer)}`,
    );
  }
  // Whatever the configuration: the agent (or a key it holds through its delegation chain) approving its own
  // call is no approval. Checked before the decision, so a self-signed rejection names no approver either.
  if (excluded.includes(approver)) {
    return refuse(
      'ERR_ATTESTATION_APPROVAL_SELF_SIGNED',
      `approver ${approver} is the calling agent or a key of its delegation chain: an agent cannot approve its own calls`,
      approver,
    );
  }
  const issuedAt = Date.parse(statement.issuedAt);
  const expiresAt = Date.parse(statement.expiresAt);
  if (issuedAt - skew > now)
    return refuse('ERR_ATTESTATION_APPROVAL_NOT_YET_VALID', `issued in the future (${statement.issuedAt})`, approver);
  if (expiresAt + skew <= now)
    return refuse('ERR_ATTESTATION_APPROVAL_EXPIRED', `expired at ${statement.expiresAt}`, approver);
  let digest: string;
  try {
    digest = digestArgs(expected.args);
  } catch (error) {
    return refuse(
      'ERR_ATTESTATION_APPROVAL_MISMATCH',
      `call arguments are not JSON: ${(error as Error).message}`,
      approver,
    );
  }
  for (const [field, want] of [
    ['callId', expected.callId],
    ['tool', expected.tool],
    ['argsDigest', digest],
    ['policyHash', expected.policyHash],
  ] as const) {
    if (statement[field] !== want) {
      return refuse(
        'ERR_ATTESTATION_APPROVAL_MISMATCH',
        `approval is for another ${field} (${statement[field]}, expected ${want})`,
        approver,
      );
    }
  }
  if (statement.decision !== 'approve') {
    return refuse('ERR_ATTESTATION_APPROVAL_REJECTED', statement.reason ?? `rejected by ${approver}`, approver);
  }
  const fresh = await options.nonceStore.checkAndRemember(
    `${options.keyPrefix ?? 'agentguard:'}approval:${statement.nonce}`,
    expiresAt + skew,
    now,
  );
  if (!fresh)
    return refuse('ERR_ATTESTATION_APPROVAL_REPLAYED', `approval nonce ${statement.nonce} was already used`, approver);
  return { ok: true, approver, statement };
}
