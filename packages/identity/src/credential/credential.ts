/**
 * Agent credentials: a compact JWS (JWT) signed by an authority with Ed25519,
 * binding an agent's did:key and JWK to its name, owner, environment, risk tier
 * and rights. See docs/decisions/0002-credential-format.md.
 */
import { keyIdOf, resolveAnchor } from '../trust/anchors.js';
import { randomBytes, toBase64Url } from '@agentguard/statement';
import { type CredentialClaims, didKeyBytes, parseCredentialClaims, type RiskTier } from './claims.js';
import { decodeJws, type JwsAlgorithm, jwsAlgorithm, jwsSignatureValid, signJws } from './jws.js';
import {
  failureOf,
  normalizeVerifyOptions,
  revocationProblem,
  type VerifyFailure,
  type VerifyOptions,
  windowProblem,
} from './options.js';
import type { ArgConstraints } from '../delegation/constraints.js';
import { type Rights, rightsProblem } from '../delegation/rights.js';
import { type DidKey, didToPublicKey } from '../key/did-key.js';
import { IdentityError } from '../errors.js';
import type { Signer } from '../key/identity.js';
import { publicKeyToJwk } from '../key/jwk.js';

/** The JWS `typ` of credentials (RFC 8725 §3.11 explicit typing). */
export const CREDENTIAL_TYP = 'agentguard-credential+jwt';

/** Options of {@link issueCredential}. */
export interface IssueCredentialOptions {
  /** The authority's signer (a local identity, a key from a rotating set, a remote signer). */
  readonly issuer: Signer;
  /** The authority id written to `iss`. @default issuer.id */
  readonly issuerId?: string;
  /** The agent's did:key. */
  readonly subject: DidKey;
  readonly name: string;
  readonly owner: string;
  readonly environment: string;
  readonly riskTier: RiskTier;
  /** Tool globs the agent may call. */
  readonly tools: readonly string[];
  /** @default [] */
  readonly scopes?: readonly string[];
  /** Argument constraints. @default none */
  readonly args?: ArgConstraints;
  /** Call budget. @default none */
  readonly maxCalls?: number;
  /** Issue time, epoch ms. @default Date.now() */
  readonly nowMs?: number;
  /** Validity in ms from `nowMs`. @default 86_400_000 (24 h) */
  readonly ttlMs?: number;
  /** Not-before, epoch ms. @default nowMs */
  readonly notBefore?: number;
  /** Token id. @default 128 random bits, base64url */
  readonly jti?: string;
  /**
   * JWS `alg`: `"EdDSA"` (RFC 8037) for verifiers that do not know the fully specified name.
   * @default "Ed25519" (RFC 9864); see docs/decisions/0002-credential-format.md
   */
  readonly alg?: JwsAlgorithm;
}

/** A verified credential. */
export interface AgentCredential {
  /** The compact JWS it was read from. */
  readonly token: string;
  readonly claims: CredentialClaims;
  /** The authority (trust anchor) id that issued it. */
  readonly issuer: string;
  /** The authority key that signed it. */
  readonly kid: string;
  /** The agent's did:key. */
  readonly subject: DidKey;
  /** The agent's public key. */
  readonly publicKey: Uint8Array;
  readonly riskTier: RiskTier;
  /** The rights it grants. */
  readonly rights: Rights;
}

/** Result of {@link verifyCredential}. */
export type CredentialResult = { readonly ok: true; readonly credential: AgentCredential } | VerifyFailure;

/** Rights carried by grant claims. @internal */
export function rightsOf(c: {
  readonly tools: readonly string[];
  readonly scopes: readonly string[];
  readonly args?: ArgConstraints;
  readonly maxCalls?: number;
  readonly nbf: number;
  readonly exp: number;
}): Rights {
  const base = { tools: [...c.tools], scopes: [...c.scopes], args: c.args ?? {}, nbf: c.nbf, exp: c.exp };
  return c.maxCalls === undefined ? base : { ...base, maxCalls: c.maxCalls };
}

/**
 * Issues an agent credential signed by an authority.
 *
 * @returns the compact JWS.
 * @throws IdentityError `ERR_IDENTITY_CLAIMS_INVALID` when the claims would not verify; TypeError on misuse.
 * @example
 * ```ts
 * const token = await issueCredential({ issuer: authority, subject: agent.id, name: 'billing',
 *   owner: 'team-billing', environment: 'prod', riskTier: 'high', tools: ['invoice.*'] });
 * const result = await verifyCredential(token, { anchors: createTrustAnchors([authority.id]) });
 * ```
 */
export async function issueCredential(options: IssueCredentialOptions): Promise<string> {
  if (typeof options?.issuer?.sign !== 'function') throw new TypeError('"issuer" expected a Signer');
  const alg = jwsAlgorithm(options.alg);
  const now = options.nowMs ?? Date.now();
  const ttlMs = options.ttlMs ?? 86_400_000;
  if (!Number.isFinite(now) || !Number.isFinite(ttlMs) || ttlMs <= 0)
    throw new RangeError('"nowMs"/"ttlMs" out of range');
  const iat = Math.floor(now / 1000);
  const claims: Record<string, unknown> = {
    ver: 1,
    iss: options.issuerId ?? options.issuer.id,
    sub: options.subject,
    cnf: { jwk: publicKeyToJwk(didToPublicKey(options.subject), keyIdOf(options.subject)) },
    jti: options.jti ?? toBase64Url(randomBytes(16)),
    iat,
    nbf: Math.floor((options.notBefore ?? now) / 1000),
    exp: Math.floor((now + ttlMs) / 1000),
    name: options.name,
    owner: options.owner,
    environment: options.environment,
    riskTier: options.riskTier,
    tools: [...options.tools],
    scopes: [...(options.scopes ?? [])],
  };
  if (options.args !== undefined) claims.args = options.args;
  if (options.maxCalls !== undefined) claims.maxCalls = options.maxCalls;
  const problem = rightsProblem(claims);
  if (problem !== undefined) throw new IdentityError('ERR_IDENTITY_CLAIMS_INVALID', problem);
  parseCredentialClaims(claims);
  return signJws(claims, options.issuer, CREDENTIAL_TYP, alg);
}

/**
 * Decodes a credential and validates its claims without checking signature,
 * issuer, time or revocation: for display (`agentguard credential inspect`) only.
 *
 * @throws IdentityError with the code of the first problem.
 */
export function inspectCredential(token: string): {
  readonly kid: string;
  readonly alg: string;
  readonly typ: string;
  readonly claims: CredentialClaims;
} {
  const jws = decodeJws(token, CREDENTIAL_TYP);
  return { kid: jws.header.kid, alg: jws.header.alg, typ: jws.header.typ, claims: parseCredentialClaims(jws.payload) };
}

/**
 * Verifies a credential: format, algorithm, claims, the issuer is a trust anchor
 * whose key `kid` is valid now and was when it signed, the Ed25519 signature
 * (strict RFC 8032), the validity window with bounded skew, and revocation of the
 * token, its signing key and its subject key. Never throws on hostile input.
 *
 * @returns `{ ok: true, credential }` or `{ ok: false, code, reason }`.
 * @throws TypeError/RangeError on bad options only.
 * @example
 * ```ts
 * const r = await verifyCredential(token, { anchors, revocation });
 * if (!r.ok) deny(r.code, r.reason);
 * ```
 */
export async function verifyCredential(token: unknown, options: VerifyOptions): Promise<CredentialResult> {
  const o = normalizeVerifyOptions(options);
  let claims: CredentialClaims;
  let kid: string;
  try {
    const jws = decodeJws(token, CREDENTIAL_TYP, o.maxTokenLength);
    claims = parseCredentialClaims(jws.payload);
    kid = jws.header.kid;
    const resolved = resolveAnchor(o.anchors, claims.iss, kid, o.now, claims.iat * 1000);
    if (!resolved.ok) return resolved;
    if (!jwsSignatureValid(jws, resolved.key.publicKey)) {
      return {
        ok: false,
        code: 'ERR_IDENTITY_SIGNATURE_INVALID',
        reason: `credential signature does not verify under "${kid}"`,
      };
    }
  } catch (error) {
    return failureOf(error);
  }
  const window = windowProblem(claims, o, 'credential');
  if (window !== undefined) return window;
  const revoked = await revocationProblem(o, { jti: claims.jti, keys: [kid, claims.sub] });
  if (revoked !== undefined) return revoked;
  const credential: AgentCredential = Object.freeze({
    token: token as string,
    claims,
    issuer: claims.iss,
    kid,
    subject: claims.sub,
    publicKey: didKeyBytes(claims.sub),
    riskTier: claims.riskTier,
    rights: rightsOf(claims),
  });
  return { ok: true, credential };
}
