import type { Signer } from '@agentguard/identity';
import { z } from 'zod';
import { MonitorError, type MonitorErrorCode } from './errors.js';
import { type Profile, ProfileSchema } from './profile.js';
import { contentHash, signBody, verifyBody } from './signature.js';
import { profileDrift } from './drift.js';

const DOMAIN = 'agentguard.monitor.profile.v1';
const HASH = /^sha256:[0-9a-f]{64}$/;

/** A profile as distributed: the document, its content hash, the hash it replaces, and an operator signature. */
export const SignedProfileSchema = z.strictObject({
  format: z.literal('agentguard.monitor.signed-profile'),
  version: z.literal(1),
  profile: ProfileSchema,
  /** `sha256:` of the profile's RFC 8785 canonical JSON. */
  hash: z.string().regex(HASH),
  /** The hash of the profile this one replaces, or null for a first profile. */
  previous: z.string().regex(HASH).nullable(),
  /** The operator key's did:key. */
  signer: z.string().min(1).max(200),
  /** Base64 Ed25519 signature over the domain-separated canonical body without `sig`. */
  sig: z.string().min(1).max(200),
});

/** A signed profile document. */
export type SignedProfile = z.infer<typeof SignedProfileSchema>;

/** Options of {@link signProfile}. */
export interface SignProfileOptions {
  /** The signed profile this one replaces: its hash becomes `previous`. @default none (a first profile) */
  readonly previous?: SignedProfile;
  /** Largest drift (see `profileDrift`) allowed from `previous`. @default 0.25 */
  readonly maxDrift?: number;
}

/** The result of {@link verifySignedProfile}. */
export type ProfileCheck =
  | { readonly ok: true; readonly profile: Profile; readonly hash: string; readonly signer: string }
  | { readonly ok: false; readonly code: MonitorErrorCode; readonly reason: string };

function driftBound(value: number | undefined): number {
  if (value === undefined) return 0.25;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`"maxDrift" expected a number >= 0, got ${String(value)}`);
  }
  return value;
}

/**
 * Signs a profile with an operator key. With `previous`, this is an update: it is linked to the
 * previous hash and refused when it drifts further than `maxDrift`.
 *
 * @param profile - the profile (from `learnProfile`).
 * @param signer - the operator identity (`createIdentity`, a keystore or a signer process).
 * @param options - see {@link SignProfileOptions}.
 * @returns the signed profile.
 * @throws MonitorError `ERR_MONITOR_DRIFT_EXCEEDED` when an update moves too far; `ERR_MONITOR_PROFILE_INVALID` on a bad profile.
 * @example
 * ```ts
 * const signed = await signProfile(learnProfile(sessions), operator);
 * writeFileSync('profile.json', JSON.stringify(signed));
 * ```
 */
export async function signProfile(
  profile: Profile,
  signer: Signer,
  options: SignProfileOptions = {},
): Promise<SignedProfile> {
  const parsed = ProfileSchema.safeParse(profile);
  if (!parsed.success) throw new MonitorError('ERR_MONITOR_PROFILE_INVALID', 'not a profile');
  const bound = driftBound(options.maxDrift);
  if (options.previous !== undefined) {
    const drift = profileDrift(options.previous.profile, parsed.data);
    if (drift > bound) {
      throw new MonitorError(
        'ERR_MONITOR_DRIFT_EXCEEDED',
        `update drifts ${drift.toFixed(3)} from the previous profile, bound ${bound}`,
      );
    }
  }
  const body = {
    format: 'agentguard.monitor.signed-profile' as const,
    version: 1 as const,
    profile: parsed.data,
    hash: contentHash(parsed.data),
    previous: options.previous?.hash ?? null,
    signer: signer.id,
  };
  return { ...body, sig: await signBody(DOMAIN, body, signer) };
}

/**
 * Checks a signed profile: shape, content hash, signature, and that the signer is trusted.
 * Expected failures are returned, not thrown.
 *
 * @param value - the parsed JSON of a profile file.
 * @param trust - did:key ids of operator keys allowed to sign profiles.
 * @returns `{ ok: true, profile, hash, signer }` or `{ ok: false, code, reason }`.
 */
export function verifySignedProfile(value: unknown, trust: readonly string[]): ProfileCheck {
  const check = checkSigned(value, trust);
  if (!check.ok) return check;
  const { profile, hash, signer } = check.document;
  return { ok: true, profile, hash, signer };
}

/** The checks of {@link verifySignedProfile}, answering the whole parsed document (a copy: what was checked). */
function checkSigned(
  value: unknown,
  trust: readonly string[],
): { readonly ok: true; readonly document: SignedProfile } | Extract<ProfileCheck, { ok: false }> {
  if (!Array.isArray(trust)) throw new TypeError(`"trust" expected array, got ${typeof trust}`);
  const parsed = SignedProfileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      code: 'ERR_MONITOR_PROFILE_INVALID',
      reason: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    };
  }
  const { sig, ...body } = parsed.data;
  if (contentHash(body.profile) !== body.hash) {
    return { ok: false, code: 'ERR_MONITOR_PROFILE_HASH_MISMATCH', reason: 'profile content does not match its hash' };
  }
  if (!trust.includes(body.signer)) {
    return { ok: false, code: 'ERR_MONITOR_PROFILE_SIGNATURE_INVALID', reason: `signer ${body.signer} is not trusted` };
  }
  if (!verifyBody(DOMAIN, body, body.signer, sig)) {
    return { ok: false, code: 'ERR_MONITOR_PROFILE_SIGNATURE_INVALID', reason: 'signature does not verify' };
  }
  return { ok: true, document: parsed.data };
}

/**
 * Accepts an update to the profile in force: it must verify, name the current hash as `previous`,
 * and drift no further than `maxDrift`. A profile changes only this way.
 *
 * @param current - the signed profile in force.
 * @param update - the proposed signed profile (parsed JSON).
 * @param trust - operator keys allowed to sign profiles.
 * @param maxDrift - largest drift allowed. @default 0.25
 * @returns the verified update: the parsed document that was checked, never `update` itself (whose members could
 *   change after the check, or hold what the signature does not cover, such as a `__proto__` member zod drops).
 * @throws MonitorError with the failing check's code.
 */
export function acceptProfileUpdate(
  current: SignedProfile,
  update: unknown,
  trust: readonly string[],
  maxDrift?: number,
): SignedProfile {
  const bound = driftBound(maxDrift);
  const check = checkSigned(update, trust);
  if (!check.ok) throw new MonitorError(check.code, check.reason);
  const next = check.document;
  if (next.previous !== current.hash) {
    throw new MonitorError(
      'ERR_MONITOR_UPDATE_UNLINKED',
      `update replaces ${String(next.previous)}, not ${current.hash}`,
    );
  }
  const drift = profileDrift(current.profile, next.profile);
  if (drift > bound) {
    throw new MonitorError('ERR_MONITOR_DRIFT_EXCEEDED', `update drifts ${drift.toFixed(3)}, bound ${bound}`);
  }
  return next;
}
