import { APPROVAL_ERROR_CODES, ATTESTATION_ERROR_CODES } from '@agentguard/attestation';
import { IDENTITY_ERROR_CODES } from '@agentguard/identity';
import type { AuditEventType } from './schema.js';

/**
 * The contract between the writers of event records (core, the monitor hook, the sandbox's egress broker, the
 * log itself) and their readers (the CLI, the viewer): what `data` holds for each record `type`. Every field
 * is optional (a record carries what its writer knew; logs written by older versions lack newer fields) but
 * typed: a field present with another type is refused on append (`ERR_AUDIT_EVENT_INVALID`) and by
 * {@link parseRecordData}. Fields not named here are allowed and ignored by readers.
 */

/**
 * What an `approval.refused` record's `approvalCode` may hold: why attestation refused a signed approval
 * (`ERR_ATTESTATION_APPROVAL_*`), or why the guard's approval step failed on its own side. Any other value is
 * refused on append and by {@link parseRecordData}.
 *
 * | code | meaning |
 * | --- | --- |
 * | `ERR_GUARD_APPROVAL_FAILED` | checking a given approval threw (a broken replay store, a bug) |
 * | `ERR_GUARD_APPROVAL_TIMEOUT` | the approver gave no answer in time |
 * | `ERR_GUARD_APPROVER_FAILED` | the approver threw |
 */
export const APPROVAL_RECORD_CODES = Object.freeze([
  ...APPROVAL_ERROR_CODES,
  'ERR_GUARD_APPROVAL_FAILED',
  'ERR_GUARD_APPROVAL_TIMEOUT',
  'ERR_GUARD_APPROVER_FAILED',
] as const);

/** One of {@link APPROVAL_RECORD_CODES}. */
export type ApprovalRecordCode = (typeof APPROVAL_RECORD_CODES)[number];

/**
 * What a refusal record's `credentialCode` may hold: why identity refused the caller's credential chain
 * (`ERR_IDENTITY_*`), or `ERR_GUARD_CREDENTIAL_CHECK_FAILED` when checking it threw.
 */
export const CREDENTIAL_RECORD_CODES = Object.freeze([
  ...IDENTITY_ERROR_CODES,
  'ERR_GUARD_CREDENTIAL_CHECK_FAILED',
] as const);

/** One of {@link CREDENTIAL_RECORD_CODES}. */
export type CredentialRecordCode = (typeof CREDENTIAL_RECORD_CODES)[number];

/** What a refusal record's `envelopeCode` may hold: why attestation refused an incoming call envelope. */
export const ENVELOPE_RECORD_CODES: readonly EnvelopeRecordCode[] = ATTESTATION_ERROR_CODES;

/** One of {@link ENVELOPE_RECORD_CODES}. */
export type EnvelopeRecordCode = (typeof ATTESTATION_ERROR_CODES)[number];

/** A policy decision as a record holds it (texts redacted and bounded by core). */
export interface DecisionData {
  readonly effect?: 'allow' | 'deny' | 'require_approval';
  readonly ruleId?: string | null;
  readonly reason?: string;
  /** Ids of the rules that matched (at most 64). */
  readonly matched?: readonly string[];
  readonly mode?: 'enforce' | 'monitor' | 'off';
  /** Allowed only because the policy is in monitor mode. */
  readonly wouldDeny?: boolean;
  /** The tool's isolation, and what the policy's `isolation` obligation asked (absent for an in-process tool asked nothing). */
  readonly isolation?: IsolationData;
}

/** A tool's isolation as a decision record holds it; levels are `none` < `process` < `bwrap`. */
export interface IsolationData {
  /** What the tool really runs with (a sandbox runner's, or `none`). */
  readonly actual?: 'none' | 'process' | 'bwrap';
  /** The weakest level the policy accepts for this call. */
  readonly required?: 'none' | 'process' | 'bwrap';
  /** Whether `actual` meets `required` (and the runner stays within `grants`); `false` on a call refused for it, or run under a monitoring policy. */
  readonly met?: boolean;
  /** What the policy's `grants` obligation granted the call (absent without one; empty lists grant nothing). */
  readonly grants?: {
    readonly read?: readonly string[];
    readonly write?: readonly string[];
    readonly egress?: readonly string[];
  };
  /** What of the runner's configuration the grants do not cover (`read:/etc`, `egress:host:443`, `not sandboxed`). */
  readonly exceeded?: readonly string[];
}

/** Why a record holds no value of something it names by digest, and how big it was. */
export interface OmittedData {
  readonly reason?: 'too-large' | 'too-deep' | 'not-json';
  readonly bytes?: number;
}

/** The fields naming a call's arguments by digest (`sha256:` hex of their canonical JSON). */
export interface ArgsDigestData {
  /** The arguments as they run (the schema's output); as received for `call.invalid`. */
  readonly argsDigest?: string;
  /** The arguments as received, when they differ from the run value. */
  readonly inputDigest?: string;
}

/** `call.requested`: what was asked, before any decision. */
export interface CallRequestedData extends ArgsDigestData {
  /** The run arguments, redacted; absent for a sensitive tool. */
  readonly args?: unknown;
  readonly argsOmitted?: OmittedData;
  /** How many values redaction replaced. */
  readonly redactions?: number;
  /** How many of them were sealed for the call's data subject (crypto-shredding) rather than marked one way. */
  readonly sealed?: number;
  /**
   * The DSSE call envelope: a caller's (verified), or the guard's own when its signer is another process.
   * Absent when the record's own signature, by the agent (`signer` is `agent`), authenticates the call, and in
   * throughput mode, where `signing` is `'batched'` and only the log key vouches for the record.
   */
  readonly envelope?: unknown;
  readonly signing?: 'batched';
  readonly policyHash?: string;
  readonly agentName?: string;
  readonly session?: string;
  readonly tags?: readonly string[];
  readonly labels?: readonly string[];
  /** The tool's risk tier when the call was decided. */
  readonly tier?: 'low' | 'medium' | 'high' | 'critical';
}

/** `call.denied`, `call.invalid`, `approval.requested`, `approval.refused`: a refusal and why. */
export interface RefusalData extends ArgsDigestData {
  readonly code?: string;
  readonly reason?: string;
  readonly decision?: DecisionData;
  /** The schema's issues (invalid arguments), redacted and bounded. */
  readonly issues?: readonly { readonly path?: string; readonly message?: string }[];
  /** A rejected call envelope, when it is small JSON. */
  readonly envelope?: unknown;
  readonly envelopeOmitted?: OmittedData;
  /** The attestation code a rejected envelope failed with. */
  readonly envelopeCode?: EnvelopeRecordCode;
  /** The code a rejected credential failed with. */
  readonly credentialCode?: CredentialRecordCode;
  /** The approver of a signed refusal that verified. */
  readonly approver?: string;
  /** What the approval step answered. */
  readonly approvalCode?: ApprovalRecordCode;
  /** The sequence number of the operator control status whose measure refused the call. */
  readonly controlSeq?: number;
}

/** `call.completed`: the tool returned and its result is bound by digest. */
export interface CallCompletedData {
  readonly decision?: DecisionData;
  readonly resultDigest?: string | null;
  readonly durationMs?: number;
}

/** `call.failed`: the tool threw, timed out, was aborted, or returned too much. */
export interface CallFailedData {
  readonly decision?: DecisionData;
  readonly error?: { readonly code?: string; readonly message?: string };
  readonly durationMs?: number;
}

/** `approval.granted`: a trusted approver signed this call. */
export interface ApprovalGrantedData {
  readonly approver?: string;
  readonly decision?: DecisionData;
}

/** `monitor.alert`: the runtime monitor flagged the call (or failed) before the policy decided. */
export interface MonitorAlertData {
  readonly status?: 'failed';
  readonly reason?: string;
  readonly score?: number;
  readonly flagged?: boolean;
  readonly profileHash?: string;
  readonly alerts?: readonly { readonly feature?: string; readonly expected?: string; readonly seen?: string }[];
  readonly alertsOmitted?: number;
  /** `result`: raised after the call ran, about what it returned (e.g. `size.result`). @default before the decision */
  readonly phase?: 'result';
}

/** One difference between pinned digests and what runs, in an `attestation` record. */
export interface AttestationChangeData {
  readonly feature?: 'attest.tool' | 'attest.policy' | 'attest.file';
  /** The tool name, file path, or `policy`. */
  readonly subject?: string;
  /** The pinned digest, or `absent`. */
  readonly expected?: string;
  /** The digest now, or `absent`. */
  readonly seen?: string;
}

/** `attestation`: what is running was attested (by the guard, at its first call and every `everyMs`). */
export interface AttestationData {
  /** Tool name to `sha256:` of its canonical `{ name, description, schema }`. */
  readonly tools?: Readonly<Record<string, string>>;
  readonly policyHash?: string;
  /** File path (lockfile, entry files) to `sha256:` of its bytes, or `unreadable`; absent when no files are attested. */
  readonly files?: Readonly<Record<string, string>>;
  /** The pinned policy hash, or null when the policy is not pinned. */
  readonly pinnedPolicy?: string | null;
  /** What a change does: calls of a changed tool are refused (`deny`) or run (`alert`). */
  readonly onChange?: 'alert' | 'deny';
  /** Every difference from the pins; empty when all match. */
  readonly changes?: readonly AttestationChangeData[];
}

/** `egress.allowed`, `egress.refused`: a sandboxed tool's network connection, as the broker judged it. */
export interface EgressData {
  readonly egress?: {
    /** `https`: a request the broker terminated TLS for, to inject credentials. */
    readonly kind?: 'connect' | 'http' | 'https';
    readonly host?: string;
    readonly port?: number;
    readonly address?: string;
    readonly reason?: string;
    readonly detail?: string;
    readonly bytesOut?: number;
    readonly bytesIn?: number;
  };
}

/** `mode.changed`: the guard's policy was replaced. */
export interface ModeChangedData {
  readonly from?: { readonly hash?: string; readonly mode?: string };
  readonly to?: { readonly hash?: string; readonly mode?: string };
}

/** `gap`: calls of a fail-open tool went unrecorded. */
export interface GapData {
  readonly missed?: number;
  readonly since?: string;
  readonly until?: string;
  readonly lastError?: string;
}

/**
 * `log.recovered`: what the log's writer set aside when it reopened the log: a torn last line, and batched records
 * that no checkpoint covered (moved out unvouched: the SHA-256 pins what was moved, not who wrote it).
 */
export interface LogRecoveredData {
  readonly torn?: {
    readonly line?: number;
    readonly bytes?: number;
    readonly sha256?: string;
    readonly savedTo?: string;
  };
  readonly uncovered?: {
    readonly line?: number;
    readonly seq?: number;
    readonly records?: number;
    readonly bytes?: number;
    readonly sha256?: string;
    readonly savedTo?: string;
  };
}

// Erasure by crypto-shredding.

/** `subject.erased`: a data subject's keys were destroyed, so nothing sealed for it opens again. */
export interface SubjectErasedData {
  /** The subject's pseudonymous reference (64 hex), as its sealed values name it. */
  readonly subject?: string;
  /** Ids of the keys destroyed (empty when none was left). */
  readonly keyIds?: readonly string[];
  /** How many values sealed for the subject the log held when it was erased, when counted. */
  readonly sealedValues?: number;
}

// Security assessments.

/** `assessment`: a security assessment of the deployment was run. */
export interface AssessmentData {
  /** `sha256:` digest of the report's JSON bytes (the same input always gives the same bytes). */
  readonly reportDigest?: string;
  /** The deployment assessed, as the report names it. */
  readonly deployment?: string;
  /** The worst severity found, or `none`. */
  readonly worst?: 'critical' | 'high' | 'medium' | 'low' | 'info' | 'none';
  /** How many findings of each severity. */
  readonly counts?: {
    readonly critical?: number;
    readonly high?: number;
    readonly medium?: number;
    readonly low?: number;
    readonly info?: number;
  };
  /** The ids of the rules that found something, sorted (e.g. `AG-POL-001`). */
  readonly findingIds?: readonly string[];
}

// Operator control (kill switch).

/** One measure of an operator control status, as a `control.status` record holds it. */
export interface ControlMeasureData {
  readonly kind?: 'suspend' | 'quarantine';
  readonly scope?: { readonly kind?: 'all' | 'agent' | 'tool' | 'tag'; readonly value?: string };
  readonly reason?: string;
}

/** `control.status`: the guard adopted a new operator-signed control status. */
export interface ControlStatusData {
  /** The status's sequence number (monotonic per issuer's channel). */
  readonly seq?: number;
  /** The status adopted before, or null for the first one. */
  readonly previousSeq?: number | null;
  /** `sha256:` of the signed payload. */
  readonly hash?: string;
  /** The operator's did:key that signed it. */
  readonly issuer?: string;
  readonly issuedAt?: string;
  readonly expiresAt?: string;
  /** The measures in force from now on (empty: everything resumed). */
  readonly measures?: readonly ControlMeasureData[];
  /** Parked approvals dropped because their agent is now quarantined. */
  readonly approvalsDropped?: number;
}

// Monitor suspension (guard-local).
/** `monitor.suspended`: a deny rule with `suspendAgent` suspended the record's agent in this guard. */
export interface MonitorSuspendedData {
  /** The rule that suspended it. */
  readonly ruleId?: string | null;
  readonly reason?: string;
}

/** `monitor.resumed`: an operator resumed the record's agent. */
export interface MonitorResumedData {
  readonly reason?: string;
  /** Who resumed it. */
  readonly by?: string;
  /** The rule that had suspended it. */
  readonly suspendedBy?: string | null;
}

/** `control.rejected`: the control channel refused a status, or could not read one. */
export interface ControlRejectedData {
  /** The channel's code for the refusal (e.g. `ERR_INCIDENT_STATUS_FORGED`). */
  readonly code?: string;
  readonly reason?: string;
  /** Refusals not written since the record before (the same refusal repeated, or too many at once). */
  readonly suppressed?: number;
}

/** The `data` of each record type. */
export interface RecordDataByType {
  'call.requested': CallRequestedData;
  'call.denied': RefusalData;
  'call.invalid': RefusalData;
  'call.completed': CallCompletedData;
  'call.failed': CallFailedData;
  'approval.requested': RefusalData;
  'approval.granted': ApprovalGrantedData;
  'approval.refused': RefusalData;
  'monitor.alert': MonitorAlertData;
  attestation: AttestationData;
  'monitor.suspended': MonitorSuspendedData;
  'monitor.resumed': MonitorResumedData;
  'egress.allowed': EgressData;
  'egress.refused': EgressData;
  'mode.changed': ModeChangedData;
  gap: GapData;
  'log.recovered': LogRecoveredData;
  'subject.erased': SubjectErasedData;
  assessment: AssessmentData;
  'control.status': ControlStatusData;
  'control.rejected': ControlRejectedData;
}

/** One discriminated union of event `data` by record `type`. */
export type RecordData = {
  [K in AuditEventType]: { readonly type: K; readonly data: RecordDataByType[K] };
}[AuditEventType];

type DataOf = RecordDataByType[AuditEventType];
type DataKey = DataOf extends infer D ? (D extends unknown ? keyof D : never) : never;
type DataValue<K extends PropertyKey> = DataOf extends infer D
  ? D extends unknown
    ? K extends keyof D
      ? D[K]
      : never
    : never
  : never;

/**
 * The data of a record whose type a reader has not narrowed, field by field: each field that any record type
 * names, typed as the union of what the types that name it hold. For readers that look at one field across
 * several record types (an export, a report): {@link readRecordFields} gives it, with only the fields the record's
 * own type names (a field only another type names is never read, since nothing checked it).
 */
export type AnyRecordData = { readonly [K in DataKey]?: DataValue<K> };

/** The outcome of {@link parseRecordData}. */
export type ParsedRecordData<K extends AuditEventType> =
  | { readonly ok: true; readonly data: RecordDataByType[K] }
  | { readonly ok: false; readonly reason: string };
