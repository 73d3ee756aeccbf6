import type { TrustAnchors } from '../trust/anchors.js';
import { DEFAULT_MAX_TOKEN_LENGTH } from './jws.js';
import { IdentityError, type IdentityErrorCode } from '../errors.js';
import { asIdentityError } from '../statement-errors.js';

/** What a revocation checker is asked about one token. */
export interface RevocationQuery {
  /** The token's `jti`. */
  readonly jti: string;
  /** Keys involved: the signing key id and the subject did:key; revoking either revokes the token. */
  readonly keys: readonly string[];
}

/** A revocation verdict: fail closed, an unavailable list is not "not revoked". */
export type RevocationVerdict =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly code: 'ERR_IDENTITY_REVOKED' | 'ERR_IDENTITY_REVOCATION_UNAVAILABLE';
      readonly reason: string;
    };

/** Anything that answers revocation queries; see `createRevocationChecker`. */
export interface RevocationChecker {
  check(query: RevocationQuery): Promise<RevocationVerdict>;
}

/** A failed verification: a stable code and a reason for humans. */
export interface VerifyFailure {
  readonly ok: false;
  readonly code: IdentityErrorCode;
  readonly reason: string;
}

/** Options shared by credential and chain verification. */
export interface VerifyOptions {
  /** The trust anchors (authorities). Required: nothing is trusted by default. */
  readonly anchors: TrustAnchors;
  /**
   * The instant to verify at, epoch ms (a one-shot call; long-lived checkers take a `clock`).
   * @default Date.now()
   */
  readonly nowMs?: number;
  /**
   * Tolerated clock difference for `nbf`, `iat` and `exp`, in ms; 0 to 300 000.
   * @default 30_000 (`DEFAULT_CLOCK_SKEW_MS`, the same in every package)
   */
  readonly clockSkewMs?: number;
  /**
   * Revocation checker consulted on every verification.
   * @default none: revocation is not checked (pass one in production)
   */
  readonly revocation?: RevocationChecker;
  /**
   * Largest token accepted, in characters.
   * @default 16_384
   */
  readonly maxTokenLength?: number;
}

/** Normalised {@link VerifyOptions}. @internal */
export interface NormalVerifyOptions {
  readonly anchors: TrustAnchors;
  readonly now: number;
  readonly skewMs: number;
  readonly revocation: RevocationChecker | undefined;
  readonly maxTokenLength: number;
}

/**
 * The one default clock skew of the project, in ms: credentials, revocation lists, call envelopes, approvals and
 * operator status all tolerate the same 30 s unless told otherwise with `clockSkewMs` (ADR 0008).
 */
export const DEFAULT_CLOCK_SKEW_MS = 30_000;

/** Upper bound of `clockSkewMs`: beyond five minutes, expiry stops meaning much. */
export const MAX_CLOCK_SKEW_MS = 300_000;

/** @internal */
export function normalizeVerifyOptions(options: VerifyOptions): NormalVerifyOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  const { anchors } = options;
  if (typeof anchors?.resolve !== 'function') throw new TypeError('"anchors" expected a TrustAnchors store');
  const now = options.nowMs ?? Date.now();
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new TypeError(`"nowMs" expected a finite number of epoch ms, got ${String(now)}`);
  }
  const skewMs = options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
  if (!Number.isInteger(skewMs) || skewMs < 0 || skewMs > MAX_CLOCK_SKEW_MS) {
    throw new RangeError(`"clockSkewMs" expected an integer from 0 to ${MAX_CLOCK_SKEW_MS}, got ${String(skewMs)}`);
  }
  const revocation = options.revocation;
  if (revocation !== undefined && typeof revocation.check !== 'function') {
    throw new TypeError('"revocation" expected a RevocationChecker');
  }
  const maxTokenLength = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  if (!Number.isInteger(maxTokenLength) || maxTokenLength < 64 || maxTokenLength > 1_048_576) {
    throw new RangeError(`"maxTokenLength" expected an integer from 64 to 1048576, got ${String(maxTokenLength)}`);
  }
  return { anchors, now, skewMs, revocation, maxTokenLength };
}

/** The window check of RFC 7519 §4.1.4/§4.1.5 with skew; undefined when valid. @internal */
export function windowProblem(
  claims: { readonly nbf: number; readonly exp: number; readonly iat: number },
  o: NormalVerifyOptions,
  what: string,
): VerifyFailure | undefined {
  if (claims.exp * 1000 + o.skewMs <= o.now) {
    return {
      ok: false,
      code: 'ERR_IDENTITY_EXPIRED',
      reason: `${what} expired at ${new Date(claims.exp * 1000).toISOString()}`,
    };
  }
  if (claims.nbf * 1000 - o.skewMs > o.now || claims.iat * 1000 - o.skewMs > o.now) {
    return {
      ok: false,
      code: 'ERR_IDENTITY_NOT_YET_VALID',
      reason: `${what} is not valid before ${new Date(claims.nbf * 1000).toISOString()}`,
    };
  }
  return undefined;
}

/** Turns a thrown error into a failure; unknown errors are a malformed-token failure, never an accept. @internal */
export function failureOf(error: unknown): VerifyFailure {
  const known = asIdentityError(error);
  if (known !== undefined) return { ok: false, code: known.code, reason: known.message };
  return {
    ok: false,
    code: 'ERR_IDENTITY_TOKEN_MALFORMED',
    reason: error instanceof Error ? error.message : String(error),
  };
}

/** Asks the checker, failing closed when it throws. @internal */
export async function revocationProblem(
  o: NormalVerifyOptions,
  query: RevocationQuery,
): Promise<VerifyFailure | undefined> {
  if (o.revocation === undefined) return undefined;
  try {
    // A checker is any object (a custom one too): its answer is read as untrusted input, and anything but a
    // well-formed verdict is a failure to check, never a pass and never a code of the checker's choosing.
    const verdict: unknown = await o.revocation.check(query);
    const v = (typeof verdict === 'object' && verdict !== null ? verdict : {}) as Record<string, unknown>;
    if (v.ok === true) return undefined;
    const reason = typeof v.reason === 'string' ? v.reason : 'the revocation checker gave no reason';
    if (v.ok === false && (v.code === 'ERR_IDENTITY_REVOKED' || v.code === 'ERR_IDENTITY_REVOCATION_UNAVAILABLE')) {
      return { ok: false, code: v.code, reason };
    }
    return {
      ok: false,
      code: 'ERR_IDENTITY_REVOCATION_UNAVAILABLE',
      reason: 'revocation check failed: the revocation checker gave no verdict of the RevocationVerdict shape',
    };
  } catch (cause) {
    return {
      ok: false,
      code: 'ERR_IDENTITY_REVOCATION_UNAVAILABLE',
      reason: `revocation check failed: ${failureOf(cause).reason}`,
    };
  }
}

/**
 * @internal Reads a `clock` option once: epoch ms, or an {@link IdentityError} with `code` when the clock throws or
 * answers something that is not a finite number (a long-lived object refuses rather than guess the time).
 */
export function readClock(clock: () => number, code: IdentityErrorCode): number {
  let t: unknown;
  try {
    t = clock();
  } catch (cause) {
    throw new IdentityError(code, '"clock" threw', { cause });
  }
  if (typeof t !== 'number' || !Number.isFinite(t)) {
    throw new IdentityError(code, `"clock" expected to return finite epoch ms, got ${String(t)}`);
  }
  return t;
}
