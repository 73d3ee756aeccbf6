export { IdentityError, IDENTITY_ERROR_CODES, type IdentityErrorCode } from './errors.js';
export {
  sign,
  verify,
  isValidPublicKey,
  generateSecretKey,
  publicKeyOf,
  cryptoBackend,
  type CryptoBackendName,
} from './ed25519/ed25519.js';
export { publicKeyToDid, didToPublicKey, type DidKey } from './key/did-key.js';
export { publicKeyToJwk, secretKeyToJwk, importJwk, type PublicJwk, type PrivateJwk } from './key/jwk.js';
export {
  createIdentity,
  identityFromJwk,
  isInProcessIdentity,
  type AgentIdentity,
  type Signer,
  type CreateIdentityOptions,
} from './key/identity.js';
export {
  issueCredential,
  verifyCredential,
  inspectCredential,
  CREDENTIAL_TYP,
  type IssueCredentialOptions,
  type AgentCredential,
  type CredentialResult,
} from './credential/credential.js';
export type { JwsAlgorithm } from './credential/jws.js';
export type { CredentialClaims, DelegationClaims, RiskTier } from './credential/claims.js';
export {
  DEFAULT_CLOCK_SKEW_MS,
  MAX_CLOCK_SKEW_MS,
  type VerifyOptions,
  type VerifyFailure,
  type RevocationChecker,
  type RevocationQuery,
  type RevocationVerdict,
} from './credential/options.js';
export {
  createTrustAnchors,
  didOfKeyId,
  keyIdOf,
  type TrustAnchors,
  type TrustAnchorInput,
  type AnchorKeyInput,
  type AnchorKey,
  type AnchorResolution,
} from './trust/anchors.js';
export type { Rights, RightsCall, WidenedField } from './delegation/rights.js';
export type {
  ArgConstraint,
  ArgConstraints,
  ConstraintValue,
} from './delegation/constraints.js';
export {
  createKeySet,
  type KeySet,
  type KeySetOptions,
  type KeySetEntry,
  type RotatingKeyInput,
} from './trust/rotation.js';
export {
  createRevocationList,
  createRevocationChecker,
  REVOCATION_TYP,
  type RevocationListClaims,
  type CreateRevocationListOptions,
  type RevocationCheckerOptions,
  type CachingRevocationChecker,
} from './revocation/revocation.js';
export { delegate, DELEGATION_TYP, type DelegateOptions } from './delegation/delegation.js';
export {
  parseTrustFile,
  trustedIds,
  MAX_TRUST_FILE_BYTES,
  type TrustFile,
  type TrustFileKey,
  type TrustRole,
} from './trust/file.js';
export {
  verifyChain,
  createChainCache,
  type VerifyChainOptions,
  type VerifiedChain,
  type ChainFailure,
  type ChainResult,
  type ChainCache,
} from './delegation/chain.js';
export {
  createCredentialGate,
  type CredentialGate,
  type CredentialGateOptions,
  type GateCall,
  type GateResult,
} from './credential/gate.js';
