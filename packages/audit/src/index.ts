export { AuditError, AUDIT_ERROR_CODES, type AuditErrorCode } from './errors.js';
export {
  AUDIT_EVENT_TYPES,
  GENESIS_HASH,
  RECORD_VERSION,
  type AuditEvent,
  type AuditEventType,
  type AuditRecord,
  type EventRecord,
  type CheckpointRecord,
} from './record/schema.js';
export { createMemorySink, type AuditSink, type MemorySink, type SinkBatch } from './log/sink.js';
export { checkRecordData, parseRecordData, readRecordFields } from './record/data-check.js';
export {
  APPROVAL_RECORD_CODES,
  CREDENTIAL_RECORD_CODES,
  ENVELOPE_RECORD_CODES,
  type ApprovalRecordCode,
  type CredentialRecordCode,
  type EnvelopeRecordCode,
} from './record/data.js';
export type {
  RecordData,
  RecordDataByType,
  AnyRecordData,
  ParsedRecordData,
  DecisionData,
  IsolationData,
  OmittedData,
  ArgsDigestData,
  CallRequestedData,
  RefusalData,
  CallCompletedData,
  CallFailedData,
  ApprovalGrantedData,
  MonitorAlertData,
  ControlStatusData,
  ControlRejectedData,
  ControlMeasureData,
  MonitorSuspendedData,
  MonitorResumedData,
  AttestationData,
  AttestationChangeData,
  EgressData,
  ModeChangedData,
  GapData,
  LogRecoveredData,
  SubjectErasedData,
  AssessmentData,
} from './record/data.js';
export {
  createAuditLog,
  DEFAULT_WRITE_TIMEOUT_MS,
  type AuditLog,
  type AuditLogOptions,
  type CheckpointOptions,
  type ResumeState,
} from './log/log.js';
export {
  verifyLog,
  type VerifyLogOptions,
  type LogReport,
  type LogReportOk,
  type LogReportFailed,
} from './verify/verify.js';
export { verifyInclusion, verifyConsistency, createInclusionVerifier } from './tree/proof.js';
export {
  formatCheckpoint,
  parseCheckpoint,
  openNote,
  verifierKey,
  noteKeyId,
  type Checkpoint,
} from './checkpoint/note.js';
export { readLog, recordLeaf, type LogView } from './verify/read.js';
export { verifyRecordLine, type RecordLineResult } from './verify/record-line.js';
export { parseAuditRecord, type ParseAuditRecordResult } from './record/parse.js';
export { RECORD_MAX_BYTES, RECORD_MAX_DEPTH } from './record/record.js';
export { createConsoleSink, formatRecord, type ConsoleSinkOptions } from './log/console-sink.js';
export {
  createRedactor,
  SECRET_KEYS,
  type Finding,
  type Redaction,
  type Redactor,
  type RedactorOptions,
  type RedactOptions,
  SEALED_KINDS,
  type SealRequest,
} from './redact/redact.js';
export { DETECTOR_KINDS, type Detector, type DetectorKind, type Span } from './redact/detectors.js';
export { containsRedaction, REDACTION_MARKER } from './redact/text.js';
export { isSealedValue, SEAL_ALG, type SealedValue } from './seal/sealed.js';
export {
  createMemoryKeyStore,
  type MemoryKeyStoreOptions,
  type SubjectKey,
  type SubjectKeyStore,
} from './seal/keys.js';
export {
  createSealer,
  unsealRecord,
  type Sealer,
  type SealerOptions,
  type SealTarget,
  type Unsealed,
  type UnsealOptions,
} from './seal/sealer.js';
export { eraseSubject, type EraseSubjectOptions, type Erasure } from './seal/erase.js';
