import { bytesEqual, fromBase64Url, toBase64Url } from '@agentguard/statement';
import { isValidPublicKey, PUBLIC_KEY_LENGTH, publicKeyOf, SECRET_KEY_LENGTH } from '../ed25519/ed25519.js';
import { IdentityError } from '../errors.js';

/** An Ed25519 public key as an RFC 8037 JSON Web Key. */
export interface PublicJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
  readonly kid?: string;
}

/** An Ed25519 key pair as an RFC 8037 JSON Web Key (`d` is the secret seed). */
export interface PrivateJwk extends PublicJwk {
  readonly d: string;
}

function assertKid(kid: unknown): void {
  if (kid !== undefined && typeof kid !== 'string') throw new TypeError(`"kid" expected string, got ${typeof kid}`);
}

/**
 * The RFC 8037 JWK of a public key (`{ kty: 'OKP', crv: 'Ed25519', x }`).
 *
 * @param publicKey - a valid 32-byte Ed25519 public key.
 * @param kid - optional key id to include.
 * @throws IdentityError `ERR_IDENTITY_KEY_INVALID` when the key is not a valid point; TypeError on a non-string `kid`.
 */
export function publicKeyToJwk(publicKey: Uint8Array, kid?: string): PublicJwk {
  assertKid(kid);
  if (!isValidPublicKey(publicKey))
    throw new IdentityError('ERR_IDENTITY_KEY_INVALID', 'not a valid Ed25519 public key');
  const jwk = { kty: 'OKP' as const, crv: 'Ed25519' as const, x: toBase64Url(publicKey) };
  return kid === undefined ? jwk : { ...jwk, kid };
}

/**
 * The RFC 8037 private JWK of a secret key (`d` is the 32-byte seed). Handle the result as a secret.
 *
 * @throws TypeError / IdentityError `ERR_IDENTITY_KEY_INVALID` as `publicKeyOf`; TypeError on a non-string `kid`.
 */
export function secretKeyToJwk(secretKey: Uint8Array, kid?: string): PrivateJwk {
  const pub = publicKeyToJwk(publicKeyOf(secretKey), kid);
  return { ...pub, d: toBase64Url(secretKey) };
}

/** Names a JSON value for an error message without echoing long or secret content. */
function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 32)) : value === null ? 'null' : typeof value;
}

function field(jwk: Record<string, unknown>, name: string): string {
  const value = jwk[name];
  if (typeof value !== 'string')
    throw new IdentityError('ERR_IDENTITY_JWK_INVALID', `JWK "${name}" expected string, got ${typeof value}`);
  return value;
}

// RFC 8037 §3.1: "EdDSA" (and "Ed25519" of RFC 9864) are the only signature algorithms for this key.
const ALGORITHMS = new Set(['EdDSA', 'Ed25519']);

/**
 * Reads an RFC 8037 Ed25519 JWK. Returns the public key, and the secret key
 * when `d` is present (checked to match `x`). `x` and `d` must be canonical
 * unpadded base64url; `alg`, when present, must be `EdDSA` or `Ed25519`; `use`,
 * when present, must be `sig`. Other members are ignored.
 *
 * @param jwk - the parsed JWK object.
 * @returns the key bytes and the `kid`, if any.
 * @throws IdentityError `ERR_IDENTITY_JWK_INVALID` for anything but a well-formed OKP/Ed25519 key.
 */
export function importJwk(jwk: unknown): { publicKey: Uint8Array; secretKey?: Uint8Array; kid?: string } {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw new IdentityError('ERR_IDENTITY_JWK_INVALID', 'JWK expected a JSON object');
  }
  const obj = jwk as Record<string, unknown>;
  if (obj.kty !== 'OKP' || obj.crv !== 'Ed25519') {
    throw new IdentityError(
      'ERR_IDENTITY_JWK_INVALID',
      `JWK expected kty "OKP" and crv "Ed25519", got ${show(obj.kty)}/${show(obj.crv)}`,
    );
  }
  if (obj.alg !== undefined && !ALGORITHMS.has(obj.alg as string)) {
    throw new IdentityError(
      'ERR_IDENTITY_JWK_INVALID',
      `JWK "alg" expected "EdDSA" or "Ed25519", got ${show(obj.alg)}`,
    );
  }
  if (obj.use !== undefined && obj.use !== 'sig') {
    throw new IdentityError('ERR_IDENTITY_JWK_INVALID', `JWK "use" expected "sig", got ${show(obj.use)}`);
  }
  let publicKey: Uint8Array;
  try {
    publicKey = fromBase64Url(field(obj, 'x'));
  } catch (cause) {
    if (cause instanceof IdentityError && cause.code === 'ERR_IDENTITY_JWK_INVALID') throw cause;
    throw new IdentityError('ERR_IDENTITY_JWK_INVALID', 'JWK "x" is not canonical base64url', { cause });
  }
  if (publicKey.length !== PUBLIC_KEY_LENGTH || !isValidPublicKey(publicKey)) {
    throw new IdentityError('ERR_IDENTITY_JWK_INVALID', 'JWK "x" is not a valid Ed25519 public key');
  }
  const kid = obj.kid === undefined ? undefined : field(obj, 'kid');
  if (obj.d === undefined) return kid === undefined ? { publicKey } : { publicKey, kid };
  let secretKey: Uint8Array;
  try {
    secretKey = fromBase64Url(field(obj, 'd'));
  } catch (cause) {
    throw new IdentityError('ERR_IDENTITY_JWK_INVALID', 'JWK "d" is not canonical base64url', { cause });
  }
  if (secretKey.length !== SECRET_KEY_LENGTH)
    throw new IdentityError('ERR_IDENTITY_JWK_INVALID', 'JWK "d" expected 32 bytes');
  if (!bytesEqual(publicKeyOf(secretKey), publicKey)) {
    throw new IdentityError('ERR_IDENTITY_JWK_INVALID', 'JWK "d" does not match "x"');
  }
  return kid === undefined ? { publicKey, secretKey } : { publicKey, secretKey, kid };
}
