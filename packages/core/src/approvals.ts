import { extend } from './extend.js';
import type { ApprovalRecordCode } from './errors.js';
import { createMemoryStateStore, type Decision, type StateStore } from '@agentguard/policy';
import { createTrustStore, type SignedApproval, type TrustStore, verifyApproval } from '@agentguard/attestation';
import { ExpiringMap } from './bounded.js';
import { textOf } from './text.js';
import { runWithTimeout, stopKind } from './timeout.js';

/** What an approver is asked to decide on. */
export interface ApprovalRequest {
  readonly callId: string;
  readonly tool: string;
  /** The did:key of the calling agent. */
  readonly agent: string;
  /**
   * The arguments the tool will run with (the schema's output, frozen), which the approval is bound to by
   * digest: what a human approves is exactly what runs.
   */
  readonly args: unknown;
  /** The digest of `args` (`sha256:` hex of their canonical JSON). */
  readonly argsDigest: string;
  /** The hash of the policy that asked; the approval must name it. */
  readonly policyHash: string;
  /** Why the policy asks, and which rule. */
  readonly reason: string;
  readonly ruleId: string | null;
  /** Aborted when the approval times out. */
  readonly signal: AbortSignal;
}

/**
 * Asks a human (or a service acting for one) about a call. Resolves to an
 * approval signed by the approver's own key (`createApproval` from
 * `@agentguard/attestation`, with `decision: 'approve'` or `'reject'`; passing
 * the request as its subject also binds the approval to the calling agent), or
 * `null` to refuse without signing.
 */
export type Approver = (
  request: ApprovalRequest,
) => SignedApproval | null | undefined | Promise<SignedApproval | null | undefined>;

/** How a guard handles `require_approval` decisions. */
export interface ApprovalOptions {
  /**
   * did:key ids of the approvers whose signed approvals count. Nobody else's do. The calling agent's own key,
   * every key of its delegation chain and the guard's own identity never count, even when listed here
   * (refused with `approvalCode: 'ERR_ATTESTATION_APPROVAL_SELF_SIGNED'`).
   */
  readonly approvers: readonly string[];
  /**
   * Asked when a call needs approval and none came with it (`CallOptions.approval`).
   * @default none: the call ends with `ERR_GUARD_APPROVAL_REQUIRED`, and can be resumed with an approval
   */
  readonly approver?: Approver;
  /**
   * How long the approver may take; past it the call is refused.
   * @default 120_000
   */
  readonly timeoutMs?: number;
  /**
   * How long a call that ended with `ERR_GUARD_APPROVAL_REQUIRED` stays resumable with the same call id,
   * keeping the decision it had (so limits and budgets are not counted twice). It is also how long a call
   * id refused by a human outside the guard (`GuardedTool.refuse`) stays refused, and (after the tool's
   * timeout) how long a call id whose tool started stays impossible to refuse (`ERR_GUARD_CALL_ALREADY_RUN`).
   * @default 600_000
   */
  readonly pendingTtlMs?: number;
  /**
   * Where used approval nonces are remembered; share it between processes to refuse replays across them.
   * @default an in-memory store
   */
  readonly nonceStore?: StateStore;
}

/** The outcome of asking for or checking an approval. */
export type ApprovalVerdict =
  | { readonly kind: 'none' }
  | { readonly kind: 'granted'; readonly approver: string }
  | {
      readonly kind: 'refused';
      readonly code: ApprovalRecordCode;
      readonly reason: string;
      readonly approver?: string;
    };

/**
 * @internal What a kept decision (or monitor verdict) is bound to besides its call id and tool: the calling
 * agent, the session and the run value's digest. A decision made for one agent's call, or in one session (taint,
 * session limits), must never answer another's call that reuses its id.
 */
export function callKey(agent: string, session: string, argsDigest: string): string {
  return JSON.stringify([agent, session, argsDigest]);
}

interface Pending {
  readonly tool: string;
  /** {@link callKey} of the call the decision was made for. */
  readonly key: string;
  readonly decision: Decision;
  readonly expiresAt: number;
}

/** A call a human refused outside the guard ({@link GuardedTool.refuse}): it stays refused until `expiresAt`. */
export interface Refusal {
  readonly tool: string;
  readonly expiresAt: number;
  /** The decision that was parked for the call when it was refused, under the current policy, if any. */
  readonly decision: Decision | undefined;
  /** The write of its audit records; replaced by a retry when it failed. */
  write: Promise<unknown> | undefined;
}

const MAX_PENDING = 10_000;

/** The approval side of a guard: obtains and verifies approvals, and keeps calls waiting for one. */
export interface ApprovalGate {
  /** Obtains (or checks the provided) approval; one signed by a key in `excluded` is refused. */
  obtain(
    request: Omit<ApprovalRequest, 'signal'>,
    provided: unknown,
    excluded: readonly string[],
  ): Promise<ApprovalVerdict>;
  /** Keeps a decision so the same call can be resumed (with an approval) without deciding twice. */
  park(callId: string, tool: string, key: string, decision: Decision): void;
  /** The parked decision of this exact call (same tool, agent, session and args: {@link callKey}), if any; taken at most once. */
  resume(callId: string, tool: string, key: string): Decision | undefined;
  /** As {@link ApprovalGate.resume}, without taking it (a framework may ask `check()` more than once). */
  peek(callId: string, tool: string, key: string): Decision | undefined;
  /**
   * Claims a call id for an agent: false when another agent used the same id within `pendingTtlMs`. Call ids
   * name one call; one reused by another agent could otherwise pick up a decision, refusal or approval step
   * made for someone else's call.
   */
  claim(callId: string, agent: string): boolean;
  /**
   * Marks the call refused by a human (a tombstone kept for `pendingTtlMs`) and drops whatever was parked
   * under its id, whatever its arguments; returns the existing mark when it was already refused.
   */
  refuse(callId: string, tool: string, key: string, policyHash: string): Refusal;
  /** The refusal of this call id, while it lasts. */
  refused(callId: string): Refusal | undefined;
  /**
   * Marks the call id as running (its tool is about to execute), kept for `runMs` + `pendingTtlMs`; false,
   * and nothing marked, when a human refused it meanwhile. Synchronous, so no refusal can slip in between.
   */
  start(callId: string, runMs: number): boolean;
  /** Whether the call id reached its run (running or finished) while the mark lasts: it can no longer be refused. */
  started(callId: string): boolean;
  /** Drops every parked decision whose agent and tool `matches` (a quarantine); returns how many. */
  drop(matches: (agent: string, tool: string) => boolean): number;
}

function check(options: ApprovalOptions): void {
  if (!Array.isArray(options.approvers) || options.approvers.some((a) => typeof a !== 'string')) {
    throw new TypeError('"approvals.approvers" expected an array of did:key strings');
  }
  if (options.approver !== undefined && typeof options.approver !== 'function') {
    throw new TypeError('"approvals.approver" expected a function');
  }
  for (const name of ['timeoutMs', 'pendingTtlMs'] as const) {
    const value = options[name];
    if (value !== undefined && (!Number.isInteger(value) || value <= 0 || value > 2_147_483_647)) {
      throw new RangeError(`"approvals.${name}" expected a positive integer of milliseconds, got ${String(value)}`);
    }
  }
}

/** The approvers as a trust store, built once: each did:key decoded when the guard is made, not per approval. */
function approverStore(dids: readonly string[]): TrustStore {
  try {
    return createTrustStore(dids);
  } catch (cause) {
    throw new TypeError(`"approvals.approvers" expected Ed25519 did:key ids: ${textOf(cause)}`, { cause });
  }
}

/** Builds the approval gate of a guard (with no options, every approval is refused as untrusted). */
export function createApprovalGate(options: ApprovalOptions | undefined): ApprovalGate {
  if (options !== undefined) check(options);
  const approvers = approverStore(options?.approvers ?? []);
  const nonceStore = options?.nonceStore ?? createMemoryStateStore();
  const timeoutMs = options?.timeoutMs ?? 120_000;
  const pendingTtlMs = options?.pendingTtlMs ?? 600_000;
  // Bounded and expiring, each forgetting its oldest entry first (see ExpiringMap: O(1) per call however full).
  const pending = new ExpiringMap<string, Pending>(MAX_PENDING);
  const refusals = new ExpiringMap<string, Refusal>(MAX_PENDING);
  // Call ids whose tool started executing -> until when that is remembered.
  const runs = new ExpiringMap<string, true>(MAX_PENDING);
  // Call id -> the agent that used it, remembered for pendingTtlMs.
  const owners = new ExpiringMap<string, string>(MAX_PENDING * 10);
  function live(callId: string, tool: string, key: string): Pending | undefined {
    const entry = pending.get(callId, Date.now());
    if (entry === undefined || entry.tool !== tool || entry.key !== key) return undefined;
    return entry;
  }

  const gate: ApprovalGate = {
    async obtain(
      request: Omit<ApprovalRequest, 'signal'>,
      provided: unknown,
      excluded: readonly string[],
    ): Promise<ApprovalVerdict> {
      let approval = provided;
      if (approval === undefined) {
        const approver = options?.approver;
        if (approver === undefined) return { kind: 'none' };
        try {
          approval = await runWithTimeout((signal) => approver(extend(request, { signal: signal() })), timeoutMs);
        } catch (error) {
          const stopped = stopKind(error) === 'timeout';
          const reason = stopped ? `no approval within ${timeoutMs} ms` : `approver failed: ${textOf(error)}`;
          return {
            kind: 'refused',
            code: stopped ? 'ERR_GUARD_APPROVAL_TIMEOUT' : 'ERR_GUARD_APPROVER_FAILED',
            reason,
          };
        }
        if (approval === null || approval === undefined) {
          return {
            kind: 'refused',
            code: 'ERR_ATTESTATION_APPROVAL_REJECTED',
            reason: 'the approver declined without signing',
          };
        }
      }
      // The agent is given, so an approval bound to an agent counts for that agent's call only.
      const subject = {
        callId: request.callId,
        tool: request.tool,
        args: request.args,
        policyHash: request.policyHash,
        agent: request.agent,
      };
      const result = await verifyApproval(approval, subject, {
        approvers,
        nonceStore,
        excludedApprovers: excluded,
      });
      if (result.ok) return { kind: 'granted', approver: result.approver };
      return result.approver === undefined
        ? { kind: 'refused', code: result.code, reason: result.reason }
        : { kind: 'refused', code: result.code, reason: result.reason, approver: result.approver };
    },
    claim(callId, agent) {
      const now = Date.now();
      const owner = owners.get(callId, now);
      if (owner !== undefined && owner !== agent) return false;
      // Set again, so a call id used again is the newest, not the first to be forgotten.
      owners.set(callId, agent, now + pendingTtlMs, now);
      return true;
    },
    park(callId, tool, key, decision) {
      const now = Date.now();
      // Concurrency slots are given back by whoever decided (check() at once, a run when it ends); a parked
      // decision holding them would be released twice by the run that resumes it, and raise the cap.
      const { leases: _released, ...kept } = decision;
      const expiresAt = now + pendingTtlMs;
      pending.set(callId, { tool, key, decision: Object.freeze(kept), expiresAt }, expiresAt, now);
    },
    resume(callId, tool, key) {
      const entry = live(callId, tool, key);
      if (entry !== undefined) pending.delete(callId);
      return entry?.decision;
    },
    peek(callId, tool, key) {
      return live(callId, tool, key)?.decision;
    },
    refuse(callId, tool, key, policyHash) {
      const existing = gate.refused(callId);
      if (existing !== undefined) return existing;
      const parked = live(callId, tool, key)?.decision;
      pending.delete(callId);
      const now = Date.now();
      const refusal: Refusal = {
        tool,
        expiresAt: now + pendingTtlMs,
        decision: parked?.policyHash === policyHash ? parked : undefined,
        write: undefined,
      };
      refusals.set(callId, refusal, refusal.expiresAt, now);
      return refusal;
    },
    refused(callId) {
      return refusals.get(callId, Date.now());
    },
    start(callId, runMs) {
      if (gate.refused(callId) !== undefined) return false;
      const now = Date.now();
      // Set again, so a call id run again is the newest, not the first to be forgotten.
      runs.set(callId, true, now + runMs + pendingTtlMs, now);
      return true;
    },
    drop(matches) {
      let count = 0;
      for (const [id, entry] of [...pending.entries()]) {
        let agent: unknown;
        try {
          agent = (JSON.parse(entry.key) as unknown[])[0];
        } catch {
          agent = undefined;
        }
        // A key that cannot be read names no agent we could spare: dropped.
        if (typeof agent !== 'string' || matches(agent, entry.tool)) {
          pending.delete(id);
          count++;
        }
      }
      return count;
    },
    started(callId) {
      return runs.get(callId, Date.now()) !== undefined;
    },
  };
  return Object.freeze(gate);
}
