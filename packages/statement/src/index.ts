export { StatementError, type StatementErrorCode, STATEMENT_ERROR_CODES } from './errors.js';
export {
  canonicalize,
  canonicalBytes,
  canonicalOrder,
  canonicalHasProtoMember,
  type CanonicalizeOptions,
  type JsonValue,
} from './canonical.js';
export { parseCanonicalJson, parseJson, type ParseJsonOptions } from './json-parse.js';
export { sha256, sha256Hex } from './hash.js';
export {
  sha256Digest,
  digestArgs,
  digestCanonicalText,
  digestToolDefinition,
  SHA256_DIGEST,
  type ToolDefinitionParts,
} from './digest.js';
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
} from './encoding.js';
export {
  parseEnvelope,
  decodeDsseBase64,
  MAX_PAYLOAD_BYTES,
  MAX_ENVELOPE_CHARS,
  type Envelope,
  type EnvelopeSignature,
  type ParseEnvelopeOptions,
} from './envelope.js';
export {
  pae,
  signEnvelope,
  verifyEnvelope,
  type EnvelopeSigner,
  type EnvelopeVerifier,
  type VerifyEnvelopeOptions,
  type EnvelopeVerification,
} from './dsse.js';
export {
  parseStatement,
  IN_TOTO_PAYLOAD_TYPE,
  STATEMENT_V1_TYPE,
  type Statement,
  type StatementSubject,
  type ParseStatementOptions,
} from './in-toto.js';
export { isToolName, isToolPattern, toolPatternMatches, MAX_TOOL_NAME_LENGTH } from './tool-name.js';
