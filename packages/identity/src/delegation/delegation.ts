/**
 * Delegation links: an agent grants a sub-agent a subset of its own rights with a
 * compact JWS it signs, bound to the parent token by hash (`prf`) and to the
 * sub-agent's did:key (`sub`, `cnf.jwk`). See docs/concepts/delegation.md.
 */
import { keyIdOf } from '../trust/anchors.js';
import { randomBytes, toBase64Url, utf8, sha256 } from '@agentguard/statement';
import { type DelegationClaims, parseCredentialClaims, parseDelegationClaims } from '../credential/claims.js';
import { decodeJws, type JwsAlgorithm, jwsAlgorithm, signJws } from '../credential/jws.js';
import { CREDENTIAL_TYP, rightsOf } from '../credential/credential.js';
import type { ArgConstraints } from './constraints.js';
import { rightsWidening } from './rights.js';
import { type DidKey, didToPublicKey } from '../key/did-key.js';
import { IdentityError } from '../errors.js';
import type { Signer } from '../key/identity.js';
import { publicKeyToJwk } from '../key/jwk.js';

/** The JWS `typ` of delegation links. */
export const DELEGATION_TYP = 'agentguard-delegation+jwt';

/** Options of {@link delegate}. */
export interface DelegateOptions {
  /** The delegating agent: the subject of `parent`. */
  readonly delegator: Signer;
  /** The parent token: the delegator's credential or the delegation link that made it a delegatee. */
  readonly parent: string;
  /** The sub-agent's did:key. */
  readonly delegatee: DidKey;
  /** Tool globs, each inside one of the parent's. */
  readonly tools: readonly string[];
  /** A subset of the parent's scopes. @default [] */
  readonly scopes?: readonly string[];
  /** Argument constraints at least as tight as the parent's. @default the parent's */
  readonly args?: ArgConstraints;
  /** Call budget, at most the parent's. @default the parent's */
  readonly maxCalls?: number;
  /** Issue time, epoch ms. @default Date.now() */
  readonly nowMs?: number;
  /** Validity from `nowMs`, ms. @default until the parent's expiry */
  readonly ttlMs?: number;
  /** Token id. @default 128 random bits */
  readonly jti?: string;
  /** JWS `alg`: `"EdDSA"` (RFC 8037) for verifiers that do not know `"Ed25519"` (RFC 9864). @default "Ed25519" */
  readonly alg?: JwsAlgorithm;
}

/** base64url SHA-256 of a token's ASCII: what `prf` holds. @internal */
export function tokenHash(token: string): string {
  return toBase64Url(sha256(utf8(token)));
}

/** Reads the parent's subject and rights without verifying it (the chain verifier does). */
function parentOf(token: string) {
  let payload: Record<string, unknown>;
  try {
    payload = decodeJws(token, CREDENTIAL_TYP).payload;
    return parseCredentialClaims(payload);
  } catch (error) {
    if (!(error instanceof IdentityError) || error.code !== 'ERR_IDENTITY_TOKEN_MALFORMED') throw error;
  }
  return parseDelegationClaims(decodeJws(token, DELEGATION_TYP).payload);
}

type LinkInput = {
  readonly delegator: Signer;
  readonly parent: string;
  readonly claims: Readonly<Record<string, unknown>> & { readonly sub: DidKey };
};

function buildClaims(options: LinkInput): DelegationClaims {
  return parseDelegationClaims({
    ver: 1,
    iss: options.delegator.id,
    cnf: { jwk: publicKeyToJwk(didToPublicKey(options.claims.sub), keyIdOf(options.claims.sub)) },
    prf: tokenHash(options.parent),
    ...options.claims,
  });
}

/**
 * Signs a delegation link without checking that it narrows. For tests of the
 * verifier only: {@link delegate} is the API. @internal
 */
export async function signDelegationUnchecked(options: LinkInput): Promise<string> {
  return signJws(buildClaims(options), options.delegator, DELEGATION_TYP);
}

/**
 * Delegates a subset of the delegator's rights to a sub-agent.
 *
 * @returns the delegation link (compact JWS); the chain is `[...parentChain, link]`.
 * @throws IdentityError `ERR_IDENTITY_CHAIN_BROKEN` when the delegator is not the parent's subject,
 *   `ERR_IDENTITY_DELEGATION_WIDENS` (message names the field) when the grant is not a subset,
 *   `ERR_IDENTITY_CLAIMS_INVALID` on malformed rights.
 * @example
 * ```ts
 * const link = await delegate({ delegator: agent, parent: credential, delegatee: sub.id,
 *   tools: ['invoice.read'], args: { amount: { max: 50 } }, maxCalls: 5, ttlMs: 600_000 });
 * const result = await verifyChain([credential, link], { anchors });
 * ```
 */
export async function delegate(options: DelegateOptions): Promise<string> {
  if (typeof options?.delegator?.sign !== 'function') throw new TypeError('"delegator" expected a Signer');
  if (typeof options.parent !== 'string') throw new TypeError('"parent" expected a token string');
  const alg = jwsAlgorithm(options.alg);
  const parent = parentOf(options.parent);
  if (parent.sub !== options.delegator.id) {
    throw new IdentityError(
      'ERR_IDENTITY_CHAIN_BROKEN',
      `delegator "${options.delegator.id}" is not the parent's subject`,
    );
  }
  const now = options.nowMs ?? Date.now();
  if (!Number.isFinite(now)) throw new RangeError(`"nowMs" expected a finite number of epoch ms, got ${String(now)}`);
  const iat = Math.floor(now / 1000);
  const exp = options.ttlMs === undefined ? parent.exp : Math.floor((now + options.ttlMs) / 1000);
  const claims: Record<string, unknown> & { sub: DidKey } = {
    sub: options.delegatee,
    jti: options.jti ?? toBase64Url(randomBytes(16)),
    iat,
    nbf: Math.max(iat, parent.nbf),
    exp,
    tools: [...options.tools],
    scopes: [...(options.scopes ?? [])],
  };
  const args = options.args ?? parent.args;
  if (args !== undefined) claims.args = args;
  const maxCalls = options.maxCalls ?? parent.maxCalls;
  if (maxCalls !== undefined) claims.maxCalls = maxCalls;
  const input = { delegator: options.delegator, parent: options.parent, claims };
  const widened = rightsWidening(rightsOf(buildClaims(input)), rightsOf(parent));
  if (widened !== undefined) {
    throw new IdentityError(
      'ERR_IDENTITY_DELEGATION_WIDENS',
      `delegation widens "${widened}" beyond the parent's grant`,
    );
  }
  return signJws(buildClaims(input), options.delegator, DELEGATION_TYP, alg);
}
