import type { Signer } from '@agentguard/identity';
import { canonicalBytes, sha256Hex, signEnvelope, STATEMENT_V1_TYPE, type Envelope } from '@agentguard/statement';
import {
  CHANNEL,
  CONTROL_PAYLOAD_TYPE,
  CONTROL_PREDICATE_TYPE,
  type ControlStatement,
  controlStatementSchema,
  type StatusMeasure,
} from './status.js';

/** A signed control status: a DSSE envelope of a control statement with exactly one signature. */
export type SignedStatus = Envelope;

/** Options of {@link signStatus}. */
export interface SignStatusOptions {
  /** The operator's key. Never an agent's: guards refuse statuses their own agent signed. */
  readonly operator: Signer;
  /** The control channel the status is for (guards accept only their own channel's), e.g. `prod`. */
  readonly channel: string;
  /** The sequence number: 1 for the first status of a channel, then always greater than the last one. */
  readonly seq: number;
  /** The measures in force; empty when everything runs normally. */
  readonly measures: readonly StatusMeasure[];
  /**
   * How long the status stays valid; past it guards count it as stale (its measures still apply) and refuse
   * high-risk tools until a newer one arrives. Re-issue before it runs out.
   * @default 3_600_000 (one hour)
   */
  readonly ttlMs?: number;
  /**
   * Time of signing, in epoch milliseconds.
   * @default Date.now()
   */
  readonly nowMs?: number;
}

/** @internal The subject digest: SHA-256 of the canonical JSON of the measures. */
export function measuresDigest(measures: readonly StatusMeasure[]): string {
  return sha256Hex(canonicalBytes(measures));
}

/**
 * Signs a control status.
 *
 * @param options - see {@link SignStatusOptions}.
 * @returns a DSSE envelope to publish (a file or an HTTP URL the guards poll).
 * @throws TypeError / RangeError on misuse, including a field the status schema refuses.
 * @example
 * ```ts
 * const status = await signStatus({
 *   operator,
 *   channel: 'prod',
 *   seq: 2,
 *   measures: [{ kind: 'suspend', scope: { kind: 'agent', value: agent.id }, reason: 'exfiltration suspected' }],
 * });
 * ```
 */
export async function signStatus(options: SignStatusOptions): Promise<SignedStatus> {
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  const { operator } = options;
  if (typeof operator?.sign !== 'function' || typeof operator.id !== 'string') {
    throw new TypeError('"operator" expected a Signer');
  }
  if (typeof options.channel !== 'string' || !CHANNEL.test(options.channel)) {
    throw new TypeError('"channel" expected 1-128 printable ASCII characters without spaces');
  }
  const ttlMs = options.ttlMs ?? 3_600_000;
  // Guards refuse a status valid for longer than 24 h by default (maxValidityMs): never sign one they would refuse.
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0 || ttlMs > 86_400_000)
    throw new RangeError(`"ttlMs" expected a positive integer of at most 86400000 (24 h), got ${ttlMs}`);
  const nowMs = options.nowMs ?? Date.now();
  if (!Number.isSafeInteger(nowMs) || nowMs < 0)
    throw new RangeError(`"nowMs" expected epoch milliseconds, got ${nowMs}`);
  if (!Array.isArray(options.measures)) throw new TypeError('"measures" expected an array');
  const measures = options.measures.map((m) => ({ ...m }));
  const parsed = controlStatementSchema.safeParse({
    _type: STATEMENT_V1_TYPE,
    subject: [{ name: options.channel, digest: { sha256: measuresDigest(measures) } }],
    predicateType: CONTROL_PREDICATE_TYPE,
    predicate: {
      channel: options.channel,
      seq: options.seq,
      issuer: operator.id,
      issuedAt: new Date(nowMs).toISOString(),
      expiresAt: new Date(nowMs + ttlMs).toISOString(),
      measures,
    },
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TypeError(`"${issue?.path.join('.') || 'status'}" ${issue?.message ?? 'is invalid'}`);
  }
  const statement: ControlStatement = parsed.data;
  return signEnvelope(CONTROL_PAYLOAD_TYPE, canonicalBytes(statement), [
    { keyid: operator.keyId, sign: (message) => operator.sign(message) },
  ]);
}
