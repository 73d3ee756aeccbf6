import type { AuditLog } from '@agentguard/audit';
import type { Signer } from '@agentguard/identity';
import type { SandboxEvent } from './runner.js';

/** Options of {@link auditSandboxEvents}. */
export interface SandboxAuditOptions {
  /** The guard's audit log. */
  readonly log: AuditLog;
  /** Signs each record (the agent's or the log's key). */
  readonly signer: Signer;
  /** Called when a record cannot be written (the call itself has already failed closed). @default none */
  readonly onError?: (error: unknown) => void;
}

/**
 * Returns an `onEvent` hook that appends every egress connection of a sandboxed tool to an AuditLog, signed by
 * `signer`, as an `egress.allowed` or `egress.refused` record. Failed or killed calls are not written here: the
 * tool throws a SandboxError, which the guard records as that call's own `call.failed`.
 *
 * @example
 * ```ts
 * sandboxed({ tool: 'fetch_page', module, onEvent: auditSandboxEvents({ log: audit, signer: identity }) });
 * ```
 */
export function auditSandboxEvents(options: SandboxAuditOptions): (event: SandboxEvent) => void {
  const { log, signer, onError } = options;
  return (event) => {
    // A failed or killed call is the guard's to record: it is that call's own `call.failed` (the tool threw
    // the SandboxError), so writing it here too would give the call two outcomes.
    if (event.type === 'sandbox.failed') return;
    const { type: _type, tool, callId, agent, allowed, ...egress } = event;
    log
      .append(
        {
          type: allowed ? 'egress.allowed' : 'egress.refused',
          callId: callId === '' ? 'none' : callId,
          agent: agent === '' ? signer.id : agent,
          tool,
          data: { egress },
        },
        signer,
      )
      .catch((e: unknown) => onError?.(e));
  };
}
