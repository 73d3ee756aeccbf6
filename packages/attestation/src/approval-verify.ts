import { verify } from '@agentguard/identity';
import { canonicalize, digestArgs, fromUtf8, parseStatement, verifyEnvelope } from '@agentguard/statement';
import {
  APPROVAL_PAYLOAD_TYPE,
  APPROVAL_PREDICATE_TYPE,
  type ApprovalErrorCode,
  type ApprovalResult,
  type ApprovalStatement,
  type ApprovalSubject,
  approvalStatementSchema,
  MAX_APPROVAL_PAYLOAD_BYTES,
} from './approval-statement.js';
import { nowFrom } from './clock.js';
import type { ReplayCache } from './replay-cache.js';
import { resolveKey, type TrustStore } from './trust-store.js';
import { DEFAULT_CLOCK_SKEW_MS, MAX_CLOCK_SKEW_MS } from './verify.js';

/** Options of {@link verifyApproval}. */
export interface VerifyApprovalOptions {
  /** The approvers whose approvals count (`createTrustStore([...did:key ids])`); nobody else's do. */
  readonly approvers: TrustStore;
  /**
   * Where used nonces are remembered, the one remember-once interface (a `createReplayCache()`, or a `StateStore`
   * of `@agentguard/policy` such as the Redis one; share it between processes to refuse replays across them).
   */
  readonly nonceStore: ReplayCache;
  /**
   * The instant to verify at, in epoch milliseconds.
   * @default Date.now()
   */
  readonly nowMs?: number;
  /**
   * Tolerated clock difference between approver and verifier, 0 to 300 000 ms.
   * @default 30_000
   */
  readonly clockSkewMs?: number;
  /** @default 'agentguard:' */
  readonly keyPrefix?: string;
  /**
   * `did:key` ids whose approvals never count, even when in `approvers`: the calling agent's own key and
   * every key of its delegation chain (an agent must not approve its own calls). Such an approval is
   * refused with `ERR_ATTESTATION_APPROVAL_SELF_SIGNED`.
   * @default []
   */
  readonly excludedApprovers?: readonly string[];
}

function refuse(code: ApprovalErrorCode, reason: string, approver?: string): ApprovalResult {
  return approver === undefined ? { ok: false, code, reason } : { ok: false, code, reason, approver };
}

function checkOptions(options: VerifyApprovalOptions): { skew: number; nowMs: number; excluded: readonly string[] } {
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  const { approvers } = options;
  if (typeof approvers !== 'object' || approvers === null || typeof approvers.publicKeyFor !== 'function') {
    throw new TypeError('"approvers" expected a TrustStore (createTrustStore())');
  }
  if (typeof options.nonceStore?.checkAndRemember !== 'function') {
    throw new TypeError('"nonceStore" expected a ReplayCache (createReplayCache())');
  }
  const excluded = options.excludedApprovers ?? [];
  if (!Array.isArray(excluded)) throw new TypeError('"excludedApprovers" expected an array');
  const skew = options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
  if (!Number.isInteger(skew) || skew < 0 || skew > MAX_CLOCK_SKEW_MS) {
    throw new RangeError(`"clockSkewMs" expected an integer from 0 to ${MAX_CLOCK_SKEW_MS}, got ${String(skew)}`);
  }
  return { skew, nowMs: nowFrom(options.nowMs), excluded };
}

/** The signed bytes as an approval statement, or why not; canonical JSON only. */
function readStatement(payload: Uint8Array): ApprovalStatement | string {
  let generic: unknown;
  try {
    // Strict UTF-8 JSON (no duplicate names, no __proto__), exactly the four statement fields, our predicate type.
    generic = parseStatement(payload, { predicateType: APPROVAL_PREDICATE_TYPE, maxSubjects: 1, maxDepth: 4 });
  } catch (error) {
    return `not an approval statement: ${(error as Error).message}`;
  }
  const parsed = approvalStatementSchema.safeParse(generic);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `bad statement ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`;
  }
  // Only the canonical form is accepted: each approval has one spelling, no reordering, no whitespace games.
  if (canonicalize(parsed.data) !== fromUtf8(payload)) return 'statement is not canonical JSON';
  return parsed.data;
}

/**
 * Checks a signed approval against the call it must be about, and accepts it
 * once. Never throws on hostile input: every refusal is a result with a code.
 *
 * Checks, in order: the envelope (through `@agentguard/statement`: exact fields, one signature, canonical
 * base64, bounded size, in-toto payload type), a keyid naming an approver in `approvers`, the signature,
 * the in-toto Statement of the approval predicate type (canonical payload only), the approver named being
 * the signer, an approver other than the caller (`excludedApprovers`), the validity window, the binding to
 * tool and args digest (the subject), call id, policy hash and agent, the decision, and finally the nonce
 * (consumed only when everything else holds).
 *
 * @param approval - a {@link SignedApproval} as received; untrusted.
 * @param expected - the call it must approve.
 * @param options - see {@link VerifyApprovalOptions}.
 * @returns `{ ok: true, approver, statement }` or `{ ok: false, code, reason, approver? }`.
 * @throws TypeError / RangeError (as a rejected promise) on misuse of `options` only.
 * @example
 * ```ts
 * const result = await verifyApproval(approval, { callId, tool, args, policyHash }, {
 *   approvers: createTrustStore([alice.id]),
 *   nonceStore: createReplayCache(),
 * });
 * if (!result.ok) throw new Error(`${result.code}: ${result.reason}`);
 * ```
 */
export async function verifyApproval(
  approval: unknown,
  expected: ApprovalSubject,
  options: VerifyApprovalOptions,
): Promise<ApprovalResult> {
  const { skew, nowMs, excluded } = checkOptions(options);
  let signer: string | undefined;
  const verified = verifyEnvelope(approval, {
    payloadType: APPROVAL_PAYLOAD_TYPE,
    maxPayloadBytes: MAX_APPROVAL_PAYLOAD_BYTES,
    maxSignatures: 1,
    verifierFor: (keyid) => {
      const key = resolveKey(options.approvers, keyid);
      if (key === undefined) return undefined;
      return (sig, message) => {
        signer = key.did;
        return verify(sig, message, key.publicKey);
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
  const statement = readStatement(verified.payload);
  if (typeof statement === 'string') return refuse('ERR_ATTESTATION_APPROVAL_MALFORMED', statement);
  const claims = statement.predicate;
  const approver = claims.approver;
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
  const issuedMs = Date.parse(claims.issuedAt);
  const expiresMs = Date.parse(claims.expiresAt);
  if (issuedMs - skew > nowMs)
    return refuse('ERR_ATTESTATION_APPROVAL_NOT_YET_VALID', `issued in the future (${claims.issuedAt})`, approver);
  if (expiresMs + skew <= nowMs)
    return refuse('ERR_ATTESTATION_APPROVAL_EXPIRED', `expired at ${claims.expiresAt}`, approver);
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
  const subject = statement.subject[0];
  for (const [field, got, want] of [
    ['tool', subject.name, expected.tool],
    ['argsDigest', `sha256:${subject.digest.sha256}`, digest],
    ['callId', claims.callId, expected.callId],
    ['policyHash', claims.policyHash, expected.policyHash],
    // An approval bound to an agent counts for that agent's call only; one not bound names no agent.
    ['agent', claims.agent, claims.agent === undefined ? undefined : expected.agent],
  ] as const) {
    if (got !== want) {
      return refuse(
        'ERR_ATTESTATION_APPROVAL_MISMATCH',
        `approval is for another ${field} (${String(got)}, expected ${String(want)})`,
        approver,
      );
    }
  }
  if (claims.decision !== 'approve') {
    return refuse('ERR_ATTESTATION_APPROVAL_REJECTED', claims.reason ?? `rejected by ${approver}`, approver);
  }
  const fresh = await options.nonceStore.checkAndRemember(
    `${options.keyPrefix ?? 'agentguard:'}approval:${claims.nonce}`,
    expiresMs + skew,
    nowMs,
  );
  if (fresh !== true)
    return refuse('ERR_ATTESTATION_APPROVAL_REPLAYED', `approval nonce ${claims.nonce} was already used`, approver);
  return { ok: true, approver, statement };
}
