/**
 * Revocation lists: a compact JWS signed by a trust anchor naming revoked token
 * ids (`jti`) and revoked keys, with a sequence number against rollback and an
 * expiry against a stale list being served forever. A checker loads lists from
 * text or from an application function, caches them for a TTL and fails closed.
 */
import { resolveAnchor, type TrustAnchors } from '../trust/anchors.js';
import { decodeJws, type JwsAlgorithm, jwsAlgorithm, jwsSignatureValid, signJws } from '../credential/jws.js';
import {
  DEFAULT_CLOCK_SKEW_MS,
  failureOf,
  readClock,
  normalizeVerifyOptions,
  type RevocationChecker,
  type RevocationQuery,
  type RevocationVerdict,
  windowProblem,
} from '../credential/options.js';
import { IdentityError } from '../errors.js';
import type { Signer } from '../key/identity.js';

/** The JWS `typ` of revocation lists. */
export const REVOCATION_TYP = 'agentguard-revocation+jwt';

const ENTRY = /^[\x21-\x7e]{1,256}$/;
const MAX_ENTRIES = 100_000;

/** Claims of a revocation list. */
export interface RevocationListClaims {
  readonly ver: 1;
  readonly iss: string;
  readonly iat: number;
  readonly nbf: number;
  readonly exp: number;
  /** Monotonic per issuer: a list with a lower `seq` than one already seen is refused (rollback). */
  readonly seq: number;
  /** Revoked token ids. */
  readonly revoked: readonly string[];
  /** Revoked keys: did:key ids or key ids; every token signed by or issued to them is revoked. */
  readonly keys: readonly string[];
}

/** Options of {@link createRevocationList}. */
export interface CreateRevocationListOptions {
  /** The authority's signer. */
  readonly issuer: Signer;
  /** @default issuer.id */
  readonly issuerId?: string;
  /** Sequence number, higher than any earlier list of this issuer. */
  readonly seq: number;
  /** @default [] */
  readonly revoked?: readonly string[];
  /** @default [] */
  readonly keys?: readonly string[];
  /** Issue time, epoch ms. @default Date.now() */
  readonly nowMs?: number;
  /** How long verifiers may rely on this list, ms. @default 86_400_000 */
  readonly ttlMs?: number;
  /** JWS `alg`: `"EdDSA"` (RFC 8037) for verifiers that do not know `"Ed25519"` (RFC 9864). @default "Ed25519" */
  readonly alg?: JwsAlgorithm;
}

/**
 * Signs a revocation list.
 * @example
 * ```ts
 * const list = await createRevocationList({ issuer: authority, seq: 7, revoked: [credential.claims.jti] });
 * ```
 */
export async function createRevocationList(options: CreateRevocationListOptions): Promise<string> {
  const alg = jwsAlgorithm(options.alg);
  const now = options.nowMs ?? Date.now();
  const ttlMs = options.ttlMs ?? 86_400_000;
  if (!Number.isSafeInteger(options.seq) || options.seq < 0)
    throw new RangeError('"seq" expected a non-negative integer');
  const iat = Math.floor(now / 1000);
  const claims: RevocationListClaims = {
    ver: 1,
    iss: options.issuerId ?? options.issuer.id,
    iat,
    nbf: iat,
    exp: Math.floor((now + ttlMs) / 1000),
    seq: options.seq,
    revoked: [...new Set(options.revoked ?? [])].sort(),
    keys: [...new Set((options.keys ?? []).map(baseOf))].sort(),
  };
  parseClaims(claims as unknown as Record<string, unknown>);
  return signJws(claims, options.issuer, REVOCATION_TYP, alg);
}

function baseOf(key: string): string {
  return typeof key === 'string' && key.startsWith('did:key:') && key.includes('#')
    ? key.slice(0, key.indexOf('#'))
    : key;
}

function parseClaims(p: Record<string, unknown>): RevocationListClaims {
  const bad = (m: string): never => {
    throw new IdentityError('ERR_IDENTITY_CLAIMS_INVALID', `revocation list: ${m}`);
  };
  const allowed = ['ver', 'iss', 'iat', 'nbf', 'exp', 'seq', 'revoked', 'keys'];
  for (const k of Object.keys(p)) if (!allowed.includes(k)) bad(`claim "${k}" is not accepted`);
  for (const k of allowed) if (!Object.hasOwn(p, k)) bad(`claim "${k}" is required`);
  if (p.ver !== 1) bad('"ver" expected 1');
  if (typeof p.iss !== 'string' || !/^did:[a-z0-9]+:[\x21-\x7e]{1,200}$/.test(p.iss)) bad('"iss" expected a DID');
  for (const k of ['iat', 'nbf', 'exp', 'seq']) {
    if (!Number.isSafeInteger(p[k]) || (p[k] as number) < 0) bad(`"${k}" expected a non-negative integer`);
  }
  for (const k of ['revoked', 'keys']) {
    const v = p[k];
    if (!Array.isArray(v) || v.length > MAX_ENTRIES || !v.every((x) => typeof x === 'string' && ENTRY.test(x))) {
      bad(`"${k}" expected an array of printable ASCII strings`);
    }
  }
  return p as unknown as RevocationListClaims;
}

/** Options of {@link createRevocationChecker}. */
export interface RevocationCheckerOptions {
  /** Anchors whose lists are accepted. */
  readonly anchors: TrustAnchors;
  /** The lists: text holding one or more tokens separated by whitespace, or a function resolving to it. */
  readonly source: string | (() => string | Promise<string>);
  /** How long a loaded set of lists is used before loading again, ms. @default 60_000 */
  readonly ttlMs?: number;
  /**
   * Clock, epoch ms. A clock that throws or returns a non-finite number makes every check answer
   * `ERR_IDENTITY_REVOCATION_UNAVAILABLE` (fail closed).
   * @default Date.now
   */
  readonly clock?: () => number;
  /** Tolerated skew for the lists' own windows, ms (0 to 300 000). @default 30_000 */
  readonly clockSkewMs?: number;
  /** Largest source text, characters. @default 16_777_216 */
  readonly maxSourceLength?: number;
}

/** A {@link RevocationChecker} with a cache. */
export interface CachingRevocationChecker extends RevocationChecker {
  /** Drops the cache so the next check loads the source again. */
  invalidate(): void;
}

/**
 * Creates a revocation checker. Every list must be signed by a trust anchor, be
 * inside its window and not roll back `seq`; any failure to load or verify makes
 * checks answer `ERR_IDENTITY_REVOCATION_UNAVAILABLE` (fail closed), never "not revoked".
 *
 * @example
 * ```ts
 * const revocation = createRevocationChecker({ anchors, source: () => fetchListText(), ttlMs: 30_000 });
 * await verifyCredential(token, { anchors, revocation });
 * ```
 */
export function createRevocationChecker(options: RevocationCheckerOptions): CachingRevocationChecker {
  const { anchors, source } = options;
  const ttlMs = options.ttlMs ?? 60_000;
  const clock = options.clock === undefined ? Date.now : options.clock;
  if (typeof clock !== 'function') throw new TypeError(`"clock" expected a function, got ${typeof clock}`);
  const now = (): number => readClock(clock, 'ERR_IDENTITY_REVOCATION_UNAVAILABLE');
  const maxSourceLength = options.maxSourceLength ?? 16_777_216;
  if (typeof source !== 'string' && typeof source !== 'function')
    throw new TypeError('"source" expected text or a function');
  if (!Number.isFinite(ttlMs) || ttlMs < 0) throw new RangeError('"ttlMs" expected a non-negative number');
  normalizeVerifyOptions({ anchors, nowMs: 0, clockSkewMs: options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS });
  const highestSeq = new Map<string, number>();
  type Loaded = { at: number; revoked: Set<string>; keys: Set<string>; exp: number };
  let cache: Loaded | undefined;
  let loading: Promise<Loaded> | undefined;

  async function load(): Promise<Loaded> {
    const text = typeof source === 'string' ? source : await source();
    if (typeof text !== 'string') throw new TypeError('revocation source returned something other than text');
    if (text.length > maxSourceLength)
      throw new IdentityError('ERR_IDENTITY_TOKEN_TOO_LARGE', 'revocation source too large');
    const at = now();
    const o = normalizeVerifyOptions({ anchors, nowMs: at, clockSkewMs: options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS });
    const revoked = new Set<string>();
    const keys = new Set<string>();
    const seqs = new Map<string, number>();
    let exp = Number.POSITIVE_INFINITY;
    const tokens = text.split(/\s+/).filter((t) => t.length > 0);
    if (tokens.length === 0)
      throw new IdentityError('ERR_IDENTITY_REVOCATION_UNAVAILABLE', 'revocation source holds no list');
    for (const token of tokens) {
      const jws = decodeJws(token, REVOCATION_TYP, maxSourceLength);
      const claims = parseClaims(jws.payload);
      const key = resolveAnchor(anchors, claims.iss, jws.header.kid, at, claims.iat * 1000);
      if (!key.ok) throw new IdentityError(key.code, `revocation list: ${key.reason}`);
      if (!jwsSignatureValid(jws, key.key.publicKey)) {
        throw new IdentityError('ERR_IDENTITY_SIGNATURE_INVALID', 'revocation list signature does not verify');
      }
      const window = windowProblem(claims, o, 'revocation list');
      if (window !== undefined) throw new IdentityError(window.code, window.reason);
      if (claims.seq < (highestSeq.get(claims.iss) ?? 0) || seqs.has(claims.iss)) {
        throw new IdentityError(
          'ERR_IDENTITY_REVOCATION_UNAVAILABLE',
          `revocation list of "${claims.iss}" rolled back or repeated`,
        );
      }
      seqs.set(claims.iss, claims.seq);
      for (const j of claims.revoked) revoked.add(j);
      for (const k of claims.keys) keys.add(baseOf(k));
      exp = Math.min(exp, claims.exp * 1000 + o.skewMs);
    }
    for (const [iss, seq] of seqs) highestSeq.set(iss, seq);
    return { at, revoked, keys, exp };
  }

  async function lists(): Promise<Loaded> {
    const t = now();
    if (cache !== undefined && t - cache.at < ttlMs && t < cache.exp) return cache;
    // One load at a time; concurrent checks share it.
    loading ??= load().finally(() => {
      loading = undefined;
    });
    const loaded = await loading;
    cache = loaded;
    return loaded;
  }

  return Object.freeze({
    invalidate(): void {
      cache = undefined;
    },
    async check(query: RevocationQuery): Promise<RevocationVerdict> {
      let current: Loaded;
      try {
        current = await lists();
      } catch (error) {
        cache = undefined;
        const f = failureOf(error);
        return { ok: false, code: 'ERR_IDENTITY_REVOCATION_UNAVAILABLE', reason: `${f.code}: ${f.reason}` };
      }
      let t: number;
      try {
        t = now();
      } catch (error) {
        const f = failureOf(error);
        return { ok: false, code: 'ERR_IDENTITY_REVOCATION_UNAVAILABLE', reason: f.reason };
      }
      if (t >= current.exp)
        return { ok: false, code: 'ERR_IDENTITY_REVOCATION_UNAVAILABLE', reason: 'revocation list expired' };
      if (current.revoked.has(query.jti))
        return { ok: false, code: 'ERR_IDENTITY_REVOKED', reason: `token "${query.jti}" is revoked` };
      for (const k of query.keys) {
        if (current.keys.has(baseOf(k)))
          return { ok: false, code: 'ERR_IDENTITY_REVOKED', reason: `key "${k}" is revoked` };
      }
      return { ok: true };
    },
  });
}
