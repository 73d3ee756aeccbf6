import type { Denial } from '@agentguard/core';
import type { RunToolApprovalItem } from '@openai/agents';
import { denialText } from '../common/outcome.js';
import { entryOf, refuseCall } from '../common/refusals.js';
import { parseArguments } from '../common/tools.js';

/** Options of {@link rejectAgentsCall}. */
export interface RejectAgentsCallOptions {
  /**
   * What the model sees as the tool's output.
   * @default the Denial JSON (`ERR_GUARD_APPROVAL_REFUSED`), as for every other refusal
   */
  readonly message?: string;
  /**
   * Why the human refused, for the audit (redacted there).
   * @default `message`, or 'declined without signing'
   */
  readonly reason?: string;
  /**
   * The human's own signed rejection (`createApproval(…, { decision: 'reject' })`); see `GuardedTool.refuse`.
   * @default the tool's `reject` function's signature, if it has one; else unsigned
   */
  readonly approval?: unknown;
}

/** The part of the SDK's `RunState` the helper uses. */
export interface RejectingState {
  reject(item: RunToolApprovalItem, options?: { message?: string }): void;
}

/**
 * Refuses an interrupted tool call of an `@openai/agents` run, in the SDK and in the audit: use it instead
 * of `state.reject(item)`, then resume the run as usual. The Agents SDK runs no tool code for a rejected
 * call (no `execute`, no guardrail, no hook), so without this helper the refusal reaches no audit log.
 *
 * The guarded tool is found through `item.agent`'s tools made by {@link toAgentsTool}; its guard records
 * `call.requested` and `approval.refused` (see `GuardedTool.refuse`), and the call id stays refused. The
 * SDK's rejection is recorded whatever happens; if the audit write fails the helper then throws.
 * `state.reject(item, { alwaysReject: true })` has no equivalent here on purpose: the SDK would then refuse
 * later calls of that tool without any code of ours seeing them, so they would go unaudited.
 *
 * @param state - the run's `RunState` (`result.state`).
 * @param item - one of `result.interruptions`.
 * @param options - see {@link RejectAgentsCallOptions}.
 * @returns the Denial recorded, or `undefined` for a tool not made by {@link toAgentsTool} (only rejected).
 * @throws GuardError `ERR_GUARD_AUDIT_FAILED` when the refusal could not be written; GuardError
 *   `ERR_GUARD_CALL_ALREADY_RUN` when the guard already started that call's tool (nothing is written; the SDK
 *   item is still rejected).
 * @example
 * ```ts
 * const first = await run(agent, input);
 * for (const item of first.interruptions) {
 *   if (await humanSaysYes(item)) first.state.approve(item);
 *   else await rejectAgentsCall(first.state, item, { reason: 'not this vendor' });
 * }
 * const second = await run(agent, first.state);
 * ```
 */
export async function rejectAgentsCall(
  state: RejectingState,
  item: RunToolApprovalItem,
  options: RejectAgentsCallOptions = {},
): Promise<Denial | undefined> {
  if (typeof state?.reject !== 'function') throw new TypeError('"state" expected a RunState');
  if (typeof item !== 'object' || item === null) throw new TypeError('"item" expected a RunToolApprovalItem');
  const raw = item.rawItem as { type?: string; name?: string; callId?: string; arguments?: string };
  const tools = (item.agent as { tools?: readonly unknown[] } | undefined)?.tools ?? [];
  const entry =
    raw.type === 'function_call' && typeof raw.callId === 'string'
      ? entryOf(tools.find((t) => (t as { name?: unknown } | null)?.name === raw.name))
      : undefined;
  if (entry === undefined || typeof raw.callId !== 'string') {
    state.reject(item, options.message === undefined ? {} : { message: options.message });
    return undefined;
  }
  const reason = options.reason ?? options.message;
  let denial: Denial;
  try {
    denial = await refuseCall(entry, parseArguments(raw.arguments), {
      callId: raw.callId,
      ...(reason === undefined ? {} : { reason }),
      ...(options.approval === undefined ? {} : { approval: options.approval }),
    });
  } catch (error) {
    // Refused in the SDK all the same: an audit that cannot write never turns a "no" into a "yes".
    state.reject(item, options.message === undefined ? {} : { message: options.message });
    throw error;
  }
  state.reject(item, { message: options.message ?? denialText(denial) });
  return denial;
}
