import { AttestationError } from './errors.js';
import type { ReplayCache } from './replay-cache.js';
import {
  type CallCheckOptions,
  type CallVerification,
  type Checked,
  checkEnvelope,
  type NormalizedCheck,
  normalizeCheck,
  normalizeSettings,
  refusal,
  type VerifierSettings,
} from './verify.js';

/** Options of {@link verifyCall} and {@link verifyCallSync}. */
export interface VerifyCallOptions extends VerifierSettings, CallCheckOptions {
  /**
   * Where accepted (agent, nonce) pairs are remembered until they expire: a `createReplayCache()` or a
   * shared store (a policy `StateStore`, Redis). A verifier that lives across calls keeps one and passes it
   * on every call; without one, replays are NOT detected. {@link verifyCallSync} needs one that answers
   * synchronously (the in-memory cache does).
   * @default none (no replay check)
   */
  readonly replayCache?: ReplayCache;
}

function checkCache(cache: unknown): void {
  if (cache !== undefined && typeof (cache as ReplayCache | null)?.checkAndRemember !== 'function') {
    throw new TypeError('"replayCache" expected a ReplayCache (createReplayCache())');
  }
}

function replayOutcome(checked: Checked, fresh: unknown): CallVerification {
  if (fresh === true) return { ok: true, claims: checked.claims, keyid: checked.keyid };
  if (fresh === false) {
    return {
      ok: false,
      code: 'ERR_ATTESTATION_REPLAY',
      reason: `nonce ${checked.claims.nonce} of ${checked.claims.agent} already used`,
    };
  }
  return {
    ok: false,
    code: 'ERR_ATTESTATION_REPLAY_CACHE_UNAVAILABLE',
    reason: 'replay cache answered neither true nor false',
  };
}

function cacheFailure(error: unknown): CallVerification {
  if (
    error instanceof AttestationError &&
    (error.code === 'ERR_ATTESTATION_REPLAY_CACHE_UNAVAILABLE' || error.code === 'ERR_ATTESTATION_CLOCK_INVALID')
  )
    return refusal(error);
  const detail = error instanceof Error ? error.message : String(error);
  return { ok: false, code: 'ERR_ATTESTATION_REPLAY_CACHE_UNAVAILABLE', reason: `replay cache failed: ${detail}` };
}

/** Every check but replay; misuse of options throws, every verdict on the envelope is a value. */
function prepare(
  envelope: unknown,
  options: VerifyCallOptions,
): { readonly o: NormalizedCheck; readonly checked?: Checked; readonly refused?: CallVerification } {
  const o = normalizeCheck(normalizeSettings(options), options);
  checkCache(options.replayCache);
  try {
    return { o, checked: checkEnvelope(envelope, o) };
  } catch (error) {
    return { o, refused: refusal(error) };
  }
}

/**
 * Verifies a call envelope: exactly one signature by a trusted key over the
 * DSSE PAE of the exact payload bytes; a strict in-toto Statement of our
 * predicate; the claims' agent is the signing key; the validity window holds
 * (with bounded clock skew); the tool, call id and args are the expected ones;
 * and, with a replay cache, the nonce was not used before (checked last, so a
 * refused envelope consumes no nonce). The payload is parsed from the bytes
 * that were verified and is never re-canonicalised.
 *
 * This is the one way to verify a call. It is async because a replay cache
 * may be a remote store; {@link verifyCallSync} runs the very same checks,
 * with the same options and result, for callers that must not yield.
 *
 * @param envelope - JSON text, its UTF-8 bytes, or a parsed envelope object; untrusted.
 * @param options - see {@link VerifyCallOptions}.
 * @returns `{ ok: true, claims, keyid }`, or `{ ok: false, code, reason }` for every rejection.
 * @throws TypeError / RangeError (as a rejected promise) on misuse of `options` only.
 * @example
 * ```ts
 * const replayCache = createReplayCache(); // kept for the verifier's lifetime
 * const result = await verifyCall(envelope, { trust, args, expectedTool: 'refund', replayCache });
 * if (!result.ok) deny(result.code, result.reason);
 * ```
 */
export async function verifyCall(envelope: unknown, options: VerifyCallOptions): Promise<CallVerification> {
  const { o, checked, refused } = prepare(envelope, options);
  if (checked === undefined) return refused as CallVerification;
  const cache = options.replayCache;
  if (cache === undefined) return { ok: true, claims: checked.claims, keyid: checked.keyid };
  try {
    return replayOutcome(checked, await cache.checkAndRemember(checked.replayKey, checked.rememberUntilMs, o.nowMs));
  } catch (error) {
    return cacheFailure(error);
  }
}

/**
 * {@link verifyCall}, synchronously: the same checks, options and result. It exists only so that a caller
 * that must not yield per envelope (a loop verifying a whole audit log, a synchronous framework hook) pays
 * no promise and microtask per call; everything else should use {@link verifyCall}.
 *
 * @param envelope - JSON text, its UTF-8 bytes, or a parsed envelope object; untrusted.
 * @param options - see {@link VerifyCallOptions}; a `replayCache` must answer synchronously.
 * @returns as {@link verifyCall}.
 * @throws TypeError / RangeError on misuse, including a replay cache that answers with a Promise.
 */
export function verifyCallSync(envelope: unknown, options: VerifyCallOptions): CallVerification {
  const { o, checked, refused } = prepare(envelope, options);
  if (checked === undefined) return refused as CallVerification;
  const cache = options.replayCache;
  if (cache === undefined) return { ok: true, claims: checked.claims, keyid: checked.keyid };
  let fresh: unknown;
  try {
    fresh = cache.checkAndRemember(checked.replayKey, checked.rememberUntilMs, o.nowMs);
  } catch (error) {
    return cacheFailure(error);
  }
  if (typeof (fresh as { then?: unknown } | null)?.then === 'function') {
    throw new TypeError('"replayCache" answered with a Promise; use verifyCall for asynchronous caches');
  }
  return replayOutcome(checked, fresh);
}
