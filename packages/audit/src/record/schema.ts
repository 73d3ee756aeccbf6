import { z } from 'zod';

/** Version of the record format written by this package (field `v`). */
export const RECORD_VERSION = 1;

/** `prev` of the first record of a log: 64 zeros (no record hashes to it). */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The event types a record may carry; `checkpoint` records are written by the log itself.
 * - `call.*`, `approval.*`: one guarded call, from its request to its outcome (written by core).
 * - `monitor.alert`: the runtime monitor flagged a call before it ran, with its evidence.
 * - `attestation`: what is running (tool definitions, policy, code digests) was attested, and how it
 *   compares with the pinned values.
 * - `egress.allowed`, `egress.refused`: a sandboxed tool's network connection, as the egress broker judged it.
 * - `monitor.suspended`, `monitor.resumed`: a policy rule suspended an agent in one guard (its later calls are
 *   refused), and an operator resumed it.
 * - `mode.changed`, `gap`, `log.recovered`: the guard's or the log's own state.
 * - `subject.erased`: a data subject's keys were destroyed; the values sealed for it can no longer be opened.
 * - `assessment`: a security assessment of the deployment was run (the digest of its report, counts by severity).
 * - `control.status`: the guard adopted a new operator-signed control status (suspend, quarantine, resume).
 * - `control.rejected`: the control channel refused a status (forged, replayed, stale, another channel) or could
 *   not read one; repeats of the same refusal are counted, not written again.
 */
export const AUDIT_EVENT_TYPES = Object.freeze([
  'call.requested',
  'call.denied',
  'call.invalid',
  'call.completed',
  'call.failed',
  'approval.requested',
  'approval.granted',
  'approval.refused',
  'monitor.alert',
  'attestation',
  'egress.allowed',
  'egress.refused',
  'mode.changed',
  'gap',
  'log.recovered',
  // Erasure by crypto-shredding.
  'subject.erased',
  // Security assessments.
  'assessment',
  // Operator control (kill switch).
  'control.status',
  'control.rejected',
  // Monitor suspension (guard-local).
  'monitor.suspended',
  'monitor.resumed',
] as const);

/** What happened: the `type` of an {@link AuditEvent}. */
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

const SHA256_HEX = /^[0-9a-f]{64}$/;
// Canonical padded base64 of 64 bytes: 86 characters, the last carrying 4 bits, then '=='.
const SIG_B64 = /^[A-Za-z0-9+/]{85}[AQgw]==$/;
// Canonical padded base64 of 68 bytes (4-byte key id + 64-byte signature): 90 characters, then '=='.
const NOTE_SIG_B64 = /^[A-Za-z0-9+/]{90}[AEIMQUYcgkosw048]=$/;
/** did:key of an Ed25519 key (multibase base58btc of 34 bytes). @internal */
export const DID_KEY = /^did:key:z[1-9A-HJ-NP-Za-km-z]{40,60}$/;
/** RFC 3339 in the one form Date#toISOString produces (years 0000-9999). @internal */
export const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
// Printable ASCII, no space: ids end up in file names, headers and terminals.
const PRINTABLE_ID = /^[\x21-\x7E]+$/;
// No C0/C1 control characters: a tool name cannot inject lines or escapes into a terminal.
const NO_CONTROL = /^[^\p{Cc}]+$/u;

const hashField = z.string().regex(SHA256_HEX, 'expected 64 lower-case hex digits');
const didField = z.string().regex(DID_KEY, 'expected an Ed25519 did:key');

const common = {
  v: z.literal(RECORD_VERSION),
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  ts: z.string().regex(TIMESTAMP, 'expected RFC 3339 UTC with milliseconds'),
  prev: hashField,
  signer: didField,
};

/** The fields of an event that `append` accepts. */
export const AuditEventSchema = z.strictObject({
  type: z.enum(AUDIT_EVENT_TYPES),
  callId: z.string().min(1).max(256).regex(PRINTABLE_ID, 'expected printable ASCII without spaces'),
  agent: didField,
  tool: z.string().min(1).max(256).regex(NO_CONTROL, 'expected no control characters'),
  data: z.record(z.string(), z.unknown()).optional(),
});

/** An event to record: what happened to which call of which agent's tool. */
export interface AuditEvent {
  readonly type: AuditEventType;
  /** The call id, as in the call envelope. */
  readonly callId: string;
  /** The agent's `did:key`. */
  readonly agent: string;
  /** The tool name. */
  readonly tool: string;
  /** Plain JSON details: decision, argsDigest, policyHash, envelope, error, resultDigest, … */
  readonly data?: Readonly<Record<string, unknown>>;
}

/** A record as written: one canonical JSON object per line. */
export const EventRecordSchema = z.strictObject({
  ...common,
  ...AuditEventSchema.shape,
  hash: hashField,
  /** Absent only for batched records, which the next checkpoint by `signer` (the log key) covers. */
  sig: z.string().regex(SIG_B64, 'expected base64 of a 64-byte signature').optional(),
});

/** A checkpoint record: the log's own key vouching for the tree of all records before it. */
export const CheckpointRecordSchema = z.strictObject({
  ...common,
  type: z.literal('checkpoint'),
  /** The checkpoint body (c2sp.org/tlog-checkpoint): origin, size, base64 root, `time <ts>`, each line ending in a newline. */
  note: z.string().min(1).max(4096),
  hash: hashField,
  sig: z.string().regex(SIG_B64, 'expected base64 of a 64-byte signature'),
  /** The signed-note signature blob: base64 of the 4-byte key id and the Ed25519 signature of `note`. Not hashed. */
  noteSig: z.string().regex(NOTE_SIG_B64, 'expected base64 of a key id and a 64-byte signature'),
});

/** Any line of a log. */
export const AuditRecordSchema = z.discriminatedUnion('type', [EventRecordSchema, CheckpointRecordSchema]);

/** An event record as written. */
export type EventRecord = z.infer<typeof EventRecordSchema>;
/** A checkpoint record as written. */
export type CheckpointRecord = z.infer<typeof CheckpointRecordSchema>;
/** Any record of a log: `seq`, `ts`, `prev`, `signer`, `hash` and `sig` around an event or a checkpoint. */
export type AuditRecord = EventRecord | CheckpointRecord;

/** The first problem zod found, as one line naming the field. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid record';
  const path = issue.path.length === 0 ? 'record' : issue.path.map(String).join('.');
  return `${path}: ${issue.message}`;
}
