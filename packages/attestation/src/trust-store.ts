import { type DidKey, didOfKeyId, didToPublicKey } from '@agentguard/identity';
import { AttestationError } from './errors.js';

/** The agent keys whose call envelopes a verifier accepts. */
export interface TrustStore {
  /**
   * Trusts `did` (a `did:key`, or its verification method `did:key:z…#z…`).
   * @throws AttestationError `ERR_ATTESTATION_KEY_INVALID` when it is not an Ed25519 did:key.
   */
  add(did: string): void;
  /** Stops trusting `did`; returns whether it was trusted. */
  delete(did: string): boolean;
  /** Whether `did` (or its verification method id) is trusted. */
  has(did: string): boolean;
  /**
   * The public key a DSSE `keyid` names, when trusted: `keyid` is a trusted
   * `did:key` or its verification method `did:key:z…#z…`. Never throws on
   * hostile input; anything else gives `undefined`.
   */
  publicKeyFor(keyid: string): Uint8Array | undefined;
  /** The trusted did:key ids, in the order they were added. */
  list(): DidKey[];
  /** How many keys are trusted. */
  readonly size: number;
}

/**
 * Creates a trust store of agent keys, identified by `did:key`.
 *
 * Keys are decoded and checked once, when added; lookups are a map access.
 * Copies of keys are returned, so callers cannot change what is trusted.
 *
 * @param dids - did:key ids (or verification method ids) to trust from the start.
 * @returns a frozen {@link TrustStore}.
 * @throws AttestationError `ERR_ATTESTATION_KEY_INVALID` when a did is not an Ed25519 did:key.
 * @example
 * ```ts
 * const trust = createTrustStore([agent.id]);
 * trust.publicKeyFor(agent.keyId); // Uint8Array(32)
 * ```
 */
export function createTrustStore(dids: Iterable<string> = []): TrustStore {
  const keys = new Map<string, Uint8Array>();

  function add(did: string): void {
    if (typeof did !== 'string') throw new TypeError(`"did" expected string, got ${typeof did}`);
    const base = didOfKeyId(did);
    let publicKey: Uint8Array;
    try {
      if (base === undefined) throw new Error('fragment does not repeat the key');
      publicKey = didToPublicKey(base);
    } catch (cause) {
      throw new AttestationError(
        'ERR_ATTESTATION_KEY_INVALID',
        `not an Ed25519 did:key: ${JSON.stringify(did.slice(0, 80))}`,
        {
          cause,
        },
      );
    }
    keys.set(base as string, publicKey);
  }

  function lookup(keyid: unknown): Uint8Array | undefined {
    if (typeof keyid !== 'string' || keyid.length > 256) return undefined;
    const base = didOfKeyId(keyid);
    return base === undefined ? undefined : keys.get(base);
  }

  for (const did of dids) add(did);

  return Object.freeze({
    add,
    delete: (did: string) => {
      const base = typeof did === 'string' ? didOfKeyId(did) : undefined;
      return base !== undefined && keys.delete(base);
    },
    has: (did: string) => lookup(did) !== undefined,
    publicKeyFor: (keyid: string) => lookup(keyid)?.slice(),
    list: () => [...keys.keys()] as DidKey[],
    get size() {
      return keys.size;
    },
  });
}

/** @internal The trusted key and its did for a keyid, without copying (the verifier never hands it out). */
export function resolveKey(trust: TrustStore, keyid: string): { did: string; publicKey: Uint8Array } | undefined {
  const publicKey: unknown = trust.publicKeyFor(keyid);
  // A custom store answering with anything but a 32-byte key trusts nothing for this keyid.
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return undefined;
  const did = didOfKeyId(keyid);
  return did === undefined ? undefined : { did, publicKey };
}
