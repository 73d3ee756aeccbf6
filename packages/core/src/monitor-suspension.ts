import type { AuditLog } from '@agentguard/audit';
import type { Signer } from '@agentguard/identity';
import type { Decision } from '@agentguard/policy';
import type { TextCleaner } from './text.js';

/**
 * Monitor suspension: guard-local state. A policy `deny` rule with `suspendAgent` (typically on a monitor
 * verdict) suspends the agent whose call it denied; every later call of that agent through this guard is refused
 * with `ERR_GUARD_MONITOR_SUSPENDED` until an operator resumes it with `ag.resumeAgent(agent)`. Both steps are
 * recorded (`monitor.suspended`, `monitor.resumed`). Nothing is persisted: a new guard starts with none.
 */

/** One suspended agent, as `ag.suspendedAgents()` lists it. */
export interface MonitorSuspensionInfo {
  /** The agent's did:key. */
  readonly agent: string;
  /** The rule that suspended it. */
  readonly ruleId: string | null;
  /** Why: the deciding rule's reason. */
  readonly reason: string;
  /** When, in milliseconds since the epoch. */
  readonly sinceMs: number;
}

/** Options of `ag.resumeAgent`. */
export interface ResumeAgentOptions {
  /** Why the agent may run again (recorded). @default 'resumed by an operator' */
  readonly reason?: string;
  /** Who resumed it (recorded), e.g. an operator's name or did:key. @default none */
  readonly by?: string;
}

/** @internal The suspension state of one guard. */
export interface MonitorSuspension {
  /** The suspension of `agent`, if any. */
  of(agent: string): MonitorSuspensionInfo | undefined;
  /**
   * Suspends the agent a decision names (when it carries `suspendAgent`) and records it in the call's log
   * scope; the suspension holds even when the record cannot be written.
   */
  apply(
    decision: Decision,
    agent: string,
    record: (type: 'monitor.suspended', data: Record<string, unknown>) => Promise<void>,
  ): Promise<void>;
  resume(agent: string, options: ResumeAgentOptions): Promise<boolean>;
  list(): readonly MonitorSuspensionInfo[];
}

const MAX_REASON = 1024;

/** @internal */
export function createMonitorSuspension(io: {
  readonly audit: AuditLog;
  readonly identity: Signer;
  readonly text: TextCleaner;
}): MonitorSuspension {
  // Entries are made only by an enforced deny rule that matched, and never dropped but by an operator: dropping
  // one would let a suspended agent run again.
  const suspended = new Map<string, MonitorSuspensionInfo>();
  return {
    of: (agent) => suspended.get(agent),
    async apply(decision, agent, record) {
      if (decision.suspendAgent !== true || decision.effect !== 'deny' || suspended.has(agent)) return;
      const info = Object.freeze({
        agent,
        ruleId: decision.ruleId,
        reason: io.text.clean(decision.reason, MAX_REASON),
        sinceMs: Date.now(),
      });
      suspended.set(agent, info);
      try {
        await record('monitor.suspended', { ruleId: info.ruleId, reason: info.reason });
      } catch {
        // Suspended all the same (fail closed); the call's own denial is recorded, or reported, next.
      }
    },
    async resume(agent, options) {
      if (typeof agent !== 'string' || agent === '') throw new TypeError('"agent" expected a non-empty string');
      if (options.reason !== undefined && typeof options.reason !== 'string') {
        throw new TypeError(`"reason" expected string, got ${typeof options.reason}`);
      }
      if (options.by !== undefined && typeof options.by !== 'string') {
        throw new TypeError(`"by" expected string, got ${typeof options.by}`);
      }
      const info = suspended.get(agent);
      if (info === undefined) return false;
      const data = {
        reason: io.text.clean(options.reason ?? 'resumed by an operator', MAX_REASON),
        ...(options.by === undefined ? {} : { by: io.text.clean(options.by, 256) }),
        suspendedBy: info.ruleId,
      };
      // Recorded first: an agent is not resumed without a trace.
      await io.audit.append(
        { type: 'monitor.resumed', callId: `resume:${crypto.randomUUID()}`, agent, tool: '*', data },
        io.identity,
      );
      suspended.delete(agent);
      return true;
    },
    list: () => Object.freeze([...suspended.values()]),
  };
}
