import type { PolicyDocument, PolicyEngine } from '@agentguard/policy';
import type { AttestationReport, AttestOptions } from './attest.js';
import type { MonitorSuspensionInfo, ResumeAgentOptions } from './monitor-suspension.js';
import type { EventEmitter, GuardEvents } from './events.js';
import type { Denial, GuardErrorCode } from './errors.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import type { CallOptions, ToolSpec } from './types.js';

/**
 * What a guard and its guarded tools are to their callers. Kept apart from types.ts (what they are given), so
 * that no module of the call pipeline that needs an option type imports the shape of the whole guard.
 */

/** Options of {@link GuardedTool.refuse}. */
export interface RefuseOptions {
  /** The id of the call the human refused: the framework's tool-call id, as given to `check()` or `run()`. */
  readonly callId: string;
  /**
   * Why the human refused (written to the audit log after redaction, and in the returned Denial).
   * @default 'declined without signing' (or the signed rejection's own reason)
   */
  readonly reason?: string;
  /**
   * The human's rejection signed with their own key: `createApproval(subject, { approver, decision: 'reject' })`
   * from `@agentguard/policy`. When it verifies (a trusted approver, this call, these arguments, this policy,
   * fresh) the audit names the approver. Anything else (untrusted key, bad signature, another call, expired)
   * is still a refusal, recorded without an approver and with the code of what failed.
   * @default none: the refusal is recorded as unsigned
   */
  readonly approval?: unknown;
  /**
   * The session the refused call belonged to, as recorded in its `call.requested` record.
   * @default the guard's own session
   */
  readonly session?: string;
  /** The data subject of the refused call's args, for sealing (see `CallOptions.subject`). @default none */
  readonly subject?: string;
}

/** The outcome of {@link GuardedTool.safeRun}: a value or a denial, never a throw. */
export type GuardOutcome<R> =
  | { readonly ok: true; readonly callId: string; readonly value: R }
  | { readonly ok: false; readonly callId: string; readonly denial: Denial };

/** What {@link GuardedTool.check} decided about a call, without running it. */
export interface CheckResult {
  readonly callId: string;
  /** `allow`: the run will go ahead; `deny`: it will be refused; `require_approval`: ask a human first. */
  readonly effect: 'allow' | 'deny' | 'require_approval';
  readonly reason: string;
  readonly ruleId: string | null;
  /** Set on `deny`: the code the run would be refused with. */
  readonly code?: GuardErrorCode;
  /**
   * The value the decision was made on: the tool schema's output, copied and frozen. It is what a run of this
   * call will decide on, record and hand to the tool, so an approval for the call must bind these arguments,
   * not the ones the model sent (they differ when the schema fills defaults, strips keys or transforms).
   * Absent when the call was refused before its arguments validated.
   */
  readonly args?: unknown;
}

/** A guarded tool: call it like the tool; every call is signed, decided by policy and audited. */
export interface GuardedTool<A, R> {
  /** Runs the call; throws {@link GuardError} on any refusal or failure. */
  (args: A, options?: CallOptions): Promise<R>;
  /** As calling the tool, with arguments not yet typed (raw JSON from a model). */
  run(args: unknown, options?: CallOptions): Promise<R>;
  /** As {@link GuardedTool.run} but never throws: a refusal is returned as a {@link Denial}. */
  safeRun(args: unknown, options?: CallOptions): Promise<GuardOutcome<R>>;
  /**
   * Decides a call without running it, for frameworks that ask before running a tool (an approval step).
   * The decision is kept for 10 minutes under the call id: a run with the same call id and arguments uses it
   * (limits and budgets are counted once) and records it. Nothing is written to the audit log until that run.
   */
  check(args: unknown, options?: CallOptions): Promise<CheckResult>;
  /**
   * Records that a human refused this call through a framework's own approval step (the Agents SDK's
   * `state.reject()`, an AI SDK `tool-approval-response` with `approved: false`, a LangGraph resume with a
   * reject decision), where the guard never sees the call again. It writes what a refusal through the
   * guard's own approver writes, `call.requested` then `approval.refused` (with `approvalCode`, the parked
   * decision if any, `code: 'ERR_GUARD_APPROVAL_REFUSED'` and the reason), drops the decision `check()` parked for
   * the call id, and emits `denied`.
   *
   * - The call id stays refused (for `approvals.pendingTtlMs`): a later `run()` or `check()` with it is
   *   refused with `ERR_GUARD_APPROVAL_REFUSED` and the tool never runs, whatever approval comes with it.
   * - Idempotent: refusing the same call id again writes nothing and returns the first Denial (a refusal
   *   whose audit write failed is written again).
   * - Nothing parked (no `check()`, its decision expired, other arguments): the refusal is still recorded,
   *   without a `decision` field; deciding now would count limits for a call that will never run.
   * - Limits and budgets: the decision's concurrency slot is already given back (check() holds none); a rate
   *   or budget count made by the decision stays counted, as for any refusal through the guard's approver.
   * - Unsigned is fine: a refusal can only make things stricter, so it needs no proof. Give the human's
   *   signed rejection as `approval` and the audit names the approver, but only when it verifies
   *   (trusted approver, this call, args and policy, fresh); otherwise the refusal stands, recorded without
   *   an approver and with the code of what failed (e.g. `ERR_ATTESTATION_APPROVAL_UNTRUSTED`).
   * - A call whose tool already started (running, completed or failed) cannot be refused: nothing is
   *   written and `ERR_GUARD_CALL_ALREADY_RUN` is thrown. A call the guard itself denied never ran, so a refusal
   *   of it is recorded and keeps its id refused. A refusal that lands while a run is still being decided
   *   wins: that run is denied before the tool starts.
   *
   * @param args - the call's arguments as the framework holds them (bound by digest).
   * @param options - see {@link RefuseOptions}; `callId` is required.
   * @returns the Denial (`ERR_GUARD_APPROVAL_REFUSED`), the same JSON a model sees for any refusal.
   * @throws GuardError `ERR_GUARD_AUDIT_FAILED` when the refusal cannot be written (the call stays refused);
   *   GuardError `ERR_GUARD_CALL_ALREADY_RUN` when the call's tool already started (nothing is written);
   *   TypeError on misuse or arguments that are not JSON.
   * @example
   * ```ts
   * // Agents SDK: the human said no
   * state.reject(item);
   * await payTool.refuse(JSON.parse(item.rawItem.arguments), { callId: item.rawItem.callId, reason: 'not this vendor' });
   * ```
   */
  refuse(args: unknown, options: RefuseOptions): Promise<Denial>;
  readonly name: string;
  readonly description: string | undefined;
  readonly tags: readonly string[];
  readonly schema: StandardSchemaV1;
  /** JSON Schema (draft 2020-12) of the input, when the schema library offers Standard JSON Schema. */
  inputJsonSchema(): Record<string, unknown> | undefined;
}

/** A guard bound to one agent, policy and audit log, guarding any number of tools. */
export interface Guard {
  guard<S extends StandardSchemaV1, R>(spec: ToolSpec<S, R>): GuardedTool<StandardSchemaV1.InferInput<S>, Awaited<R>>;
  /** Typed events: `allowed`, `denied`, `completed`, `failed`. */
  readonly events: EventEmitter<GuardEvents>;
  /** The did:key of the agent. */
  readonly agent: string;
  /** The content hash of the policy, as recorded in every envelope. */
  readonly policyHash: string;
  /**
   * Replaces the policy (validated and self-tested first). The change is recorded as a `mode.changed`
   * event with both hashes and modes; if that record cannot be written, the old policy stays.
   * Calls already deciding finish under the policy they started with. Typed as `GuardOptions.policy`.
   */
  setPolicy(policy: PolicyEngine | PolicyDocument): Promise<void>;
  /** The guard's default session id (calls without `session` belong to it). */
  readonly session: string;
  /**
   * Starts a session for the runtime monitor with the user's request: values it names (addresses, IBANs,
   * hosts) count as the user's own. Calls join it with `CallOptions.session`. Without a monitor, does nothing.
   *
   * @param id - the session id, as later given in `CallOptions.session`.
   * @param start - `prompt`: the user's request; `agent`: whose session it is. @default agent: the guard's own
   * @example
   * ```ts
   * ag.beginSession('run-1', { prompt: 'Pay the bill in bill.txt' });
   * await pay(args, { session: 'run-1' });
   * ```
   */
  beginSession(id: string, start?: { readonly prompt?: string; readonly agent?: string }): void;
  /** Forgets a monitor session. Without a monitor, does nothing. */
  endSession(id: string): void;
  /**
   * Attests what runs now: writes a signed `attestation` record with the digest of each guarded tool's
   * definition and the policy hash, compared with the pins of the `attestation` option. Its `tools` and
   * `policyHash`, made in a known-good state, are what to pin. `observed` adds changes seen outside the
   * guard (an MCP server's tool against its pin) to the same record.
   *
   * @param options - see {@link AttestOptions}.
   * @returns what was recorded, with every change against the pins (and the observed ones).
   * @throws TypeError when the guard has no `attestation` option or `observed` is malformed; the audit log's
   *   error when the record cannot be written.
   * @example
   * ```ts
   * const { tools, policyHash } = await ag.attest(); // store as the pin of the next deployment
   * ```
   */
  attest(options?: AttestOptions): Promise<AttestationReport>;
  /**
   * Resumes an agent a policy rule with `suspendAgent` suspended in this guard (monitor suspension): its calls
   * run again, decided as usual. Writes a signed `monitor.resumed` record first.
   *
   * @param agent - the agent's did:key, as in the `monitor.suspended` record or {@link Guard.suspendedAgents}.
   * @param options - `reason` and `by`, recorded.
   * @returns true when the agent was suspended and is resumed; false when it was not suspended (nothing recorded).
   * @throws TypeError on a bad argument; the audit log's error when the record cannot be written (still suspended).
   * @example
   * ```ts
   * for (const s of ag.suspendedAgents()) console.log(s.agent, s.ruleId, s.reason);
   * await ag.resumeAgent(agentId, { by: 'alice', reason: 'alert reviewed: false positive' });
   * ```
   */
  resumeAgent(agent: string, options?: ResumeAgentOptions): Promise<boolean>;
  /** The agents suspended in this guard now, oldest first. */
  suspendedAgents(): readonly MonitorSuspensionInfo[];
  /** Stops the attestation timer and closes the audit log. */
  close(): Promise<void>;
}
