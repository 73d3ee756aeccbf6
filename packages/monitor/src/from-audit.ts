import type { AuditRecord } from '@agentguard/audit';
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
 * order. Results are not in audit logs (only their digest), so `result` is null.
 *
 * @param records - records of one or more logs.
 * @param options - see {@link FromAuditOptions}.
 * @returns sessions, in order of first appearance.
 */
export function sessionsFromAudit(records: readonly AuditRecord[], options: FromAuditOptions = {}): MonitorSession[] {
  const isSideEffect = options.isSideEffect ?? defaultSideEffect;
  const sessions = new Map<string, { id: string; agent: string; calls: ObservedCall[] }>();
  for (const record of records) {
    if (record.type !== 'call.requested') continue;
    const data = record.data ?? {};
    const id =
      options.sessionOf?.(record as AuditRecord & { type: 'call.requested' }) ??
      (typeof data.session === 'string' ? data.session : record.agent);
    const args = data.args !== null && typeof data.args === 'object' && !Array.isArray(data.args) ? data.args : {};
    const labels = Array.isArray(data.labels) ? data.labels.filter((l): l is string => typeof l === 'string') : [];
    let s = sessions.get(id);
    if (s === undefined) {
      s = { id, agent: record.agent, calls: [] };
      sessions.set(id, s);
    }
    s.calls.push({
      tool: record.tool,
      args: args as Record<string, unknown>,
      sideEffect: isSideEffect(labels),
      result: null,
    });
  }
  return [...sessions.values()];
}
