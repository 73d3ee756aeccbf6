export { createGuard, guard } from './guard.js';
export type { GuardOptions, ToolSpec, ToolContext, CallOptions, ToolErrors, SealingOptions } from './types.js';
export type { Guard, GuardedTool, GuardOutcome, CheckResult, RefuseOptions } from './guarded-tool.js';
export { TEXT_MAX_CHARS, ARGS_RECORD_MAX_BYTES } from './text.js';
export {
  GuardError,
  denial,
  GUARD_ERROR_CODES,
  type GuardErrorCode,
  GUARD_RECORD_CODES,
  type GuardRecordCode,
  type ApprovalRecordCode,
  type CredentialRecordCode,
  type EnvelopeRecordCode,
  type Denial,
  type DenialOutcome,
  type DenialFields,
  type DenialOptions,
} from './errors.js';
export type { GuardEvents, CallEvent } from './events.js';
export type { StandardSchemaV1, ArgIssue } from './standard-schema.js';
export type { ApprovalOptions, ApprovalRequest, Approver } from './approvals.js';
export type { CredentialOptions } from './credentials.js';
export {
  MAX_RECORDED_ALERTS,
  type CallMonitor,
  type MonitorOptions,
  type MonitoredCall,
  type MonitorVerdict,
  type MonitorAlert,
} from './monitor.js';
export type {
  AttestationOptions,
  AttestationPins,
  AttestationReport,
  AttestationChange,
  AttestOptions,
} from './attest.js';
export {
  defaultHighRisk,
  type ControlOptions,
  type ControlRejection,
  type ControlView,
  type ControlMeasure,
  type ControlScope,
  type ControlTool,
  type GuardControl,
} from './control.js';
export type { MonitorSuspensionInfo, ResumeAgentOptions } from './monitor-suspension.js';
