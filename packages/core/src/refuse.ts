import { digestArgs, freezeArgs, signCall } from '@agentguard/attestation';
import type { AuditEvent, AuditLog } from '@agentguard/audit';
import type { Signer } from '@agentguard/identity';
import type { PolicyEngine } from '@agentguard/policy';
import type { ApprovalGate, Refusal } from './approvals.js';
import { type Denial, GuardError } from './errors.js';
import { type EventEmitter, emitSafely, type GuardEvents } from './events.js';
import { decisionRecord, message, nameOf } from './support.js';

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
}

/** @internal What a guarded tool's `refuse` needs from its guard. */
export interface RefuseContext {
  readonly tool: { readonly name: string; readonly tags: readonly string[]; readonly labels: readonly string[] };
  readonly sensitive: boolean;
  readonly batched: boolean;
  readonly identity: Signer;
  readonly audit: AuditLog;
  readonly gate: ApprovalGate;
  readonly events: EventEmitter<GuardEvents>;
  engine(): PolicyEngine;
  redactArgs(engine: PolicyEngine, args: unknown): { args: unknown; redactions?: number };
  redactText(text: string): string;
  flushGap(tool: string): Promise<void>;
}

function checkRefuseOptions(options: RefuseOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  if (typeof options.callId !== 'string' || options.callId === '') {
    throw new TypeError(`"callId" expected a non-empty string, got ${typeof options.callId}`);
  }
  if (options.reason !== undefined && typeof options.reason !== 'string') {
    throw new TypeError(`"reason" expected a string, got ${typeof options.reason}`);
  }
}

/** @internal Builds `GuardedTool.refuse` for one tool. */
export function createRefuse(ctx: RefuseContext): (args: unknown, options: RefuseOptions) => Promise<Denial> {
  const self = ctx.identity.id;

  async function write(refusal: Refusal, args: unknown, argsDigest: string, options: RefuseOptions): Promise<Denial> {
    const { callId } = options;
    const engine = ctx.engine();
    const decision = refusal.decision;
    // The same two records as a refusal through the guard's own approver: the request, then approval.refused.
    let approver: string | undefined;
    let approvalCode = 'ERR_APPROVAL_REJECTED';
    let why = options.reason ?? 'declined without signing';
    if (options.approval !== undefined) {
      const request = {
        callId,
        tool: ctx.tool.name,
        agent: self,
        args,
        argsDigest,
        policyHash: decision?.policyHash ?? engine.hash,
        reason: decision?.reason ?? '',
        ruleId: decision?.ruleId ?? null,
      };
      const verdict = await ctx.gate.obtain(request, options.approval).catch((error: unknown) => ({
        kind: 'refused' as const,
        code: 'ERR_APPROVAL_FAILED',
        reason: message(error),
      }));
      if (verdict.kind === 'refused' && verdict.code === 'ERR_APPROVAL_REJECTED' && 'approver' in verdict) {
        // Signed by a trusted approver, bound to this very call and fresh: the audit may name them.
        approver = verdict.approver;
        why = verdict.reason;
      } else {
        // An approver name is only as good as its signature: anything short of a verified rejection of this
        // call is recorded without one (a refusal needs no proof, it can only make things stricter).
        approvalCode = verdict.kind === 'refused' ? verdict.code : 'ERR_APPROVAL_MISMATCH';
        const problem = verdict.kind === 'refused' ? verdict.reason : 'a signed approval, not a rejection';
        why = `${why} (signed refusal not accepted: ${problem})`;
      }
    }
    const reason = `approval refused: ${ctx.redactText(why)}`;
    const denial: Denial = Object.freeze({
      agentguard: 'refused',
      outcome: 'denied',
      code: 'ERR_APPROVAL_REFUSED',
      reason,
      tool: ctx.tool.name,
      callId,
      ruleId: decision?.ruleId ?? null,
    });
    const append = async (type: AuditEvent['type'], data: Record<string, unknown>) => {
      await ctx.flushGap(ctx.tool.name);
      const event = { type, callId, agent: self, tool: ctx.tool.name, data };
      await (ctx.batched ? ctx.audit.appendBatched(event) : ctx.audit.append(event, ctx.identity));
    };
    try {
      let envelope: unknown;
      if (!ctx.batched) {
        const signed = await signCall({
          signer: ctx.identity,
          callId,
          tool: ctx.tool.name,
          args,
          policyHash: engine.hash,
        });
        envelope = signed.envelope;
      }
      await append('call.requested', {
        argsDigest,
        ...(ctx.sensitive ? {} : ctx.redactArgs(engine, args)),
        ...(envelope === undefined ? { signing: 'batched' } : { envelope }),
        policyHash: engine.hash,
        agentName: nameOf(ctx.identity),
        tags: ctx.tool.tags,
        labels: ctx.tool.labels,
      });
      await append('approval.refused', {
        ...(approver === undefined ? {} : { approver }),
        approvalCode,
        ...(decision === undefined ? {} : { decision: decisionRecord(decision) }),
        code: denial.code,
        reason: denial.reason,
      });
    } catch (error) {
      const lost: Denial = Object.freeze({
        ...denial,
        code: 'ERR_AUDIT_FAILED',
        reason: `${reason} (and the audit log is unavailable: ${message(error)})`,
      });
      throw new GuardError(lost, { cause: error });
    }
    emitSafely(ctx.events, 'denied', { callId, tool: ctx.tool.name, agent: self, denial });
    return denial;
  }

  return async function refuse(raw: unknown, options: RefuseOptions): Promise<Denial> {
    checkRefuseOptions(options);
    let args: unknown;
    let argsDigest: string;
    try {
      args = freezeArgs(raw);
      argsDigest = digestArgs(args);
    } catch (error) {
      throw new TypeError(`"args" expected JSON arguments: ${message(error)}`);
    }
    // A call whose tool already started (running or done) cannot be refused after the fact: the log would say
    // a human refused a call that ran. Checked and marked with no await between, as the run checks and marks.
    if (ctx.gate.started(options.callId)) {
      const reason = 'cannot refuse: this call already ran or is running (nothing was recorded)';
      throw new GuardError(
        Object.freeze({
          agentguard: 'refused',
          outcome: 'denied',
          code: 'ERR_CALL_ALREADY_RUN',
          reason,
          tool: ctx.tool.name,
          callId: options.callId,
          ruleId: null,
        }),
      );
    }
    // The mark comes first: whatever happens to the audit write, the call id is refused from now on.
    const refusal = ctx.gate.refuse(options.callId, ctx.tool.name, argsDigest, ctx.engine().hash);
    for (;;) {
      const pending = refusal.write;
      if (pending === undefined) break;
      try {
        // Already refused (or being refused): idempotent, nothing is written twice.
        return (await pending) as Denial;
      } catch {
        // That write failed; write again unless another caller already does.
        if (refusal.write === pending) break;
      }
    }
    const attempt = write(refusal, args, argsDigest, options);
    refusal.write = attempt;
    return attempt;
  };
}
