import { fromBase58, toBase58 } from './base58.js';
import { isValidPublicKey, PUBLIC_KEY_LENGTH } from '../ed25519/ed25519.js';
import { IdentityError } from '../errors.js';

// did:key v0.7: multibase base58btc ('z') of the multicodec ed25519-pub (0xed, varint 0xed 0x01) + key.
const PREFIX = 'did:key:z';
const MULTICODEC_ED25519_PUB = [0xed, 0x01] as const;

/** A `did:key` identifier: `did:key:z6Mk…`. */
export type DidKey = `did:key:z${string}`;

/**
 * The `did:key` identifier of an Ed25519 public key (did:key v0.7: multibase
 * base58btc of the multicodec `ed25519-pub` 0xed01 followed by the key).
 *
 * @param publicKey - a valid 32-byte Ed25519 public key.
 * @returns `did:key:z6Mk…`.
 * @throws IdentityError `ERR_IDENTITY_KEY_INVALID` when the key is not a valid point.
 * @example
 * ```ts
 * publicKeyToDid(identity.publicKey); // 'did:key:z6Mk…'
 * ```
 */
export function publicKeyToDid(publicKey: Uint8Array): DidKey {
  if (!isValidPublicKey(publicKey)) {
    throw new IdentityError('ERR_IDENTITY_KEY_INVALID', 'not a valid Ed25519 public key');
  }
  const bytes = new Uint8Array(2 + PUBLIC_KEY_LENGTH);
  bytes.set(MULTICODEC_ED25519_PUB, 0);
  bytes.set(publicKey, 2);
  return `${PREFIX}${toBase58(bytes)}`;
}

/**
 * The Ed25519 public key inside a `did:key` identifier. Only the Ed25519
 * multicodec is accepted; fragments (`#…`) are allowed and ignored when they
 * repeat the identifier, as in a verification method id.
 *
 * @param did - `did:key:z6Mk…`, optionally with `#z6Mk…`.
 * @returns a fresh copy of the 32-byte public key.
 * @throws TypeError when `did` is not a string; IdentityError `ERR_IDENTITY_DID_INVALID` for
 *   another method, multibase or multicodec, a bad length, or a key that strict verification refuses.
 * @example
 * ```ts
 * const publicKey = didToPublicKey('did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp');
 * ```
 */
export function didToPublicKey(did: string): Uint8Array {
  if (typeof did !== 'string') throw new TypeError(`"did" expected string, got ${typeof did}`);
  const hash = did.indexOf('#');
  const base = hash < 0 ? did : did.slice(0, hash);
  if (hash >= 0 && did.slice(hash + 1) !== base.slice('did:key:'.length)) {
    throw new IdentityError('ERR_IDENTITY_DID_INVALID', 'did:key fragment must repeat the key');
  }
  if (!base.startsWith(PREFIX) || base.length > 64) {
    throw new IdentityError('ERR_IDENTITY_DID_INVALID', 'expected did:key:z… with a base58btc Ed25519 key');
  }
  let bytes: Uint8Array;
  try {
    bytes = fromBase58(base.slice(PREFIX.length));
  } catch (cause) {
    throw new IdentityError('ERR_IDENTITY_DID_INVALID', 'did:key is not valid base58btc', { cause });
  }
  if (
    bytes.length !== 2 + PUBLIC_KEY_LENGTH ||
    bytes[0] !== MULTICODEC_ED25519_PUB[0] ||
    bytes[1] !== MULTICODEC_ED25519_PUB[1]
  ) {
    throw new IdentityError('ERR_IDENTITY_DID_INVALID', 'did:key is not an Ed25519 public key (multicodec 0xed01)');
  }
  const publicKey = bytes.slice(2);
  if (!isValidPublicKey(publicKey))
    throw new IdentityError('ERR_IDENTITY_DID_INVALID', 'did:key holds an invalid Ed25519 point');
  return publicKey;
}
