import {
  type AnyRecordData,
  APPROVAL_RECORD_CODES,
  CREDENTIAL_RECORD_CODES,
  ENVELOPE_RECORD_CODES,
  type ParsedRecordData,
  type RecordDataByType,
} from './data.js';
import type { AuditEventType } from './schema.js';

/**
 * The hand-written check of the record-data contract (record-data.ts): one small table of field kinds per
 * record type, walked without copying. It runs on every append, so it stays a few property reads per record.
 */

/**
 * Why a value is not of a kind, or undefined when it is: `expected …`, or, inside it, a path (`.field`,
 * `[index]`) followed by that.
 */
type Kind = (value: unknown) => string | undefined;

/** `problem` under `step` of a path. */
const under = (step: string, problem: string) =>
  problem.startsWith('.') || problem.startsWith('[') ? `${step}${problem}` : `${step}: ${problem}`;

const string: Kind = (v) => (typeof v === 'string' ? undefined : 'expected a string');
const number: Kind = (v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : 'expected a number');
const count: Kind = (v) => (Number.isSafeInteger(v) && (v as number) >= 0 ? undefined : 'expected a count');
const boolean: Kind = (v) => (typeof v === 'boolean' ? undefined : 'expected a boolean');
const stringOrNull: Kind = (v) => (v === null || typeof v === 'string' ? undefined : 'expected a string or null');
const json: Kind = () => undefined;
const oneOf =
  (...values: readonly string[]): Kind =>
  (v) =>
    values.includes(v as string) ? undefined : `expected one of ${values.map((x) => `'${x}'`).join(', ')}`;
/** One of a closed list of codes; the message names the list, not its dozens of members. */
const codeIn = (what: string, codes: readonly string[]): Kind => {
  const known = new Set(codes);
  return (v) => (typeof v === 'string' && known.has(v) ? undefined : `expected ${what}`);
};
const strings: Kind = (v) =>
  Array.isArray(v) && v.every((s) => typeof s === 'string') ? undefined : 'expected an array of strings';

type Fields = Readonly<Record<string, Kind>>;

/** An object whose named fields, when present, are of their kind (other fields are allowed). */
function object(fields: Fields): Kind {
  return (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'expected an object';
    return fieldsProblem(v as Record<string, unknown>, fields);
  };
}

function arrayOf(kind: Kind): Kind {
  return (v) => {
    if (!Array.isArray(v)) return 'expected an array';
    for (let i = 0; i < v.length; i++) {
      const problem = kind(v[i]);
      if (problem !== undefined) return under(`[${i}]`, problem);
    }
    return undefined;
  };
}

/** An object whose every own value is of `kind` (a map keyed by name). */
function recordOf(kind: Kind): Kind {
  return (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'expected an object';
    for (const key in v) {
      if (!Object.hasOwn(v, key)) continue;
      const problem = kind((v as Record<string, unknown>)[key]);
      if (problem !== undefined) return under(`[${JSON.stringify(key)}]`, problem);
    }
    return undefined;
  };
}

function fieldsProblem(data: Record<string, unknown>, fields: Fields): string | undefined {
  for (const key in fields) {
    if (!Object.hasOwn(data, key)) continue;
    const problem = (fields[key] as Kind)(data[key]);
    if (problem !== undefined) return under(`.${key}`, problem);
  }
  return undefined;
}

// Erasure by crypto-shredding: the reference and key ids a `subject.erased` record names.
const hex64: Kind = (v) => (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) ? undefined : 'expected 64 hex digits');
// A digest is evidence only in the one form a verifier can recompute and compare: `sha256:` and 64 lower-case hex.
const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;
const digest: Kind = (v) => (typeof v === 'string' && SHA256_DIGEST.test(v) ? undefined : 'expected sha256:<64 hex>');
const digestOrNull: Kind = (v) => (v === null ? undefined : digest(v));
const keyId: Kind = (v) => (typeof v === 'string' && /^[0-9a-f]{16}$/.test(v) ? undefined : 'expected 16 hex digits');

const level = oneOf('none', 'process', 'bwrap');
const decision = object({
  effect: oneOf('allow', 'deny', 'require_approval'),
  ruleId: stringOrNull,
  reason: string,
  matched: strings,
  mode: oneOf('enforce', 'monitor', 'off'),
  wouldDeny: boolean,
  isolation: object({
    actual: level,
    required: level,
    met: boolean,
    grants: object({ read: strings, write: strings, egress: strings }),
    exceeded: strings,
  }),
});
const omitted = object({ reason: oneOf('too-large', 'too-deep', 'not-json'), bytes: count });
const digests = { argsDigest: digest, inputDigest: digest };
const refusal: Fields = {
  ...digests,
  code: string,
  reason: string,
  decision,
  issues: arrayOf(object({ path: string, message: string })),
  envelope: json,
  envelopeOmitted: omitted,
  envelopeCode: codeIn('an envelope code (ERR_ATTESTATION_*)', ENVELOPE_RECORD_CODES),
  credentialCode: codeIn(
    'a credential code (ERR_IDENTITY_*, ERR_GUARD_CREDENTIAL_CHECK_FAILED)',
    CREDENTIAL_RECORD_CODES,
  ),
  approver: string,
  approvalCode: codeIn(
    'an approval code (ERR_ATTESTATION_APPROVAL_*, ERR_GUARD_APPROVAL_FAILED, ERR_GUARD_APPROVAL_TIMEOUT, ERR_GUARD_APPROVER_FAILED)',
    APPROVAL_RECORD_CODES,
  ),
  controlSeq: count,
};
const policyState = object({ hash: string, mode: string });
const egress: Fields = {
  egress: object({
    kind: oneOf('connect', 'http', 'https'),
    host: string,
    port: count,
    address: string,
    reason: string,
    detail: string,
    bytesOut: count,
    bytesIn: count,
  }),
};

const FIELDS: { readonly [K in AuditEventType]: Fields } = {
  'call.requested': {
    ...digests,
    args: json,
    argsOmitted: omitted,
    redactions: count,
    sealed: count,
    envelope: json,
    signing: oneOf('batched'),
    policyHash: string,
    agentName: string,
    session: string,
    tags: strings,
    labels: strings,
    tier: oneOf('low', 'medium', 'high', 'critical'),
  },
  'call.denied': refusal,
  'call.invalid': refusal,
  'call.completed': { decision, resultDigest: digestOrNull, durationMs: number },
  'call.failed': { decision, error: object({ code: string, message: string }), durationMs: number },
  'approval.requested': refusal,
  'approval.granted': { approver: string, decision },
  'approval.refused': refusal,
  'monitor.alert': {
    status: oneOf('failed'),
    reason: string,
    score: number,
    flagged: boolean,
    profileHash: string,
    alerts: arrayOf(object({ feature: string, expected: string, seen: string })),
    alertsOmitted: count,
    phase: oneOf('result'),
  },
  attestation: {
    tools: recordOf(string),
    policyHash: string,
    files: recordOf(string),
    pinnedPolicy: stringOrNull,
    onChange: oneOf('alert', 'deny'),
    changes: arrayOf(
      object({
        feature: oneOf('attest.tool', 'attest.policy', 'attest.file'),
        subject: string,
        expected: string,
        seen: string,
      }),
    ),
  },
  'egress.allowed': egress,
  'egress.refused': egress,
  'mode.changed': { from: policyState, to: policyState },
  gap: { missed: count, since: string, until: string, lastError: string },
  'log.recovered': {
    torn: object({ line: count, bytes: count, sha256: string, savedTo: string }),
    uncovered: object({ line: count, seq: count, records: count, bytes: count, sha256: hex64, savedTo: string }),
  },
  // Erasure by crypto-shredding.
  'subject.erased': { subject: hex64, keyIds: arrayOf(keyId), sealedValues: count },
  // Security assessments.
  assessment: {
    reportDigest: digest,
    deployment: string,
    worst: oneOf('critical', 'high', 'medium', 'low', 'info', 'none'),
    counts: object({ critical: count, high: count, medium: count, low: count, info: count }),
    findingIds: strings,
  },
  'control.rejected': { code: string, reason: string, suppressed: count },
  'control.status': {
    seq: count,
    previousSeq: (v) => (v === null ? undefined : count(v)),
    hash: string,
    issuer: string,
    issuedAt: string,
    expiresAt: string,
    measures: arrayOf(
      object({
        kind: oneOf('suspend', 'quarantine'),
        scope: object({ kind: oneOf('all', 'agent', 'tool', 'tag'), value: string }),
        reason: string,
      }),
    ),
    approvalsDropped: count,
  },
  // Monitor suspension (guard-local).
  'monitor.suspended': { ruleId: stringOrNull, reason: string },
  'monitor.resumed': { reason: string, by: string, suspendedBy: stringOrNull },
};

/**
 * Why `data` breaks the record-data contract of `type`, or undefined when it keeps it. `data` must be a plain
 * object; each field the contract names must, when present, be of its kind.
 *
 * @param type - a record type (one of `AUDIT_EVENT_TYPES`).
 * @param data - the event's `data`.
 * @returns one line naming the field, e.g. `decision.effect: expected one of 'allow', 'deny', 'require_approval'`.
 */
export function checkRecordData(type: AuditEventType, data: unknown): string | undefined {
  const fields = Object.hasOwn(FIELDS, type) ? FIELDS[type] : undefined;
  if (fields === undefined) return `unknown record type ${JSON.stringify(String(type).slice(0, 64))}`;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'expected an object';
  return fieldsProblem(data as Record<string, unknown>, fields)?.slice(1);
}

/**
 * Reads the `data` of a record of `type` as the contract types it, for readers (the CLI, the viewer).
 *
 * @param type - the record's type.
 * @param data - the record's `data` (absent is read as `{}`).
 * @returns the typed data, or why it breaks the contract.
 * @example
 * ```ts
 * const parsed = parseRecordData('call.requested', record.data);
 * if (parsed.ok) console.log(parsed.data.agentName ?? record.agent);
 * ```
 */
export function parseRecordData<K extends AuditEventType>(type: K, data: unknown): ParsedRecordData<K> {
  const value = data === undefined ? {} : data;
  const problem = checkRecordData(type, value);
  return problem === undefined
    ? { ok: true, data: value as RecordDataByType[K] }
    : { ok: false, reason: `data.${problem}` };
}

/**
 * Reads the data of a record of any type for a reader that looks at one field across record types (a report, an
 * export): the fields the contract names for `type`, each checked, and nothing else. A field that only another
 * type names is not read from this one, so every field of the answer is of the type {@link AnyRecordData} gives it.
 *
 * @param type - the record's type.
 * @param data - the record's `data` (absent is read as `{}`).
 * @returns the named fields, copied as plain JSON (a new object; nothing in it is shared with `data`), or undefined
 *   when the data breaks the contract or cannot be copied as JSON.
 * @example
 * ```ts
 * const data = readRecordFields(record.type, record.data) ?? {};
 * console.log(data.decision?.effect ?? data.code ?? '');
 * ```
 */
export function readRecordFields(type: AuditEventType, data: unknown): AnyRecordData | undefined {
  if (!Object.hasOwn(FIELDS, type)) return undefined;
  if (data === undefined) return {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  let named: Record<string, unknown>;
  try {
    // Each named member read once, then copied as plain JSON: what is checked is what is returned (a getter cannot
    // answer the check one thing and the reader another), and nothing in it is shared with the record.
    const picked: Record<string, unknown> = {};
    const fields = FIELDS[type];
    for (const key in fields) if (Object.hasOwn(data, key)) picked[key] = (data as Record<string, unknown>)[key];
    named = JSON.parse(JSON.stringify(picked)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  return fieldsProblem(named, FIELDS[type]) === undefined ? (named as AnyRecordData) : undefined;
}
