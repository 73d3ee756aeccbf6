import type { AuditEventType, AuditLog } from '@agentguard/audit';
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
 * TEMPORARY MAPPING: the one place to change when `@agentguard/audit` gets sandbox event types.
 *
 * The audit schema has no `sandbox.failed` / `egress.allowed` / `egress.refused` types yet (it is being
 * hardened separately, and this package must not change it). Until then each sandbox event is written with
 * the closest existing type, and `data.sandbox` names what it really is, so records written now can be
 * told apart and re-read once the proper types land. Replace this table (and nothing else) then.
 */
const TEMPORARY_EVENT_TYPE: Readonly<Record<'failed' | 'egress.allowed' | 'egress.refused', AuditEventType>> =
  Object.freeze({
    failed: 'call.failed',
    'egress.refused': 'call.denied',
    'egress.allowed': 'call.completed',
  });

/**
 * Returns an `onEvent` hook that appends every sandbox event (failed or killed calls, every egress
 * connection) to an AuditLog, signed by `signer`.
 *
 * @example
 * ```ts
 * sandboxed({ tool: 'fetch_page', module, onEvent: auditSandboxEvents({ log: audit, signer: identity }) });
 * ```
 */
export function auditSandboxEvents(options: SandboxAuditOptions): (event: SandboxEvent) => void {
  const { log, signer, onError } = options;
  return (event) => {
    const { type, tool, callId, agent, ...rest } = event;
    const kind = type === 'sandbox.failed' ? 'failed' : event.allowed ? 'egress.allowed' : 'egress.refused';
    const data =
      type === 'sandbox.failed' ? { error: event.code, sandbox: kind, ...rest } : { sandbox: kind, egress: rest };
    log
      .append(
        {
          type: TEMPORARY_EVENT_TYPE[kind],
          callId: callId === '' ? 'none' : callId,
          agent: agent === '' ? signer.id : agent,
          tool,
          data,
        },
        signer,
      )
      .catch((e: unknown) => onError?.(e));
  };
}
