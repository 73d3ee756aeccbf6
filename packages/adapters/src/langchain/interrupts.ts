// What the guard's LangGraph interrupts carry, and what a human answers them with.

/**
 * The value of a LangGraph interrupt raised for a call the policy sends to a human. Resume the run with
 * `new Command({ resume: { [interruptId]: approval } })`, where `approval` is a signed approval of exactly
 * this call (`createApproval({ callId, tool, args, policyHash }, { approver, decision })` from
 * `@agentguard/policy`). The guard verifies it (a trusted approver, this call, these arguments, this policy,
 * fresh, unused): an approval that came back from a client is never trusted on its word. To refuse, resume
 * with a {@link RejectDecision} (`{ type: 'reject', message? }`, LangChain's own human-in-the-loop shape):
 * the refusal is audited (`approval.refused`) and the call id stays refused. Resuming with anything else is
 * checked as an approval, and refused (and audited) when it is not a valid one.
 */
export interface ApprovalInterrupt {
  readonly agentguard: 'approval_required';
  readonly tool: string;
  readonly callId: string;
  readonly args: unknown;
  readonly reason: string;
  readonly ruleId: string | null;
  readonly policyHash: string;
}

/**
 * A human's "no" as a resume value for an {@link ApprovalInterrupt}. `message` is the reason, for the audit
 * and the Denial the model sees; `approval` the human's own signed rejection
 * (`createApproval(…, { decision: 'reject' })`), so the audit names them (see `GuardedTool.refuse`).
 */
export interface RejectDecision {
  readonly type: 'reject';
  readonly message?: string;
  readonly approval?: unknown;
}

/** @internal The {@link RejectDecision} a resume value is, if it is one. */
export function rejectionOf(value: unknown): RejectDecision | undefined {
  const v = value as Partial<RejectDecision> | null;
  return typeof v === 'object' && v !== null && v.type === 'reject' ? (v as RejectDecision) : undefined;
}

/** An {@link ApprovalInterrupt} as LangGraph reports it: resume it by its `id`. */
export interface ApprovalInterruptEntry {
  /** The interrupt id, the key of `Command({ resume: { [id]: approval } })`. */
  readonly id: string;
  readonly value: ApprovalInterrupt;
}

/**
 * Whether a LangGraph interrupt value is one the guard raised ({@link ApprovalInterrupt}), checked field by
 * field, so an interrupt another middleware raised (LangChain's own human-in-the-loop) is never taken for one.
 *
 * @param value - an `Interrupt.value`.
 * @returns `true` when `value` is an {@link ApprovalInterrupt}.
 */
export function isApprovalInterrupt(value: unknown): value is ApprovalInterrupt {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.agentguard === 'approval_required' &&
    typeof v.tool === 'string' &&
    typeof v.callId === 'string' &&
    'args' in v &&
    typeof v.reason === 'string' &&
    (v.ruleId === null || typeof v.ruleId === 'string') &&
    typeof v.policyHash === 'string'
  );
}

/**
 * The guard's approval interrupts in a run's result (`agent.invoke()` or a graph state's `__interrupt__`),
 * typed, without a cast. Interrupts raised by anything else, and any without an id (which cannot be resumed
 * by id), are left out.
 *
 * @param result - what `agent.invoke()` resolved to (or any object with `__interrupt__`).
 * @returns one {@link ApprovalInterruptEntry} per call waiting for a human, in the order LangGraph gave them.
 * @example
 * ```ts
 * const first = await agent.invoke({ messages }, config);
 * const resume = Object.fromEntries(
 *   await Promise.all(approvalInterrupts(first).map(async ({ id, value }) => [id, await askHuman(value)])),
 * );
 * await agent.invoke(new Command({ resume }), config);
 * ```
 */
export function approvalInterrupts(result: unknown): ApprovalInterruptEntry[] {
  const list = (result as { __interrupt__?: unknown } | null | undefined)?.__interrupt__;
  if (!Array.isArray(list)) return [];
  const entries: ApprovalInterruptEntry[] = [];
  for (const item of list as unknown[]) {
    const { id, value } = (item ?? {}) as { id?: unknown; value?: unknown };
    if (typeof id === 'string' && isApprovalInterrupt(value)) entries.push({ id, value });
  }
  return entries;
}
