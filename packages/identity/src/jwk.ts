import { fromBase64Url, toBase64Url } from './bytes.js';
import { isValidPublicKey, PUBLIC_KEY_LENGTH, publicKeyOf, SECRET_KEY_LENGTH } from './ed25519.js';
import { IdentityError } from './errors.js';
import { bytesEqual } from './bytes.js';

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

/** The RFC 8037 JWK of a public key. */
export function publicKeyToJwk(publicKey: Uint8Array, kid?: string): PublicJwk {
  if (!isValidPublicKey(publicKey)) throw new IdentityError('ERR_KEY_INVALID', 'not a valid Ed25519 public key');
  const jwk = { kty: 'OKP' as const, crv: 'Ed25519' as const, x: toBase64Url(publicKey) };
  return kid === undefined ? jwk : { ...jwk, kid };
}

/** The RFC 8037 private JWK of a secret key. Handle the result as a secret. */
export function secretKeyToJwk(secretKey: Uint8Array, kid?: string): PrivateJwk {
  const pub = publicKeyToJwk(publicKeyOf(secretKey), kid);
  return { ...pub, d: toBase64Url(secretKey) };
}

function field(jwk: Record<string, unknown>, name: string): string {
  const value = jwk[name];
  if (typeof value !== 'string')
    throw new IdentityError('ERR_JWK_INVALID', `JWK "${name}" expected string, got ${typeof value}`);
  return value;
}

/**
 * Reads an RFC 8037 Ed25519 JWK. Returns the public key, and the secret key
 * when `d` is present (checked to match `x`).
 *
 * @throws IdentityError `ERR_JWK_INVALID` for anything but a well-formed OKP/Ed25519 key.
 */
export function importJwk(jwk: unknown): { publicKey: Uint8Array; secretKey?: Uint8Array; kid?: string } {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw new IdentityError('ERR_JWK_INVALID', 'JWK expected a JSON object');
  }
  const obj = jwk as Record<string, unknown>;
  if (obj.kty !== 'OKP' || obj.crv !== 'Ed25519') {
    throw new IdentityError(
      'ERR_JWK_INVALID',
      `JWK expected kty "OKP" and crv "Ed25519", got ${String(obj.kty)}/${String(obj.crv)}`,
    );
  }
  let publicKey: Uint8Array;
  try {
    publicKey = fromBase64Url(field(obj, 'x'));
  } catch (cause) {
    if (cause instanceof IdentityError && cause.code === 'ERR_JWK_INVALID') throw cause;
    throw new IdentityError('ERR_JWK_INVALID', 'JWK "x" is not canonical base64url', { cause });
  }
  if (publicKey.length !== PUBLIC_KEY_LENGTH || !isValidPublicKey(publicKey)) {
    throw new IdentityError('ERR_JWK_INVALID', 'JWK "x" is not a valid Ed25519 public key');
  }
  const kid = obj.kid === undefined ? undefined : field(obj, 'kid');
  if (obj.d === undefined) return kid === undefined ? { publicKey } : { publicKey, kid };
  let secretKey: Uint8Array;
  try {
    secretKey = fromBase64Url(field(obj, 'd'));
  } catch (cause) {
    throw new IdentityError('ERR_JWK_INVALID', 'JWK "d" is not canonical base64url', { cause });
  }
  if (secretKey.length !== SECRET_KEY_LENGTH) throw new IdentityError('ERR_JWK_INVALID', 'JWK "d" expected 32 bytes');
  if (!bytesEqual(publicKeyOf(secretKey), publicKey)) {
    throw new IdentityError('ERR_JWK_INVALID', 'JWK "d" does not match "x"');
  }
  return kid === undefined ? { publicKey, secretKey } : { publicKey, secretKey, kid };
}
