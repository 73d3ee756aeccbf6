import { createTrustStore, type TrustStore } from '@agentguard/attestation';
import { DEFAULT_CLOCK_SKEW_MS, didOfKeyId, didToPublicKey, MAX_CLOCK_SKEW_MS, verify } from '@agentguard/identity';
import {
  canonicalize,
  fromUtf8,
  parseJson,
  parseStatement,
  sha256Hex,
  toHex,
  verifyEnvelope,
} from '@agentguard/statement';
import type { IncidentErrorCode } from './errors.js';
import { measuresDigest } from './sign.js';
import {
  CHANNEL,
  CONTROL_PAYLOAD_TYPE,
  CONTROL_PREDICATE_TYPE,
  type ControlStatement,
  controlStatementSchema,
  MAX_STATUS_PAYLOAD_BYTES,
  type StatusMeasure,
} from './status.js';

/** A verified control status, frozen. */
export interface VerifiedStatus {
  readonly channel: string;
  readonly seq: number;
  /** `sha256:` of the signed payload bytes: two statuses with one seq and two hashes conflict. */
  readonly hash: string;
  /** The operator's did:key that signed it. */
  readonly issuer: string;
  readonly issuedAt: string;
  readonly expiresAt: string;
  readonly measures: readonly StatusMeasure[];
}

/** The status a verifier already holds: a status is new only with a greater `seq`. */
export interface KnownStatus {
  readonly seq: number;
  readonly hash: string;
}

/** Options of {@link verifyStatus}. */
export interface VerifyStatusOptions {
  /** The operator keys whose statuses count (did:key ids, or a `TrustStore`); nobody else's do. */
  readonly trust: TrustStore | readonly string[];
  /** The channel the verifier listens to; a status for another channel is refused. */
  readonly channel: string;
  /**
   * Keys whose statuses never count, even when trusted: the agent's own key and the guard's identity (an
   * agent must not be able to lift its own suspension).
   * @default []
   */
  readonly excludedKeys?: readonly string[];
  /**
   * The status already adopted: an older `seq` is a replay, the same `seq` with another payload a conflict,
   * and the same status again a confirmation (`fresh: false`).
   * @default none: any valid status is new
   */
  readonly known?: KnownStatus;
  /**
   * The instant to verify at, in epoch milliseconds.
   * @default Date.now()
   */
  readonly nowMs?: number;
  /**
   * Tolerated clock difference between operator and verifier, 0 to 300 000 ms.
   * @default 30_000
   */
  readonly clockSkewMs?: number;
  /**
   * Longest validity a status may claim (`expiresAt` minus `issuedAt`): a guard that starts, or restarts, with no
   * status adopts the first valid one it reads, so an old "resume" served to it must not stay valid for long.
   * Operators re-issue the status within this bound (`agentguard incident resume` with the measures in force).
   * @default 86_400_000 (24 h)
   */
  readonly maxValidityMs?: number;
}

/** The outcome of {@link verifyStatus}. */
export type StatusVerification =
  | {
      readonly ok: true;
      readonly status: VerifiedStatus;
      /** Whether it is newer than `known` (false: the same status, confirmed again). */
      readonly fresh: boolean;
    }
  | { readonly ok: false; readonly code: IncidentErrorCode; readonly reason: string };

const refuse = (code: IncidentErrorCode, reason: string): StatusVerification => ({ ok: false, code, reason });

function storeOf(trust: TrustStore | readonly string[]): TrustStore {
  if (Array.isArray(trust)) return createTrustStore(trust as readonly string[]);
  if (typeof (trust as TrustStore | null)?.publicKeyFor !== 'function') {
    throw new TypeError('"trust" expected a TrustStore or an array of did:key ids');
  }
  return trust as TrustStore;
}

/** @internal Checked options, normalised once (a source verifies on every poll). */
export type StatusVerifier = (input: unknown, known?: KnownStatus, nowMs?: number) => StatusVerification;

/**
 * @internal Builds a verifier from options (without `known` / `nowMs`, given per call).
 * @throws TypeError / RangeError on misuse.
 */
export function createStatusVerifier(options: Omit<VerifyStatusOptions, 'known' | 'nowMs'>): StatusVerifier {
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  const trust = storeOf(options.trust);
  if (typeof options.channel !== 'string' || !CHANNEL.test(options.channel)) {
    throw new TypeError('"channel" expected 1-128 printable ASCII characters without spaces');
  }
  const excluded = options.excludedKeys ?? [];
  if (!Array.isArray(excluded) || excluded.some((k) => typeof k !== 'string')) {
    throw new TypeError('"excludedKeys" expected an array of did:key ids');
  }
  const maxValidity = options.maxValidityMs ?? 86_400_000;
  if (!Number.isSafeInteger(maxValidity) || maxValidity <= 0) {
    throw new RangeError(`"maxValidityMs" expected a positive integer of milliseconds, got ${String(maxValidity)}`);
  }
  const skew = options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
  if (!Number.isInteger(skew) || skew < 0 || skew > MAX_CLOCK_SKEW_MS) {
    throw new RangeError(`"clockSkewMs" expected an integer from 0 to ${MAX_CLOCK_SKEW_MS}, got ${String(skew)}`);
  }
  const channel = options.channel;
  // Read loosely on purpose (whatever comes before '#'): an excluded key is refused in any form it is named, while
  // a status's own keyid is read strictly (didOfKeyId) below.
  const excludedSet = new Set(excluded.map((k) => k.split('#')[0]));
  // Excluded by key bytes too: a custom trust store that maps another id to the agent's key cannot get round it.
  const excludedKeys = excluded.flatMap((k) => {
    try {
      return [toHex(didToPublicKey(k.split('#')[0] as string))];
    } catch {
      return [];
    }
  });
  const excludedBytes = new Set(excludedKeys);

  return (input, known, nowMs = Date.now()) => {
    let envelope: unknown = input;
    if (typeof input === 'string' || input instanceof Uint8Array) {
      const text = typeof input === 'string' ? input : safeUtf8(input);
      if (text === undefined) return refuse('ERR_INCIDENT_STATUS_MALFORMED', 'status is not UTF-8');
      if (text.length > MAX_STATUS_PAYLOAD_BYTES * 2) {
        return refuse('ERR_INCIDENT_STATUS_MALFORMED', `status larger than ${MAX_STATUS_PAYLOAD_BYTES * 2} characters`);
      }
      try {
        envelope = parseJson(text, { maxDepth: 8 });
      } catch (error) {
        return refuse('ERR_INCIDENT_STATUS_MALFORMED', `status is not JSON: ${(error as Error).message}`);
      }
    }
    let signer: string | undefined;
    const verified = verifyEnvelope(envelope, {
      payloadType: CONTROL_PAYLOAD_TYPE,
      maxPayloadBytes: MAX_STATUS_PAYLOAD_BYTES,
      maxSignatures: 1,
      verifierFor: (keyid) => {
        const did = didOfKeyId(keyid);
        // The agent's own key never speaks for the operator, whatever the trust store says.
        if (did === undefined || excludedSet.has(did)) return undefined;
        const key: unknown = trust.publicKeyFor(keyid);
        if (!(key instanceof Uint8Array) || key.length !== 32) return undefined;
        if (excludedBytes.has(toHex(key))) return undefined;
        return (sig, message) => {
          signer = did;
          return verify(sig, message, key);
        };
      },
    });
    if (!verified.ok) {
      if (verified.code === 'ERR_STATEMENT_KEY_UNTRUSTED')
        return refuse('ERR_INCIDENT_STATUS_UNTRUSTED', verified.reason);
      if (verified.code === 'ERR_STATEMENT_SIGNATURE_INVALID')
        return refuse('ERR_INCIDENT_STATUS_FORGED', verified.reason);
      return refuse(
        'ERR_INCIDENT_STATUS_MALFORMED',
        `not a signed status envelope: ${verified.code}: ${verified.reason}`,
      );
    }
    const statement = readStatement(verified.payload);
    if (typeof statement === 'string') return refuse('ERR_INCIDENT_STATUS_MALFORMED', statement);
    const p = statement.predicate;
    if (p.issuer !== signer) {
      return refuse('ERR_INCIDENT_STATUS_FORGED', `status names issuer ${p.issuer} but is signed by ${String(signer)}`);
    }
    if (p.channel !== channel || statement.subject[0].name !== channel) {
      return refuse('ERR_INCIDENT_STATUS_WRONG_CHANNEL', `status is for channel ${p.channel}, expected ${channel}`);
    }
    if (statement.subject[0].digest.sha256 !== measuresDigest(p.measures)) {
      return refuse('ERR_INCIDENT_STATUS_MALFORMED', 'subject digest does not match the measures');
    }
    const hash = `sha256:${sha256Hex(verified.payload)}`;
    if (known !== undefined) {
      if (p.seq < known.seq) {
        return refuse('ERR_INCIDENT_STATUS_REPLAYED', `status ${p.seq} is older than the current status ${known.seq}`);
      }
      if (p.seq === known.seq && hash !== known.hash) {
        return refuse('ERR_INCIDENT_STATUS_CONFLICT', `a different status ${p.seq} was already adopted`);
      }
    }
    const issuedMs = Date.parse(p.issuedAt);
    const expiresMs = Date.parse(p.expiresAt);
    if (issuedMs - skew > nowMs)
      return refuse('ERR_INCIDENT_STATUS_NOT_YET_VALID', `issued in the future (${p.issuedAt})`);
    if (expiresMs <= nowMs) return refuse('ERR_INCIDENT_STATUS_EXPIRED', `expired at ${p.expiresAt}`);
    if (expiresMs <= issuedMs) return refuse('ERR_INCIDENT_STATUS_MALFORMED', 'expires before it is issued');
    if (expiresMs - issuedMs > maxValidity) {
      return refuse(
        'ERR_INCIDENT_STATUS_MALFORMED',
        `valid for ${expiresMs - issuedMs} ms, longer than the ${maxValidity} ms a status may be (maxValidityMs)`,
      );
    }
    const status: VerifiedStatus = Object.freeze({
      channel: p.channel,
      seq: p.seq,
      hash,
      issuer: p.issuer,
      issuedAt: p.issuedAt,
      expiresAt: p.expiresAt,
      measures: Object.freeze(p.measures.map((m) => Object.freeze({ ...m, scope: Object.freeze({ ...m.scope }) }))),
    });
    return { ok: true, status, fresh: known === undefined || p.seq > known.seq };
  };
}

function safeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function readStatement(payload: Uint8Array): ControlStatement | string {
  let generic: unknown;
  try {
    generic = parseStatement(payload, { predicateType: CONTROL_PREDICATE_TYPE, maxSubjects: 1, maxDepth: 6 });
  } catch (error) {
    return `not a control statement: ${(error as Error).message}`;
  }
  const parsed = controlStatementSchema.safeParse(generic);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `bad statement ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`;
  }
  // One spelling per status: only the canonical form is accepted.
  if (canonicalize(parsed.data) !== fromUtf8(payload)) return 'statement is not canonical JSON';
  return parsed.data;
}

/**
 * Verifies a signed control status (an envelope, or its JSON text) against the operator keys. Never throws on
 * hostile input: every refusal is a result with a code.
 *
 * Refused: anything not exactly a DSSE envelope of a canonical control statement (`MALFORMED`), a key not
 * trusted or excluded (`UNTRUSTED`), a bad signature or an issuer other than the signer (`FORGED`), another
 * channel (`WRONG_CHANNEL`), a seq older than `known` (`REPLAYED`) or equal with another payload
 * (`CONFLICT`), issued in the future beyond the skew (`NOT_YET_VALID`), or expired (`EXPIRED`).
 *
 * @param input - a {@link SignedStatus}, or its JSON text; untrusted.
 * @param options - see {@link VerifyStatusOptions}.
 * @returns `{ ok: true, status, fresh }` or `{ ok: false, code, reason }`.
 * @throws TypeError / RangeError on misuse of `options` only.
 * @example
 * ```ts
 * const result = verifyStatus(text, { trust: [operator.id], channel: 'prod', excludedKeys: [agent.id] });
 * if (!result.ok) console.error(result.code, result.reason);
 * ```
 */
export function verifyStatus(input: unknown, options: VerifyStatusOptions): StatusVerification {
  const verifier = createStatusVerifier(options);
  if (options.known !== undefined) {
    const k = options.known;
    if (!Number.isSafeInteger(k?.seq) || typeof k?.hash !== 'string') {
      throw new TypeError('"known" expected { seq, hash }');
    }
  }
  return verifier(input, options.known, options.nowMs ?? Date.now());
}
