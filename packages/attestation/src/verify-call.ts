import { AttestationError } from './errors.js';
import { createReplayCache, type ReplayCache, type SyncReplayCache } from './replay-cache.js';
import type { CallClaims } from './schema.js';
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

/** Options of {@link verifyCall}. */
export interface VerifyCallOptions extends VerifierSettings, CallCheckOptions {
  /**
   * Where accepted (agent, nonce) pairs are remembered until they expire.
   * One-shot verification cannot remember anything itself: without a cache,
   * replays are NOT detected. Use {@link createCallVerifier}, which keeps one
   * by default, for a verifier that lives across calls.
   * @default none (no replay check)
   */
  readonly replayCache?: ReplayCache;
}

/** Options of {@link verifyCallSync}: as {@link VerifyCallOptions}, with a cache that answers synchronously. */
export interface VerifyCallSyncOptions extends VerifierSettings, CallCheckOptions {
  /**
   * A synchronous replay cache such as {@link createReplayCache}'s.
   * @default none (no replay check)
   */
  readonly replayCache?: SyncReplayCache;
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
  if (error instanceof AttestationError && error.code === 'ERR_ATTESTATION_REPLAY_CACHE_UNAVAILABLE')
    return refusal(error);
  const detail = error instanceof Error ? error.message : String(error);
  return { ok: false, code: 'ERR_ATTESTATION_REPLAY_CACHE_UNAVAILABLE', reason: `replay cache failed: ${detail}` };
}

async function verifyNormalized(
  envelope: unknown,
  o: NormalizedCheck,
  cache: ReplayCache | undefined,
): Promise<CallVerification> {
  let checked: Checked;
  try {
    checked = checkEnvelope(envelope, o);
  } catch (error) {
    return refusal(error);
  }
  if (cache === undefined) return { ok: true, claims: checked.claims, keyid: checked.keyid };
  try {
    return replayOutcome(checked, await cache.checkAndRemember(checked.replayKey, checked.rememberUntilMs, o.nowMs));
  } catch (error) {
    return cacheFailure(error);
  }
}

/**
 * Verifies a call envelope: exactly one signature by a trusted key over the
 * DSSE PAE of the exact payload bytes; a strict in-toto Statement of our
 * predicate; the claims' agent is the signing key; the validity window holds
 * (with bounded clock skew); the tool, call id and args are the expected ones;
 * and, with a replay cache, the nonce was not used before. The payload is
 * parsed from the bytes that were verified and is never re-canonicalised.
 *
 * Always async (the replay cache may be a remote store); see
 * {@link verifyCallSync} for a synchronous variant.
 *
 * @param envelope - JSON text, its UTF-8 bytes, or a parsed envelope object; untrusted.
 * @param options - see {@link VerifyCallOptions}.
 * @returns `{ ok: true, claims, keyid }`, or `{ ok: false, code, reason }` for every rejection.
 * @throws TypeError / RangeError (as a rejected promise) on misuse of `options` only.
 * @example
 * ```ts
 * const result = await verifyCall(envelope, { trust, args, expectedTool: 'refund', replayCache });
 * if (!result.ok) deny(result.code, result.reason);
 * ```
 */
export async function verifyCall(envelope: unknown, options: VerifyCallOptions): Promise<CallVerification> {
  const o = normalizeCheck(normalizeSettings(options), options);
  checkCache(options.replayCache);
  return verifyNormalized(envelope, o, options.replayCache);
}

/**
 * As {@link verifyCall}, synchronously, with an optional synchronous replay cache.
 *
 * @throws TypeError on misuse, including a replay cache that answers with a Promise.
 */
export function verifyCallSync(envelope: unknown, options: VerifyCallSyncOptions): CallVerification {
  const o = normalizeCheck(normalizeSettings(options), options);
  checkCache(options.replayCache);
  let checked: Checked;
  try {
    checked = checkEnvelope(envelope, o);
  } catch (error) {
    return refusal(error);
  }
  if (options.replayCache === undefined) return { ok: true, claims: checked.claims, keyid: checked.keyid };
  let fresh: unknown;
  try {
    fresh = options.replayCache.checkAndRemember(checked.replayKey, checked.rememberUntilMs, o.nowMs);
  } catch (error) {
    return cacheFailure(error);
  }
  if (typeof (fresh as { then?: unknown } | null)?.then === 'function') {
    throw new TypeError('"replayCache" answered with a Promise; use verifyCall for asynchronous caches');
  }
  return replayOutcome(checked, fresh);
}

function unwrap(result: CallVerification): CallClaims {
  if (result.ok) return result.claims;
  throw new AttestationError(result.code, result.reason);
}

/**
 * As {@link verifyCall}, but throws on rejection.
 *
 * @returns the verified claims.
 * @throws AttestationError with the code of the first failed check; TypeError / RangeError on misuse.
 */
export async function assertCall(envelope: unknown, options: VerifyCallOptions): Promise<CallClaims> {
  return unwrap(await verifyCall(envelope, options));
}

/**
 * As {@link verifyCallSync}, but throws on rejection.
 *
 * @throws AttestationError with the code of the first failed check; TypeError / RangeError on misuse.
 */
export function assertCallSync(envelope: unknown, options: VerifyCallSyncOptions): CallClaims {
  return unwrap(verifyCallSync(envelope, options));
}

/** Options of {@link createCallVerifier}. */
export interface CallVerifierOptions extends VerifierSettings {
  /**
   * Where accepted nonces are remembered.
   * @default a fresh in-memory cache (createReplayCache())
   */
  readonly replayCache?: ReplayCache;
}

/** A verifier bound to a trust store and replay cache (see {@link createCallVerifier}). */
export interface CallVerifier {
  /** As {@link verifyCall} with this verifier's settings and replay cache. */
  verify(envelope: unknown, call: CallCheckOptions): Promise<CallVerification>;
  /** As {@link assertCall} with this verifier's settings and replay cache. */
  assert(envelope: unknown, call: CallCheckOptions): Promise<CallClaims>;
}

/**
 * Creates a long-lived call verifier: settings validated once, and a replay
 * cache on by default, so a replayed envelope is refused with `ERR_ATTESTATION_REPLAY`.
 *
 * @param options - see {@link CallVerifierOptions}.
 * @returns a frozen {@link CallVerifier}.
 * @throws TypeError / RangeError on misuse.
 * @example
 * ```ts
 * const verifier = createCallVerifier({ trust: createTrustStore([agent.id]) });
 * const result = await verifier.verify(envelope, { args, expectedTool: 'refund' });
 * ```
 */
export function createCallVerifier(options: CallVerifierOptions): CallVerifier {
  const settings = normalizeSettings(options);
  checkCache(options.replayCache);
  const cache = options.replayCache ?? createReplayCache();
  const verifyOne = async (envelope: unknown, call: CallCheckOptions) =>
    verifyNormalized(envelope, normalizeCheck(settings, call), cache);
  return Object.freeze({
    verify: verifyOne,
    assert: async (envelope: unknown, call: CallCheckOptions) => unwrap(await verifyOne(envelope, call)),
  });
}
