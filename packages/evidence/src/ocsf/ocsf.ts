import type { TrustStore } from '@agentguard/attestation';
import {
  type AnyRecordData,
  AuditError,
  type AuditEventType,
  type EventRecord,
  readLog,
  readRecordFields,
  verifyLog,
} from '@agentguard/audit';
import { OcsfError } from './errors.js';

/** The OCSF schema version the events follow: the first with the `ai_agent` object (ai_operation profile). */
export const OCSF_VERSION = '1.9.0-dev';

/** An OCSF API Activity event (class 6003, category 6) as this export writes it. */
export interface OcsfApiActivity {
  readonly class_uid: 6003;
  readonly class_name: 'API Activity';
  readonly category_uid: 6;
  readonly category_name: 'Application Activity';
  /** 99 (Other): a tool call is none of Create, Read, Update, Delete. */
  readonly activity_id: 99;
  /** The record type, e.g. `call.denied`. */
  readonly activity_name: string;
  readonly type_uid: 600399;
  readonly type_name: 'API Activity: Other';
  /** The record's `ts`, epoch ms. */
  readonly time: number;
  readonly severity_id: 1 | 3 | 4;
  readonly severity: 'Informational' | 'Medium' | 'High';
  readonly status_id: 0 | 1 | 2;
  readonly status: 'Unknown' | 'Success' | 'Failure';
  readonly status_code?: string;
  readonly status_detail?: string;
  readonly message: string;
  /** security_control profile: the guard's verdict, for records that carry one. */
  readonly action_id?: 1 | 2;
  readonly action?: 'Allowed' | 'Denied';
  readonly disposition_id?: 1 | 2;
  readonly disposition?: 'Allowed' | 'Blocked';
  readonly policy?: { readonly uid: string; readonly name?: string };
  readonly metadata: {
    readonly version: string;
    readonly product: { readonly name: 'AgentGuard'; readonly vendor_name: 'AgentGuard' };
    readonly profiles: readonly string[];
    /** The record's hash: one event per record, stable across exports. */
    readonly uid: string;
    readonly sequence: number;
    readonly original_time: string;
    readonly correlation_uid: string;
    readonly log_name?: string;
  };
  readonly actor: { readonly app_uid: string; readonly app_name: string };
  readonly api: {
    readonly operation: string;
    readonly request: { readonly uid: string };
    readonly response?: { readonly code?: number; readonly error?: string; readonly message?: string };
  };
  readonly src_endpoint: { readonly uid: string; readonly name?: string };
  /** ai_operation profile: the agent that made the call. */
  readonly ai_agent: {
    readonly uid: string;
    readonly name?: string;
    readonly instance_uid?: string;
    readonly type_id: 0;
  };
  readonly resources: readonly [{ readonly name: string; readonly type: 'tool' }];
  /** What OCSF has no attribute for: the record's own fields, for a reader who goes back to the signed log. */
  readonly unmapped: {
    readonly agentguard: {
      readonly type: AuditEventType;
      readonly seq: number;
      readonly hash: string;
      readonly signer: string;
      readonly argsDigest?: string;
      readonly resultDigest?: string;
      readonly ruleId?: string;
      readonly effect?: string;
    };
  };
}

const ALLOWED: ReadonlySet<string> = new Set(['call.completed', 'approval.granted', 'egress.allowed']);
const REFUSED: ReadonlySet<string> = new Set([
  'call.denied',
  'call.invalid',
  'call.failed',
  'approval.refused',
  'egress.refused',
]);
const ALERT: ReadonlySet<string> = new Set(['monitor.alert', 'gap', 'log.recovered']);

const str = (value: string | null | undefined, max = 1024): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value.slice(0, max) : undefined;

/** Keeps the members whose value is defined, so events never carry `undefined`. */
function defined<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as T;
}

/**
 * One event record as an OCSF API Activity event: the agent as `actor.app_uid`, `src_endpoint.uid` and (profile
 * ai_operation) `ai_agent.uid`; the tool as `api.operation` and the call id as `api.request.uid`; the verdict as
 * `status_id` and (profile security_control) `action_id`/`disposition_id`; the policy hash as `policy.uid`; the
 * record's hash as `metadata.uid` and its seq as `metadata.sequence`. Texts are cut at 1,024 characters.
 *
 * @param record - an event record of a verified log (see {@link exportOcsf}).
 * @param options - `logName`, written as `metadata.log_name` (the log's origin).
 * @returns the event, a plain JSON object.
 * @example
 * ```ts
 * const event = toOcsfEvent(record, { logName: 'example.com/audit' });
 * ```
 */
export function toOcsfEvent(record: EventRecord, options: { readonly logName?: string } = {}): OcsfApiActivity {
  // Only the fields the record's type names, checked; data that breaks the record contract is not read at all (the
  // event carries the record's own fields only).
  const data: AnyRecordData = readRecordFields(record.type, record.data) ?? {};
  const decision = data.decision ?? {};
  const error = data.error ?? {};
  const allowed = ALLOWED.has(record.type);
  const refused = REFUSED.has(record.type);
  const verdict = record.type === 'call.failed' ? undefined : allowed ? 'Allowed' : refused ? 'Denied' : undefined;
  const agentName = str(data.agentName, 256);
  const code = str(data.code, 256) ?? str(error.code, 256);
  const reason = str(data.reason) ?? str(decision.reason) ?? str(error.message);
  const policyHash = str(data.policyHash, 128);
  return defined({
    class_uid: 6003,
    class_name: 'API Activity',
    category_uid: 6,
    category_name: 'Application Activity',
    activity_id: 99,
    activity_name: record.type,
    type_uid: 600399,
    type_name: 'API Activity: Other',
    time: Date.parse(record.ts),
    severity_id: ALERT.has(record.type) ? 4 : refused ? 3 : 1,
    severity: ALERT.has(record.type) ? 'High' : refused ? 'Medium' : 'Informational',
    status_id: allowed ? 1 : refused ? 2 : 0,
    status: allowed ? 'Success' : refused ? 'Failure' : 'Unknown',
    status_code: code,
    status_detail: reason,
    message: `${record.type} ${record.tool.slice(0, 256)}`,
    action_id: verdict === undefined ? undefined : verdict === 'Allowed' ? 1 : 2,
    action: verdict,
    disposition_id: verdict === undefined ? undefined : verdict === 'Allowed' ? 1 : 2,
    disposition: verdict === undefined ? undefined : verdict === 'Allowed' ? 'Allowed' : 'Blocked',
    policy: policyHash === undefined ? undefined : { uid: policyHash },
    metadata: defined({
      version: OCSF_VERSION,
      product: { name: 'AgentGuard', vendor_name: 'AgentGuard' },
      profiles: ['ai_operation', 'security_control'],
      uid: record.hash,
      sequence: record.seq,
      original_time: record.ts,
      correlation_uid: record.callId,
      log_name: options.logName,
    }),
    actor: { app_uid: record.agent, app_name: agentName ?? record.agent },
    api: defined({
      operation: record.tool,
      request: { uid: record.callId },
      response: record.type === 'call.failed' ? defined({ error: code, message: reason }) : undefined,
    }),
    src_endpoint: defined({ uid: record.agent, name: agentName }),
    ai_agent: defined({
      uid: record.agent,
      name: agentName,
      instance_uid: str(data.session, 256),
      type_id: 0 as const,
    }),
    resources: [{ name: record.tool, type: 'tool' }],
    unmapped: {
      agentguard: defined({
        type: record.type,
        seq: record.seq,
        hash: record.hash,
        signer: record.signer,
        argsDigest: str(data.argsDigest, 128),
        resultDigest: str(data.resultDigest, 128),
        ruleId: str(decision.ruleId, 256),
        effect: str(decision.effect, 32),
      }),
    },
  } as OcsfApiActivity);
}

/** Options of {@link exportOcsf}. */
export interface ExportOcsfOptions {
  /** Only records of this agent (`did:key`). @default every agent */
  readonly agent?: string;
  /** First instant, epoch ms (inclusive). @default the log's start */
  readonly fromMs?: number;
  /** Last instant, epoch ms (inclusive). @default the log's end */
  readonly toMs?: number;
  /** Keys the log must verify under (see `verifyLog`). @default none: checked, not anchored */
  readonly trust?: TrustStore | readonly string[];
}

/**
 * Exports a log's event records (checkpoints are the log's own and are left out) as OCSF JSON Lines for a
 * SIEM, one {@link toOcsfEvent} per line. The log is verified first: nothing is exported from a log that fails.
 *
 * @param log - the log's bytes.
 * @returns JSON Lines text, each line ending in a newline (empty when nothing matches).
 * @throws OcsfError `ERR_EVIDENCE_OCSF_LOG_INVALID` when the log does not verify.
 * @example
 * ```ts
 * writeFileSync('events.ocsf.jsonl', exportOcsf(readFileSync('audit.jsonl'), { agent: agent.id }));
 * ```
 */
export function exportOcsf(log: Uint8Array, options: ExportOcsfOptions = {}): string {
  if (!(log instanceof Uint8Array)) throw new TypeError('"log" expected Uint8Array');
  if (options.trust !== undefined) {
    const report = verifyLog(log, { trust: options.trust });
    if (!report.ok) {
      throw new OcsfError('ERR_EVIDENCE_OCSF_LOG_INVALID', `line ${report.line}: ${report.code}: ${report.reason}`);
    }
  }
  let view: ReturnType<typeof readLog>;
  try {
    view = readLog(log);
  } catch (error) {
    if (!(error instanceof AuditError)) throw error;
    throw new OcsfError('ERR_EVIDENCE_OCSF_LOG_INVALID', `${error.code}: ${error.message}`, { cause: error });
  }
  const from = options.fromMs ?? Number.NEGATIVE_INFINITY;
  const to = options.toMs ?? Number.POSITIVE_INFINITY;
  const logName = view.origin;
  let out = '';
  for (const record of view.records) {
    if (record.type === 'checkpoint') continue;
    if (options.agent !== undefined && record.agent !== options.agent) continue;
    const ts = Date.parse(record.ts);
    if (ts < from || ts > to) continue;
    out += `${JSON.stringify(toOcsfEvent(record, logName === undefined ? {} : { logName }))}\n`;
  }
  return out;
}
