import type { AdapterErrorCode } from '../common/errors.js';
import type { Denial, DenialOutcome, GuardErrorCode, GuardOutcome } from '@agentguard/core';
import { adapterDenial } from '../common/outcome.js';

/**
 * The code of a call the MCP client refused because the server's current definition of the tool is not the
 * pinned one: changed since it was pinned (a rug pull), listed more than once, or malformed. Re-approve the
 * definition (`pins.approve(name)`) to call it again.
 */
export type McpPinMismatchCode = Extract<AdapterErrorCode, 'ERR_ADAPTER_MCP_PIN_MISMATCH'>;

/** The codes a {@link McpDenial} carries: the guard's, and the MCP client's own pin mismatch. */
export type McpDenialCode = GuardErrorCode | McpPinMismatchCode;

/** A {@link Denial} from a guarded MCP client, whose `code` may also be {@link McpPinMismatchCode}. */
export type McpDenial = Omit<Denial, 'code'> & { readonly code: McpDenialCode };

// Every code of `GuardErrorCode`, checked exhaustively by the compiler: a server's Denial is forwarded with its
// own code only when it is one of these (anything else is a server refusal, ERR_GUARD_ENVELOPE_REJECTED).
const GUARD_CODES: { readonly [K in GuardErrorCode]: true } = {
  ERR_GUARD_POLICY_DENIED: true,
  ERR_GUARD_ARGS_INVALID: true,
  ERR_GUARD_SCHEMA_OUTPUT_INVALID: true,
  ERR_GUARD_CALL_ID_INVALID: true,
  ERR_GUARD_TOOL_FAILED: true,
  ERR_GUARD_TOOL_TIMEOUT: true,
  ERR_GUARD_RESULT_TOO_LARGE: true,
  ERR_GUARD_CALL_ABORTED: true,
  ERR_GUARD_APPROVAL_REQUIRED: true,
  ERR_GUARD_APPROVAL_REFUSED: true,
  ERR_GUARD_CALL_ALREADY_RUN: true,
  ERR_GUARD_ENVELOPE_REJECTED: true,
  ERR_GUARD_CREDENTIAL_REJECTED: true,
  ERR_GUARD_ISOLATION_REQUIRED: true,
  ERR_GUARD_AUDIT_FAILED: true,
  ERR_GUARD_ATTESTATION_CHANGED: true,
  ERR_GUARD_SUSPENDED: true,
  ERR_GUARD_CONTROL_STALE: true,
  ERR_GUARD_MONITOR_SUSPENDED: true,
};
const OUTCOMES: { readonly [K in DenialOutcome]: true } = {
  denied: true,
  invalid: true,
  failed: true,
  timeout: true,
  aborted: true,
  approval_required: true,
};

/**
 * @internal Thrown inside the guarded call when the server refused it or the pin check failed, so the guard
 * audits the call as failed (with our own bounded text) and the client then reports this refusal, typed,
 * instead of a tool failure whose reason holds the server's JSON.
 */
export class McpRefusedError extends Error {
  readonly code: McpDenialCode;
  readonly outcome: DenialOutcome;
  constructor(code: McpDenialCode, outcome: DenialOutcome, reason: string) {
    super(reason);
    this.name = 'McpRefusedError';
    this.code = code;
    this.outcome = outcome;
  }
}

/** @internal A pin mismatch (see {@link McpPinMismatchCode}). */
export function pinMismatch(reason: string): McpRefusedError {
  return new McpRefusedError('ERR_ADAPTER_MCP_PIN_MISMATCH', 'denied', reason);
}

/**
 * @internal The refusal an MCP server sent as an `isError` result whose one text is a Denial JSON (from
 * `createMcpCallVerifier` or a guard on the server), or `undefined` for any other error result (a tool's own
 * failure). Its code is kept when it is one of the guard's codes (else `ERR_GUARD_ENVELOPE_REJECTED`), its reason
 * bounded; nothing else of it is taken (tool name and call id are the client's own).
 */
export function serverRefusal(texts: readonly string[]): McpRefusedError | undefined {
  if (texts.length !== 1) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(texts[0] as string);
  } catch {
    return undefined;
  }
  const d = parsed as { agentguard?: unknown; code?: unknown; outcome?: unknown; reason?: unknown } | null;
  if (typeof d !== 'object' || d === null || d.agentguard !== 'refused') return undefined;
  const code =
    typeof d.code === 'string' && Object.hasOwn(GUARD_CODES, d.code)
      ? (d.code as GuardErrorCode)
      : 'ERR_GUARD_ENVELOPE_REJECTED';
  const outcome =
    typeof d.outcome === 'string' && Object.hasOwn(OUTCOMES, d.outcome) ? (d.outcome as DenialOutcome) : 'denied';
  const reason = typeof d.reason === 'string' ? d.reason : 'the server refused the call';
  return new McpRefusedError(code, outcome, `the MCP server refused the call: ${reason}`);
}

/**
 * @internal The Denial a client reports for a guarded call's outcome: the guard's own, except for a call the
 * server refused or the pin check stopped (audited by the guard as a failed call), reported with its own code.
 */
export function mcpDenialOf(outcome: Extract<GuardOutcome<unknown>, { ok: false }>, tool: string): McpDenial {
  const cause = (outcome as { cause?: unknown }).cause;
  if (outcome.denial.code !== 'ERR_GUARD_TOOL_FAILED' || !(cause instanceof McpRefusedError)) return outcome.denial;
  const base = adapterDenial({ code: 'ERR_GUARD_TOOL_FAILED', reason: cause.message, tool, callId: outcome.callId });
  return Object.freeze(
    Object.assign({}, base, { code: cause.code, outcome: cause.outcome, ruleId: outcome.denial.ruleId }),
  );
}
