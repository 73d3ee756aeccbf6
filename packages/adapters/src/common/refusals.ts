import type { Denial } from '@agentguard/core';
import type { SignedApprovalLike } from './approvals.js';
import type { AnyGuardedTool } from './tools.js';

/** A call a human refused in a framework's own approval step, handed to {@link RejectFunction}. */
export interface RejectionRequest {
  /** The framework's call id, which a signed rejection must be bound to. */
  readonly callId: string;
  readonly tool: string;
  /** The arguments as the model gave them (a signed rejection binds their digest). */
  readonly args: unknown;
  /** What the human (or the framework) gave as the reason, if anything. */
  readonly reason?: string;
}

/**
 * Signs a human's refusal on the server, so that the audit names the approver, e.g.
 * `(r) => createApproval({ callId: r.callId, tool: r.tool, args: r.args, policyHash: ag.policyHash }, { approver, decision: 'reject' })`.
 * Optional: return `null` (or leave it out) and the refusal is recorded unsigned; a refusal can only make
 * things stricter, so it needs no proof. A throw also records it unsigned: the refusal always stands.
 */
export type RejectFunction = (request: RejectionRequest) => Promise<SignedApprovalLike | null>;

/** @internal What an adapter remembers about a framework tool object it made from a guarded tool. */
export interface GuardedEntry {
  readonly guarded: AnyGuardedTool;
  readonly reject: RejectFunction | undefined;
}

// Framework tool objects (an Agents SDK FunctionTool, an AI SDK Tool) -> the guarded tool behind them, so a
// helper given only what the framework hands the app can find the guard to record a refusal in.
const registry = new WeakMap<object, GuardedEntry>();

/** @internal Remembers which guarded tool a framework tool object stands for. */
export function register<T extends object>(frameworkTool: T, entry: GuardedEntry): T {
  registry.set(frameworkTool, entry);
  return frameworkTool;
}

/** @internal The guarded tool behind a framework tool object made by an adapter, if it is one. */
export function entryOf(frameworkTool: unknown): GuardedEntry | undefined {
  return typeof frameworkTool === 'object' && frameworkTool !== null ? registry.get(frameworkTool) : undefined;
}

/**
 * @internal Validates the `reject` option.
 * @throws TypeError when it is given and is not a function.
 */
export function checkReject(reject: unknown): RejectFunction | undefined {
  if (reject === undefined) return undefined;
  if (typeof reject !== 'function') throw new TypeError(`"reject" expected a function, got ${typeof reject}`);
  return reject as RejectFunction;
}

/**
 * @internal Records a human's refusal with the guard (`GuardedTool.refuse`): signed by `approval` or by the
 * entry's `reject` function when there is one, unsigned otherwise.
 * @throws GuardError `ERR_GUARD_AUDIT_FAILED` when the refusal cannot be written (the call stays refused);
 *   GuardError `ERR_GUARD_CALL_ALREADY_RUN` when the guard already started the call's tool (nothing is written).
 */
export async function refuseCall(
  entry: GuardedEntry,
  args: unknown,
  options: { readonly callId: string; readonly reason?: string; readonly approval?: unknown },
): Promise<Denial> {
  let approval = options.approval;
  if (approval === undefined && entry.reject !== undefined) {
    const request: RejectionRequest = {
      callId: options.callId,
      tool: entry.guarded.name,
      args,
      ...(options.reason === undefined ? {} : { reason: options.reason }),
    };
    const reject = entry.reject;
    approval = await Promise.resolve()
      .then(() => reject(request))
      .then((signed) => (typeof signed === 'object' && signed !== null ? signed : null))
      .catch(() => null);
  }
  return entry.guarded.refuse(args, {
    callId: options.callId,
    ...(options.reason === undefined ? {} : { reason: options.reason }),
    ...(approval === null || approval === undefined ? {} : { approval }),
  });
}
