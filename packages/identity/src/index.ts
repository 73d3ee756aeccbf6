export { IdentityError, type IdentityErrorCode } from './errors.js';
export { canonicalize, canonicalBytes, type CanonicalizeOptions, type JsonValue } from './canonical.js';
export { parseJson, type ParseJsonOptions } from './json-parse.js';
export { sha256, sha256Hex } from './hash.js';
export { sign, verify, isValidPublicKey, generateSecretKey, publicKeyOf } from './ed25519.js';
export { publicKeyToDid, didToPublicKey, type DidKey } from './did-key.js';
export { publicKeyToJwk, secretKeyToJwk, importJwk, type PublicJwk, type PrivateJwk } from './jwk.js';
export {
  createIdentity,
  identityFromJwk,
  type AgentIdentity,
  type Signer,
  type CreateIdentityOptions,
} from './identity.js';
export {
  utf8,
  fromUtf8,
  toHex,
  fromHex,
  toBase64,
  fromBase64,
  toBase64Url,
  fromBase64Url,
  concatBytes,
  bytesEqual,
  randomBytes,
} from './bytes.js';
export { toBase58, fromBase58 } from './base58.js';
