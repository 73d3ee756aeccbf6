/**
 * Chain verification: root credential, then delegation links, each signed by the
 * previous subject, each a subset of its parent. The expensive, time-independent
 * part (parsing, signatures, hashes, subset checks) is cached by the chain's hash;
 * the time windows, the anchor key and revocation are checked on every call.
 */
import { keyIdOf, resolveAnchor } from '../trust/anchors.js';
import { toHex, utf8, sha256 } from '@agentguard/statement';
import {
  type CredentialClaims,
  type DelegationClaims,
  didKeyBytes,
  parseCredentialClaims,
  parseDelegationClaims,
} from '../credential/claims.js';
import { decodeJws, jwsSignatureValid } from '../credential/jws.js';
import { CREDENTIAL_TYP, rightsOf } from '../credential/credential.js';
import {
  failureOf,
  normalizeVerifyOptions,
  type NormalVerifyOptions,
  revocationProblem,
  type VerifyFailure,
  type VerifyOptions,
  windowProblem,
} from '../credential/options.js';
import { DELEGATION_TYP, tokenHash } from './delegation.js';
import { meetRights, type Rights, rightsWidening } from './rights.js';
import type { DidKey } from '../key/did-key.js';
import { verify } from '../ed25519/ed25519.js';

/** Options of {@link verifyChain}. */
export interface VerifyChainOptions extends VerifyOptions {
  /** Most delegation links after the root credential. @default 4 */
  readonly maxDepth?: number;
  /** A cache from {@link createChainCache}; verify each chain's signatures once per session. @default no cache */
  readonly cache?: ChainCache;
}

/** A verified chain. */
export interface VerifiedChain {
  readonly ok: true;
  /** What the last subject may do: the intersection of every link's grant. */
  readonly rights: Rights;
  /** The did:key the chain finally grants to (the caller must prove possession of its key). */
  readonly subject: DidKey;
  /** The root credential's claims (name, owner, risk tier, issuer). */
  readonly root: CredentialClaims;
  /** The delegation links' claims, in order. */
  readonly links: readonly DelegationClaims[];
  /** Whether the static part came from the cache. */
  readonly cached: boolean;
}

/** A failed chain: the code, a reason, the index of the failing token, and for widening the field. */
export interface ChainFailure extends VerifyFailure {
  readonly index?: number;
  readonly field?: string;
}

/** Result of {@link verifyChain}. */
export type ChainResult = VerifiedChain | ChainFailure;

/** What the cache keeps of a verified chain. @internal */
export interface StaticChain {
  readonly root: CredentialClaims;
  readonly kid: string;
  readonly links: readonly DelegationClaims[];
  readonly rights: Rights;
}

/** A bounded cache of verified chains, keyed by SHA-256 of the tokens. */
export interface ChainCache {
  readonly size: number;
  clear(): void;
  /** @internal */ get(key: string): StaticChain | undefined;
  /** @internal */ set(key: string, value: StaticChain): void;
}

/**
 * Creates a chain cache (LRU by insertion).
 * @param options.maxEntries - @default 1024
 */
export function createChainCache(options: { readonly maxEntries?: number } = {}): ChainCache {
  const maxEntries = options.maxEntries ?? 1024;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('"maxEntries" expected a positive integer');
  const map = new Map<string, StaticChain>();
  return Object.freeze({
    get size() {
      return map.size;
    },
    clear: () => map.clear(),
    get(key: string) {
      const hit = map.get(key);
      if (hit !== undefined) {
        map.delete(key);
        map.set(key, hit);
      }
      return hit;
    },
    set(key: string, value: StaticChain) {
      map.set(key, value);
      if (map.size > maxEntries) map.delete(map.keys().next().value as string);
    },
  });
}

const fail = (code: VerifyFailure['code'], reason: string, index: number, field?: string): ChainFailure =>
  field === undefined ? { ok: false, code, reason, index } : { ok: false, code, reason, index, field };

function verifyStatic(chain: readonly string[], o: NormalVerifyOptions): StaticChain | ChainFailure {
  let index = 0;
  try {
    const rootJws = decodeJws(chain[0], CREDENTIAL_TYP, o.maxTokenLength);
    const root = parseCredentialClaims(rootJws.payload);
    const kid = rootJws.header.kid;
    const key = resolveAnchor(o.anchors, root.iss, kid, o.now, root.iat * 1000);
    if (!key.ok) return fail(key.code, key.reason, 0);
    if (!jwsSignatureValid(rootJws, key.key.publicKey)) {
      return fail('ERR_IDENTITY_SIGNATURE_INVALID', 'root credential signature does not verify', 0);
    }
    let rights = rightsOf(root);
    let parentRights = rights;
    let parentSub: DidKey = root.sub;
    const links: DelegationClaims[] = [];
    for (index = 1; index < chain.length; index++) {
      const token = chain[index] as string;
      const jws = decodeJws(token, DELEGATION_TYP, o.maxTokenLength);
      const link = parseDelegationClaims(jws.payload);
      if (link.prf !== tokenHash(chain[index - 1] as string)) {
        return fail('ERR_IDENTITY_CHAIN_BROKEN', `link ${index} does not name token ${index - 1} as its parent`, index);
      }
      if (link.iss !== parentSub || jws.header.kid !== keyIdOf(link.iss)) {
        return fail(
          'ERR_IDENTITY_CHAIN_BROKEN',
          `link ${index} is not issued by the subject of token ${index - 1}`,
          index,
        );
      }
      if (!verify(jws.signature, jws.signingInput, didKeyBytes(link.iss))) {
        return fail('ERR_IDENTITY_SIGNATURE_INVALID', `link ${index} signature does not verify`, index);
      }
      const own = rightsOf(link);
      const widened = rightsWidening(own, parentRights);
      if (widened !== undefined) {
        return fail(
          'ERR_IDENTITY_DELEGATION_WIDENS',
          `link ${index} widens "${widened}" beyond its parent`,
          index,
          widened,
        );
      }
      rights = meetRights(rights, own);
      parentRights = own;
      parentSub = link.sub;
      links.push(link);
    }
    return { root, kid, links, rights };
  } catch (error) {
    const f = failureOf(error);
    return fail(f.code, `token ${index}: ${f.reason}`, index);
  }
}

/**
 * Verifies a delegation chain and returns the effective rights of its last subject.
 *
 * @param chain - `[credential, link1, link2, …]` as compact JWS strings.
 * @returns `{ ok: true, rights, subject, … }` or `{ ok: false, code, reason, index, field? }` with code
 *   `ERR_IDENTITY_DELEGATION_WIDENS`, `ERR_IDENTITY_SIGNATURE_INVALID`, `ERR_IDENTITY_EXPIRED`, `ERR_IDENTITY_NOT_YET_VALID`, `ERR_IDENTITY_REVOKED`,
 *   `ERR_IDENTITY_REVOCATION_UNAVAILABLE`, `ERR_IDENTITY_CHAIN_TOO_DEEP`, `ERR_IDENTITY_CHAIN_BROKEN`, `ERR_IDENTITY_ISSUER_UNTRUSTED`, `ERR_IDENTITY_KEY_*`,
 *   `ERR_IDENTITY_TOKEN_*`, `ERR_IDENTITY_CLAIMS_INVALID`, `ERR_IDENTITY_JSON_*`.
 * @throws TypeError/RangeError on bad options only.
 * @example
 * ```ts
 * const cache = createChainCache();
 * const r = await verifyChain([credential, link], { anchors, revocation, cache });
 * if (r.ok && rightsAllow(r.rights, { tool, args, at: Date.now() / 1000 })) run();
 * ```
 */
export async function verifyChain(chain: unknown, options: VerifyChainOptions): Promise<ChainResult> {
  const o = normalizeVerifyOptions(options);
  const maxDepth = options.maxDepth ?? 4;
  if (!Number.isInteger(maxDepth) || maxDepth < 0 || maxDepth > 64) {
    throw new RangeError(`"maxDepth" expected an integer from 0 to 64, got ${String(maxDepth)}`);
  }
  if (!Array.isArray(chain) || chain.length === 0 || !chain.every((t) => typeof t === 'string')) {
    return fail('ERR_IDENTITY_CHAIN_BROKEN', 'chain expected a non-empty array of tokens', 0);
  }
  if (chain.length - 1 > maxDepth) {
    return fail(
      'ERR_IDENTITY_CHAIN_TOO_DEEP',
      `chain has ${chain.length - 1} delegations, limit ${maxDepth}`,
      maxDepth + 1,
    );
  }
  const tokens = chain as readonly string[];
  // '~' is in neither base64url nor '.', so the join is unambiguous.
  const key = options.cache === undefined ? '' : toHex(sha256(utf8(tokens.join('~'))));
  let st = options.cache?.get(key);
  const cached = st !== undefined;
  if (st === undefined) {
    const result = verifyStatic(tokens, o);
    if ('ok' in result) return result;
    st = result;
    options.cache?.set(key, st);
  }
  const anchorKey = resolveAnchor(o.anchors, st.root.iss, st.kid, o.now, st.root.iat * 1000);
  if (!anchorKey.ok) return fail(anchorKey.code, anchorKey.reason, 0);
  const all = [st.root, ...st.links];
  for (let i = 0; i < all.length; i++) {
    const claims = all[i] as CredentialClaims | DelegationClaims;
    const window = windowProblem(claims, o, i === 0 ? 'root credential' : `link ${i}`);
    if (window !== undefined) return { ...window, index: i };
  }
  for (let i = 0; i < all.length; i++) {
    const claims = all[i] as CredentialClaims | DelegationClaims;
    const signer = i === 0 ? st.kid : keyIdOf((claims as DelegationClaims).iss);
    const revoked = await revocationProblem(o, { jti: claims.jti, keys: [signer, claims.sub] });
    if (revoked !== undefined) return { ...revoked, index: i };
  }
  return {
    ok: true,
    rights: st.rights,
    subject: (all[all.length - 1] as CredentialClaims).sub,
    root: st.root,
    links: st.links,
    cached,
  };
}
