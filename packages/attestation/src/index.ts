export {
  AttestationError,
  type AttestationErrorCode,
  ATTESTATION_ERROR_CODES,
  APPROVAL_ERROR_CODES,
} from './errors.js';
export {
  PAYLOAD_TYPE,
  PREDICATE_TYPE,
  STATEMENT_TYPE,
  SUBJECT_PREFIX,
  MAX_PAYLOAD_BYTES,
  type DsseEnvelope,
  type CallClaims,
  type CallStatement,
} from './schema.js';
export { parseCallStatement, type ParsedCallStatement } from './call-statement.js';
export { digestArgs, freezeArgs, bindArgs, type BoundArgs, type DeepReadonly } from './args.js';
export { signCall, DEFAULT_TTL_MS, MAX_TTL_MS, type SignCallInput, type SignedCall } from './sign.js';
export { createTrustStore, type TrustStore } from './trust-store.js';
export {
  createReplayCache,
  type ReplayCache,
  type MemoryReplayCache,
  type ReplayCacheOptions,
} from './replay-cache.js';
export {
  DEFAULT_CLOCK_SKEW_MS,
  MAX_CLOCK_SKEW_MS,
  DEFAULT_MAX_VALIDITY_MS,
  type CallCheckOptions,
  type VerifierSettings,
  type CallVerification,
} from './verify.js';
export { verifyCall, verifyCallSync, type VerifyCallOptions } from './verify-call.js';
export { createApproval, type CreateApprovalOptions } from './approval.js';
export { verifyApproval, type VerifyApprovalOptions } from './approval-verify.js';
export {
  APPROVAL_PREDICATE_TYPE,
  type ApprovalSubject,
  type ApprovalPredicate,
  type ApprovalStatement,
  type SignedApproval,
  type ApprovalErrorCode,
  type ApprovalResult,
} from './approval-statement.js';
