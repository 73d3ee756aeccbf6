/**
 * Key rotation with overlap: an authority (or agent) holds several keys, each
 * with a key id and a window. The newest key in its window signs; older keys keep
 * verifying until their end date (through the trust anchors built from
 * {@link KeySet.anchor}) and never sign after it.
 */
import { keyIdOf, type TrustAnchorInput } from './anchors.js';
import { readClock } from '../credential/options.js';
import { IdentityError } from '../errors.js';
import type { Signer } from '../key/identity.js';

/** One key of a {@link KeySet}. */
export interface RotatingKeyInput {
  /** The key (a local identity, a file-backed or remote signer). */
  readonly signer: Signer;
  /** First instant the key may sign and verify, epoch ms. @default no lower bound */
  readonly notBefore?: number;
  /** End date, epoch ms: the key neither signs nor verifies at or after it. @default no end */
  readonly notAfter?: number;
}

/** Options of {@link createKeySet}. */
export interface KeySetOptions {
  /** The stable identity id written to `iss`. @default the did:key of the first key */
  readonly id?: string;
  readonly keys: readonly RotatingKeyInput[];
  /**
   * Clock, epoch ms. When it returns a non-finite number, `current()` and every `sign` refuse with
   * `ERR_IDENTITY_KEY_RETIRED` (no key is known to be valid).
   * @default Date.now
   */
  readonly clock?: () => number;
}

/** A public view of one key of a set. */
export interface KeySetEntry {
  readonly kid: string;
  readonly notBefore: number;
  readonly notAfter: number;
}

/** Several keys of one identity, rotated by date. */
export interface KeySet {
  /** The stable identity id. */
  readonly id: string;
  /** The keys, in the order given. */
  readonly keys: readonly KeySetEntry[];
  /**
   * The signer to use now: of the keys valid now, the one with the latest `notBefore`.
   * The returned signer re-checks the clock on every `sign` and refuses once its key has ended.
   * @throws IdentityError `ERR_IDENTITY_KEY_RETIRED` when no key is valid now.
   */
  current(): Signer;
  /** The trust-anchor description of this set (public keys and windows), for `createTrustAnchors`. */
  anchor(): TrustAnchorInput;
}

function ms(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError('key window expected epoch ms');
  return value;
}

/**
 * Creates a rotating key set.
 *
 * @throws TypeError/RangeError on malformed keys or windows, or two keys with the same id.
 * @example
 * ```ts
 * const keys = createKeySet({ id: 'did:web:example.com', keys: [
 *   { signer: oldKey, notAfter: Date.parse('2026-07-01') },
 *   { signer: newKey, notBefore: Date.parse('2026-06-01') } ] });
 * const anchors = createTrustAnchors([keys.anchor()]);
 * await issueCredential({ issuer: keys.current(), issuerId: keys.id, ... });
 * ```
 */
export function createKeySet(options: KeySetOptions): KeySet {
  if (!Array.isArray(options?.keys) || options.keys.length === 0)
    throw new TypeError('"keys" expected a non-empty array');
  const clock = options.clock === undefined ? Date.now : options.clock;
  if (typeof clock !== 'function') throw new TypeError(`"clock" expected a function, got ${typeof clock}`);
  // A time that is not a finite number is inside no window: nothing signs (fail closed).
  const now = (): number => readClock(clock, 'ERR_IDENTITY_KEY_RETIRED');
  const entries = options.keys.map((k) => {
    if (typeof k?.signer?.sign !== 'function') throw new TypeError('"keys[].signer" expected a Signer');
    const notBefore = ms(k.notBefore, Number.NEGATIVE_INFINITY);
    const notAfter = ms(k.notAfter, Number.POSITIVE_INFINITY);
    if (!(notBefore < notAfter)) throw new RangeError('"notBefore" must be before "notAfter"');
    return { signer: k.signer, kid: keyIdOf(k.signer.id), notBefore, notAfter };
  });
  if (new Set(entries.map((e) => e.kid)).size !== entries.length) throw new RangeError('a key is listed twice');
  const id = options.id ?? (entries[0] as (typeof entries)[number]).signer.id;

  function current(): Signer {
    const t = now();
    const active = entries
      .filter((e) => t >= e.notBefore && t < e.notAfter)
      .sort((a, b) => b.notBefore - a.notBefore)[0];
    if (active === undefined) throw new IdentityError('ERR_IDENTITY_KEY_RETIRED', `no key of "${id}" is valid now`);
    const { signer, notAfter, notBefore } = active;
    return Object.freeze({
      id: signer.id,
      keyId: active.kid,
      get publicKey() {
        return signer.publicKey;
      },
      async sign(message: Uint8Array): Promise<Uint8Array> {
        const at = now();
        // Never sign outside the window, even with a signer handed out earlier.
        if (at >= notAfter || at < notBefore) {
          throw new IdentityError(
            'ERR_IDENTITY_KEY_RETIRED',
            `key "${active.kid}" may not sign at ${new Date(at).toISOString()}`,
          );
        }
        return signer.sign(message);
      },
    });
  }

  return Object.freeze({
    id,
    keys: Object.freeze(entries.map(({ kid, notBefore, notAfter }) => Object.freeze({ kid, notBefore, notAfter }))),
    current,
    anchor: (): TrustAnchorInput => ({
      id,
      keys: entries.map((e) => ({
        key: e.signer.id,
        ...(Number.isFinite(e.notBefore) ? { notBefore: e.notBefore } : {}),
        ...(Number.isFinite(e.notAfter) ? { notAfter: e.notAfter } : {}),
      })),
    }),
  });
}
