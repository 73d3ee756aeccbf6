import { verify } from '@agentguard/identity';
import { verifyEnvelope } from '@agentguard/statement';
import { digestArgs } from './args.js';
import { parseCallStatement } from './call-statement.js';
import { nowFrom } from './clock.js';
import { AttestationError, type AttestationErrorCode } from './errors.js';
import { type CallClaims, MAX_PAYLOAD_BYTES, PAYLOAD_TYPE } from './schema.js';
import { MAX_TTL_MS } from './sign.js';
import { resolveKey, type TrustStore } from './trust-store.js';

// One skew vocabulary for every verifier of the project (ADR 0008): identity's default and bound.
import { DEFAULT_CLOCK_SKEW_MS, MAX_CLOCK_SKEW_MS } from '@agentguard/identity';
export { DEFAULT_CLOCK_SKEW_MS, MAX_CLOCK_SKEW_MS };
/** Default longest validity window (`expiresAt - issuedAt`) accepted: 5 min. */
export const DEFAULT_MAX_VALIDITY_MS = 300_000;

/** What one call is checked against (part of `VerifyCallOptions`). */
export interface CallCheckOptions {
  /**
   * The args the tool will run with; their digest must equal the signed one.
   * Exactly one of `args`, `argsDigest` or `skipArgsCheck: true` is required.
   */
  readonly args?: unknown;
  /** The args digest (`sha256:<hex>`), when only the digest is at hand (e.g. a digest-only audit record). */
  readonly argsDigest?: string;
  /**
   * Relaxed mode: do not bind the envelope to any args. Only for inspecting
   * envelopes; never when deciding whether to run a tool.
   * @default false
   */
  readonly skipArgsCheck?: boolean;
  /**
   * When set, the claims must name this tool.
   * @default not checked
   */
  readonly expectedTool?: string;
  /**
   * When set, the claims must name this call id.
   * @default not checked
   */
  readonly expectedCallId?: string;
  /**
   * The instant to verify at, in epoch milliseconds.
   * @default Date.now()
   */
  readonly nowMs?: number;
}

/** Verifier settings: whose keys, how much clock disagreement, how long an envelope may live (part of `VerifyCallOptions`). */
export interface VerifierSettings {
  /** Trusted agent keys; an envelope signed by any other key is refused. */
  readonly trust: TrustStore;
  /**
   * Milliseconds of clock disagreement tolerated at both ends of the validity window, 0 to 300 000.
   * @default 30_000
   */
  readonly clockSkewMs?: number;
  /**
   * Longest `expiresAt - issuedAt` accepted, 1 to 3 600 000 ms; bounds how long the replay cache must remember.
   * @default 300_000
   */
  readonly maxValidityMs?: number;
}

/** The outcome of verifying a call envelope. Expected failures are values, never throws. */
export type CallVerification =
  | { readonly ok: true; readonly claims: CallClaims; readonly keyid: string }
  | { readonly ok: false; readonly code: AttestationErrorCode; readonly reason: string };

/** @internal Options after validation. */
export interface NormalizedCheck {
  readonly trust: TrustStore;
  readonly clockSkewMs: number;
  readonly maxValidityMs: number;
  readonly args:
    | { readonly kind: 'args'; readonly value: unknown }
    | { readonly kind: 'digest'; readonly value: string }
    | { readonly kind: 'skip' };
  readonly expectedTool: string | undefined;
  readonly expectedCallId: string | undefined;
  readonly nowMs: number;
}

/** @internal An envelope that passed every check but replay. */
export interface Checked {
  readonly claims: CallClaims;
  readonly keyid: string;
  readonly replayKey: string;
  readonly rememberUntilMs: number;
}

function boundedInt(value: number | undefined, fallback: number, min: number, max: number, name: string): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new RangeError(`"${name}" expected an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return n;
}

/** @internal Validates verifier settings once (misuse throws). */
export function normalizeSettings(settings: VerifierSettings): Required<VerifierSettings> {
  if (typeof settings !== 'object' || settings === null) throw new TypeError('"options" expected an object');
  const { trust } = settings;
  if (typeof trust !== 'object' || trust === null || typeof trust.publicKeyFor !== 'function') {
    throw new TypeError('"trust" expected a TrustStore (createTrustStore())');
  }
  return Object.freeze({
    trust,
    clockSkewMs: boundedInt(settings.clockSkewMs, DEFAULT_CLOCK_SKEW_MS, 0, MAX_CLOCK_SKEW_MS, 'clockSkewMs'),
    maxValidityMs: boundedInt(settings.maxValidityMs, DEFAULT_MAX_VALIDITY_MS, 1, MAX_TTL_MS, 'maxValidityMs'),
  });
}

/** @internal Validates per-call options (misuse throws). */
export function normalizeCheck(settings: Required<VerifierSettings>, call: CallCheckOptions): NormalizedCheck {
  if (typeof call !== 'object' || call === null) throw new TypeError('"options" expected an object');
  const hasArgs = 'args' in call;
  const hasDigest = call.argsDigest !== undefined;
  const skip = call.skipArgsCheck === true;
  if (Number(hasArgs) + Number(hasDigest) + Number(skip) !== 1) {
    throw new TypeError('exactly one of "args", "argsDigest" or "skipArgsCheck: true" expected');
  }
  if (hasDigest && typeof call.argsDigest !== 'string') throw new TypeError('"argsDigest" expected string');
  for (const name of ['expectedTool', 'expectedCallId'] as const) {
    if (call[name] !== undefined && typeof call[name] !== 'string') throw new TypeError(`"${name}" expected string`);
  }
  const nowMs = nowFrom(call.nowMs);
  // Object.assign onto a fresh literal: a literal that starts with a spread and adds members makes a new hidden
  // class per call on Node 20 (docs/contributing.md).
  return Object.assign({}, settings, {
    args: hasArgs
      ? { kind: 'args' as const, value: call.args }
      : hasDigest
        ? { kind: 'digest' as const, value: call.argsDigest as string }
        : { kind: 'skip' as const },
    expectedTool: call.expectedTool,
    expectedCallId: call.expectedCallId,
    nowMs,
  });
}

function fail(code: AttestationErrorCode, reason: string): never {
  throw new AttestationError(code, reason);
}

/** What a failed `verifyEnvelope` of `@agentguard/statement` means for a call envelope. */
const ENVELOPE_CODES: Readonly<Record<string, AttestationErrorCode>> = Object.freeze({
  ERR_STATEMENT_ENVELOPE_MALFORMED: 'ERR_ATTESTATION_ENVELOPE_MALFORMED',
  ERR_STATEMENT_ENVELOPE_TOO_LARGE: 'ERR_ATTESTATION_ENVELOPE_TOO_LARGE',
  ERR_STATEMENT_ENVELOPE_PAYLOAD_TYPE: 'ERR_ATTESTATION_ENVELOPE_PAYLOAD_TYPE',
  ERR_STATEMENT_KEY_UNTRUSTED: 'ERR_ATTESTATION_KEY_UNTRUSTED',
  ERR_STATEMENT_SIGNATURE_INVALID: 'ERR_ATTESTATION_SIGNATURE_INVALID',
});

/**
 * @internal Every check but replay, in order: shape and size, payload type,
 * trusted key, signature over the exact payload bytes (DSSE protocol.md
 * "To verify", through `@agentguard/statement`), then reading those bytes as
 * a call statement (never re-canonicalised), agent, validity window, tool,
 * call id, args.
 * @throws AttestationError with the code of the first failed check.
 */
export function checkEnvelope(input: unknown, o: NormalizedCheck): Checked {
  let signer: { did: string; publicKey: Uint8Array } | undefined;
  const verified = verifyEnvelope(input, {
    payloadType: PAYLOAD_TYPE,
    maxPayloadBytes: MAX_PAYLOAD_BYTES,
    maxSignatures: 1,
    verifierFor: (keyid) => {
      const key = resolveKey(o.trust, keyid);
      if (key === undefined) return undefined;
      return (sig, message) => {
        signer = key;
        return verify(sig, message, key.publicKey);
      };
    },
  });
  if (!verified.ok) {
    // The statement layer's envelope codes, as this package names them; anything else is malformed.
    fail(ENVELOPE_CODES[verified.code] ?? 'ERR_ATTESTATION_ENVELOPE_MALFORMED', verified.reason);
  }
  // One signature, and it verified: `signer` is the key of its keyid.
  const key = signer as { did: string; publicKey: Uint8Array };
  const { claims, expiresMs, issuedMs } = parseCallStatement(verified.payload);
  if (claims.agent !== key.did)
    fail('ERR_ATTESTATION_AGENT_MISMATCH', `claims name agent ${claims.agent}, signed by ${key.did}`);
  if (expiresMs - issuedMs > o.maxValidityMs) {
    fail(
      'ERR_ATTESTATION_ENVELOPE_VALIDITY_TOO_LONG',
      `valid for ${expiresMs - issuedMs} ms, more than ${o.maxValidityMs} ms`,
    );
  }
  if (issuedMs > o.nowMs + o.clockSkewMs) {
    fail(
      'ERR_ATTESTATION_ENVELOPE_NOT_YET_VALID',
      `issued at ${claims.issuedAt}, in the future beyond ${o.clockSkewMs} ms skew`,
    );
  }
  if (expiresMs <= o.nowMs - o.clockSkewMs) {
    fail('ERR_ATTESTATION_ENVELOPE_EXPIRED', `expired at ${claims.expiresAt} (skew ${o.clockSkewMs} ms)`);
  }
  if (o.expectedTool !== undefined && claims.tool !== o.expectedTool) {
    fail(
      'ERR_ATTESTATION_TOOL_MISMATCH',
      `envelope is for tool ${JSON.stringify(claims.tool)}, expected ${JSON.stringify(o.expectedTool)}`,
    );
  }
  if (o.expectedCallId !== undefined && claims.callId !== o.expectedCallId) {
    fail(
      'ERR_ATTESTATION_CALL_ID_MISMATCH',
      `envelope is for call ${JSON.stringify(claims.callId)}, expected ${JSON.stringify(o.expectedCallId)}`,
    );
  }
  if (o.args.kind !== 'skip') {
    const digest = o.args.kind === 'args' ? digestArgs(o.args.value) : o.args.value;
    if (digest !== claims.argsDigest)
      fail('ERR_ATTESTATION_ARGS_MISMATCH', 'args differ from the args the envelope was signed for');
  }
  const keyid = verified.keyids[0] as string;
  return {
    claims,
    keyid,
    replayKey: `${claims.agent} ${claims.nonce}`,
    // A verifier that tolerates skew accepts until expiresAt + skew, so it must remember that long.
    rememberUntilMs: expiresMs + o.clockSkewMs,
  };
}

/** @internal Turns a thrown error on the way to a decision into a refusal (fail closed). */
export function refusal(error: unknown): CallVerification {
  if (error instanceof AttestationError) return { ok: false, code: error.code, reason: error.message };
  const detail = error instanceof Error ? error.message : String(error);
  return { ok: false, code: 'ERR_ATTESTATION_ENVELOPE_MALFORMED', reason: `envelope could not be verified: ${detail}` };
}
