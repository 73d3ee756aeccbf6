import type { CallOptions, CheckResult } from '@agentguard/core';

/** A signed approval (`createApproval()` of `@agentguard/policy`), as `run()` takes it. */
export type SignedApprovalLike = NonNullable<CallOptions['approval']>;

/** The call a framework's approval step granted, handed to {@link ApproveFunction} on the server. */
export interface ApprovalRequest {
  /** The framework's call id, which the signed approval must be bound to. */
  readonly callId: string;
  readonly tool: string;
  /**
   * The arguments the guard decided on: the tool schema's output, which the tool will run with (the approval
   * binds their digest). They differ from what the model sent when the schema fills defaults or transforms.
   */
  readonly args: unknown;
  /** Why the policy asks for a human. */
  readonly reason: string;
  readonly ruleId: string | null;
}

/**
 * Signs an approval on the server once the framework's own approval step was granted, e.g.
 * `(r) => createApproval({ callId: r.callId, tool: r.tool, args: r.args, policyHash: ag.policyHash }, { approver })`.
 * Return `null` to withhold it: the call is then not run (the guard refuses it). The framework's "approved"
 * flag alone never runs a call that needs approval: the guard verifies this signature.
 */
export type ApproveFunction = (request: ApprovalRequest) => Promise<SignedApprovalLike | null>;

/**
 * @internal Validates the `approve` option.
 * @throws TypeError when it is given and is not a function.
 */
export function checkApprove(approve: unknown): ApproveFunction | undefined {
  if (approve === undefined) return undefined;
  if (typeof approve !== 'function') throw new TypeError(`"approve" expected a function, got ${typeof approve}`);
  return approve as ApproveFunction;
}

/**
 * @internal Asks `approve`, failing closed: a throw or a non-object answer withholds the approval, so the
 * guard then refuses the call and audits that refusal (rather than the call vanishing in a framework error).
 */
export async function askApprove(
  approve: ApproveFunction,
  request: ApprovalRequest,
): Promise<SignedApprovalLike | null> {
  try {
    const approval = await approve(request);
    return typeof approval === 'object' && approval !== null ? approval : null;
  } catch {
    return null;
  }
}

/**
 * @internal The arguments a decision was made on, as an approval must bind them: the guard decides on its
 * schema's output (what the tool will run with), which may differ from what the model sent (defaults,
 * stripped keys, transforms). `check()` reports that value as `args`; it is absent only when the call was
 * refused before its arguments validated, and then no approval is asked for.
 */
export function decidedArgs(check: CheckResult, received: unknown): unknown {
  return check.args === undefined ? received : check.args;
}

/** How many call ids an adapter tool remembers having asked `approve` for (oldest forgotten first). */
const MAX_ASKED = 10_000;

/**
 * @internal Remembers the call ids `approve` was asked to sign, so that a framework running the same call
 * again (a client replaying an approved `tool-approval-response`, a resumed state given twice) never gets
 * a second signature: the guard then refuses it with `ERR_GUARD_APPROVAL_REQUIRED`. Per adapter tool, in memory:
 * an app that rebuilds its tools per request must make `approve` itself refuse a call id it already signed.
 */
export interface AskedOnce {
  /** Marks `callId` as asked; `false` when it already was. */
  first(callId: string): boolean;
}

/** @internal See {@link AskedOnce}. */
export function createAskedOnce(max: number = MAX_ASKED): AskedOnce {
  const asked = new Set<string>();
  return Object.freeze({
    first(callId: string): boolean {
      if (asked.has(callId)) return false;
      if (asked.size >= max) asked.delete(asked.values().next().value as string);
      asked.add(callId);
      return true;
    },
  });
}
