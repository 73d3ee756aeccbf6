import { type AuditRecord, parseRecordData } from '@agentguard/audit';
import type { MonitorSession, ObservedCall } from './call.js';

/** Options of {@link sessionsFromAudit}. */
export interface FromAuditOptions {
  /**
   * Which session a `call.requested` record belongs to.
   * @default its `data.session` when a string, else one session per agent
   */
  readonly sessionOf?: (record: AuditRecord & { type: 'call.requested' }) => string;
  /**
   * Whether a call has a side effect, from its data-flow labels.
   * @default a label `egress`, `side-effect`, or starting with `writes`
   */
  readonly isSideEffect?: (labels: readonly string[]) => boolean;
}

const defaultSideEffect = (labels: readonly string[]) =>
  labels.some((l) => l === 'egress' || l === 'side-effect' || l.startsWith('writes'));

/**
 * Maps audit records (from `readLog(text).records` of @agentguard/audit, which checks the chain)
 * to sessions: every `call.requested` record becomes one call with its (redacted) arguments, in log
 * order, with the record's `ts` as the call's time. Results are not in audit logs (only their
 * digest), so `result` is null.
 *
 * @param records - records of one or more logs.
 * @param options - see {@link FromAuditOptions}.
 * @returns sessions, in order of first appearance.
 */
export function sessionsFromAudit(records: readonly AuditRecord[], options: FromAuditOptions = {}): MonitorSession[] {
  const sessions = new Map<string, { id: string; agent: string; calls: ObservedCall[] }>();
  for (const record of records) {
    const found = callOfRecord(record, options);
    if (found === undefined || record.type === 'checkpoint') continue;
    let s = sessions.get(found.session);
    if (s === undefined) {
      s = { id: found.session, agent: record.agent, calls: [] };
      sessions.set(found.session, s);
    }
    s.calls.push(found.call);
  }
  return [...sessions.values()];
}

/**
 * The call a `call.requested` record stands for, and its session; undefined for any other record.
 *
 * @param record - one audit record.
 * @param options - see {@link FromAuditOptions}.
 */
export function callOfRecord(
  record: AuditRecord,
  options: FromAuditOptions = {},
): { session: string; call: ObservedCall } | undefined {
  if (record.type !== 'call.requested') return undefined;
  const isSideEffect = options.isSideEffect ?? defaultSideEffect;
  // Read through the record-data contract (audit checks it on append): a record that breaks it teaches nothing.
  const parsed = parseRecordData('call.requested', record.data);
  if (!parsed.ok) return undefined;
  const data = parsed.data;
  const session =
    options.sessionOf?.(record as AuditRecord & { type: 'call.requested' }) ?? data.session ?? record.agent;
  // Args recorded by digest only (too large, sensitive, sealed) leave the profile only the tool and its labels.
  const args = data.args !== null && typeof data.args === 'object' && !Array.isArray(data.args) ? data.args : {};
  const labels = data.labels ?? [];
  const at = Date.parse(record.ts);
  return {
    session,
    call: {
      tool: record.tool,
      args: args as Record<string, unknown>,
      sideEffect: isSideEffect(labels),
      result: null,
      ...(Number.isFinite(at) ? { at } : {}),
    },
  };
}
