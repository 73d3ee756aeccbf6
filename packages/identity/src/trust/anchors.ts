/**
 * Trust anchors: the authorities whose signatures make a credential valid, each
 * with one or more keys (key rotation) and validity windows.
 */
import { type DidKey, didToPublicKey, publicKeyToDid } from '../key/did-key.js';
import type { IdentityErrorCode } from '../errors.js';
import { importJwk, type PublicJwk } from '../key/jwk.js';

/** One key of an authority: a did:key, a public JWK or 32 raw bytes, with an optional window. */
export interface AnchorKeyInput {
  readonly key: DidKey | PublicJwk | Uint8Array;
  /** First instant the key is valid, epoch ms. @default no lower bound */
  readonly notBefore?: number;
  /** End date, epoch ms: after it the key neither verifies nor may have signed. @default no end */
  readonly notAfter?: number;
}

/** An authority: an id (a DID), its keys, and an optional validity window of the whole anchor. */
export interface TrustAnchorInput {
  /** The authority id credentials name in `iss`. @default the did:key of the first key */
  readonly id?: string;
  /** A label for messages. @default the id */
  readonly name?: string;
  readonly keys: readonly (AnchorKeyInput | DidKey)[];
  /** First instant the anchor is valid, epoch ms. @default no lower bound */
  readonly notBefore?: number;
  /** End date of the anchor, epoch ms. @default no end */
  readonly notAfter?: number;
}

/** A resolved anchor key. */
export interface AnchorKey {
  /** did:key verification method `did:key:z…#z…`, what a JWS `kid` names. */
  readonly kid: string;
  readonly publicKey: Uint8Array;
  readonly notBefore: number;
  readonly notAfter: number;
}

/** Result of {@link TrustAnchors.resolve}. */
export type AnchorResolution =
  | { readonly ok: true; readonly anchorId: string; readonly key: AnchorKey }
  | { readonly ok: false; readonly code: IdentityErrorCode; readonly reason: string };

/** An immutable set of trust anchors. */
export interface TrustAnchors {
  /** Anchor ids, sorted. */
  readonly ids: readonly string[];
  /** Whether `id` is an anchor. */
  has(id: string): boolean;
  /**
   * The key `kid` of anchor `iss` if it is valid at `at` (ms) and was valid at `signedAt` (ms).
   * Never throws; failures are `ERR_IDENTITY_ISSUER_UNTRUSTED`, `ERR_IDENTITY_KEY_UNKNOWN`, `ERR_IDENTITY_KEY_RETIRED`, `ERR_IDENTITY_NOT_YET_VALID`.
   * A store of your own may implement this: its answer is read as untrusted input, and a throw, a key that is not
   * 32 bytes or a failure with any other code is `ERR_IDENTITY_ISSUER_UNTRUSTED`.
   */
  resolve(iss: string, kid: string, at: number, signedAt?: number): AnchorResolution;
}

/** What a store may answer a failure with (its contract, {@link TrustAnchors.resolve}). */
const RESOLUTION_CODES: ReadonlySet<string> = new Set<IdentityErrorCode>([
  'ERR_IDENTITY_ISSUER_UNTRUSTED',
  'ERR_IDENTITY_KEY_UNKNOWN',
  'ERR_IDENTITY_KEY_RETIRED',
  'ERR_IDENTITY_NOT_YET_VALID',
]);

/**
 * @internal `anchors.resolve(…)`, its answer read as untrusted input: a store may be any object with a
 * `resolve` (a custom one too), and what it answers ends up in a refusal's `credentialCode`. Each member of the
 * answer is read once and a new answer built from it (the key bytes copied): a key of 32 bytes, or a failure with
 * one of the four codes `resolve` may answer, passes; a throw or any other answer is
 * `ERR_IDENTITY_ISSUER_UNTRUSTED` (the issuer could not be shown to be trusted), never a pass and never a code of
 * the store's choosing.
 */
export function resolveAnchor(
  anchors: TrustAnchors,
  iss: string,
  kid: string,
  at: number,
  signedAt?: number,
): AnchorResolution {
  const refuse = (why: string): AnchorResolution => ({
    ok: false,
    code: 'ERR_IDENTITY_ISSUER_UNTRUSTED',
    reason: `the trust anchors ${why}`,
  });
  try {
    const answer: unknown = anchors.resolve(iss, kid, at, signedAt);
    // Each member is read once, and the answer rebuilt from what was read: a getter or a Proxy cannot answer one
    // thing to this check and another to the caller.
    const a = (typeof answer === 'object' && answer !== null ? answer : {}) as Record<string, unknown>;
    const ok = a.ok;
    if (ok === true) {
      const anchorId = a.anchorId;
      const key = a.key as Record<string, unknown> | null | undefined;
      const given = key?.publicKey;
      // A copy of the elements (no method of a subclass runs), measured after copying.
      const publicKey = given instanceof Uint8Array ? new Uint8Array(given) : undefined;
      if (typeof anchorId === 'string' && publicKey?.length === 32) {
        const keyKid = key?.kid;
        const notBefore = key?.notBefore;
        const notAfter = key?.notAfter;
        return {
          ok: true,
          anchorId,
          key: {
            kid: typeof keyKid === 'string' ? keyKid : kid,
            publicKey,
            notBefore: typeof notBefore === 'number' ? notBefore : Number.NEGATIVE_INFINITY,
            notAfter: typeof notAfter === 'number' ? notAfter : Number.POSITIVE_INFINITY,
          },
        };
      }
    } else if (ok === false) {
      const code = a.code;
      const reason = a.reason;
      if (typeof code === 'string' && RESOLUTION_CODES.has(code)) {
        const why = typeof reason === 'string' ? reason : 'the trust anchors gave no reason';
        return { ok: false, code: code as IdentityErrorCode, reason: why };
      }
    }
  } catch (error) {
    return refuse(`failed: ${describe(error)}`);
  }
  return refuse('gave no resolution of the AnchorResolution shape');
}

/** What a thrown value says, without letting it throw again (a hostile store may throw a Proxy). */
function describe(error: unknown): string {
  try {
    return error instanceof Error ? String(error.message) : String(error);
  } catch {
    return 'an error that cannot be read';
  }
}

/** The did:key verification-method id of a did:key (`did:key:zX#zX`). */
export function keyIdOf(did: DidKey): string {
  return `${did}#${did.slice('did:key:'.length)}`;
}

/**
 * The did a key id names, as every verifier of a signature's `keyid` reads it: the id itself when it has no
 * fragment, the part before `#` when the fragment repeats the key (`did:key:zX#zX`, W3C did:key v0.7 §3.1.1; the
 * inverse of {@link keyIdOf}), else undefined: a key id whose fragment names anything else names no key. The did
 * itself is not checked here ({@link didToPublicKey} does that).
 *
 * @example
 * ```ts
 * didOfKeyId(keyIdOf(agent.id)) === agent.id; // true
 * didOfKeyId(`${agent.id}#other`); // undefined
 * ```
 */
export function didOfKeyId(keyid: string): string | undefined {
  if (typeof keyid !== 'string') return undefined;
  const hash = keyid.indexOf('#');
  if (hash < 0) return keyid;
  const did = keyid.slice(0, hash);
  return did.startsWith('did:key:') && keyid.slice(hash + 1) === did.slice('did:key:'.length) ? did : undefined;
}

function ms(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`"${name}" expected epoch ms`);
  return value;
}

function toKey(input: AnchorKeyInput | DidKey): AnchorKey {
  const spec: AnchorKeyInput = typeof input === 'string' ? { key: input } : input;
  if (typeof spec !== 'object' || spec === null) throw new TypeError('"keys[]" expected a did:key or { key }');
  const k = spec.key;
  const publicKey =
    typeof k === 'string' ? didToPublicKey(k) : k instanceof Uint8Array ? Uint8Array.from(k) : importJwk(k).publicKey;
  const did = publicKeyToDid(publicKey);
  const notBefore = ms(spec.notBefore, Number.NEGATIVE_INFINITY, 'notBefore');
  const notAfter = ms(spec.notAfter, Number.POSITIVE_INFINITY, 'notAfter');
  if (!(notBefore < notAfter)) throw new RangeError('"notBefore" must be before "notAfter"');
  return Object.freeze({ kid: keyIdOf(did), publicKey, notBefore, notAfter });
}

/**
 * Builds a trust-anchor store from authority descriptions.
 *
 * @param anchors - the authorities; a bare did:key is shorthand for an anchor with that one key.
 * @returns a frozen {@link TrustAnchors}.
 * @throws TypeError/RangeError on malformed input; IdentityError `ERR_IDENTITY_DID_INVALID`/`ERR_IDENTITY_JWK_INVALID` on bad keys.
 * @example
 * ```ts
 * const anchors = createTrustAnchors([authority.id]);
 * const rotated = createTrustAnchors([{ id: 'did:web:example.com', keys: [
 *   { key: oldKey.id, notAfter: Date.parse('2026-12-31') }, { key: newKey.id } ] }]);
 * ```
 */
export function createTrustAnchors(anchors: readonly (TrustAnchorInput | DidKey)[]): TrustAnchors {
  if (!Array.isArray(anchors)) throw new TypeError('"anchors" expected an array');
  const byId = new Map<
    string,
    { name: string; notBefore: number; notAfter: number; keys: ReadonlyMap<string, AnchorKey> }
  >();
  for (const input of anchors) {
    const spec: TrustAnchorInput = typeof input === 'string' ? { keys: [input] } : input;
    if (!Array.isArray(spec.keys) || spec.keys.length === 0)
      throw new TypeError('anchor "keys" expected a non-empty array');
    const keys = new Map<string, AnchorKey>();
    for (const k of spec.keys) {
      const key = toKey(k);
      keys.set(key.kid, key);
    }
    const first = [...keys.values()][0] as AnchorKey;
    const id = spec.id ?? first.kid.slice(0, first.kid.indexOf('#'));
    if (typeof id !== 'string' || !/^did:[a-z0-9]+:[\x21-\x7e]{1,200}$/.test(id)) {
      throw new TypeError(`anchor "id" expected a DID, got ${String(id)}`);
    }
    if (byId.has(id)) throw new RangeError(`anchor "${id}" listed twice`);
    const notBefore = ms(spec.notBefore, Number.NEGATIVE_INFINITY, 'notBefore');
    const notAfter = ms(spec.notAfter, Number.POSITIVE_INFINITY, 'notAfter');
    byId.set(id, { name: spec.name ?? id, notBefore, notAfter, keys });
  }
  const ids = Object.freeze([...byId.keys()].sort());
  return Object.freeze({
    ids,
    has: (id: string) => byId.has(id),
    resolve(iss: string, kid: string, at: number, signedAt: number = at): AnchorResolution {
      const anchor = byId.get(iss);
      if (anchor === undefined)
        return { ok: false, code: 'ERR_IDENTITY_ISSUER_UNTRUSTED', reason: `"${iss}" is not a trust anchor` };
      if (at < anchor.notBefore || at >= anchor.notAfter) {
        return {
          ok: false,
          code: 'ERR_IDENTITY_ISSUER_UNTRUSTED',
          reason: `trust anchor "${anchor.name}" is outside its validity window`,
        };
      }
      const key = anchor.keys.get(kid);
      if (key === undefined) {
        return {
          ok: false,
          code: 'ERR_IDENTITY_KEY_UNKNOWN',
          reason: `key "${kid}" is not a key of anchor "${anchor.name}"`,
        };
      }
      if (at >= key.notAfter) {
        return {
          ok: false,
          code: 'ERR_IDENTITY_KEY_RETIRED',
          reason: `key "${kid}" of "${anchor.name}" ended at ${new Date(key.notAfter).toISOString()}`,
        };
      }
      if (signedAt >= key.notAfter) {
        return { ok: false, code: 'ERR_IDENTITY_KEY_RETIRED', reason: `key "${kid}" signed after its end date` };
      }
      if (at < key.notBefore) {
        return {
          ok: false,
          code: 'ERR_IDENTITY_NOT_YET_VALID',
          reason: `key "${kid}" of "${anchor.name}" is not valid yet`,
        };
      }
      return { ok: true, anchorId: iss, key };
    },
  });
}
