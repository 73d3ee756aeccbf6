import { extend } from './extend.js';
import type { ApprovalRecordCode } from './errors.js';
import type { CallArgs } from './args.js';
import { callKey, type Refusal } from './approvals.js';
import type { GuardContext } from './context.js';
import { type EngineView, viewEngine } from './decision.js';
import { recordedOwnEnvelope } from './envelope.js';
import { type Denial, GuardError, makeDenial } from './errors.js';
import { emitSafely } from './events.js';
import type { ToolIsolation } from './isolation.js';
import { CALL_ID } from './options.js';
import { prepareCall } from './prepare.js';
import { approvalRefusedData, openCall, requestRecord } from './records.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import { textOf } from './text.js';
import type { RefuseOptions } from './guarded-tool.js';

/** @internal What of a tool its `refuse` needs. */
export interface RefusedTool {
  readonly name: string;
  readonly tags: readonly string[];
  readonly labels: readonly string[];
  readonly schema: StandardSchemaV1;
  readonly timeoutMs: number;
  readonly sensitive: boolean;
  readonly batched: boolean;
  readonly isolation: ToolIsolation;
}

function checkRefuseOptions(options: RefuseOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  if (typeof options.callId !== 'string' || !CALL_ID.test(options.callId)) {
    const got = typeof options.callId === 'string' ? `${options.callId.length} characters` : typeof options.callId;
    throw new TypeError(`"callId" expected 1-256 printable ASCII characters without spaces, got ${got}`);
  }
  if (options.reason !== undefined && typeof options.reason !== 'string') {
    throw new TypeError(`"reason" expected a string, got ${typeof options.reason}`);
  }
}

/** @internal Builds `GuardedTool.refuse` for one tool. */
export function createRefuse(
  ctx: GuardContext,
  tool: RefusedTool,
): (args: unknown, options: RefuseOptions) => Promise<Denial> {
  const { self } = ctx;
  // Keys that never count as approvers: the agent's own, and its delegation chain's.
  const excludedApprovers = () => [...new Set([self, ...ctx.credentials.holders()])];

  async function write(
    refusal: Refusal,
    args: CallArgs,
    view: EngineView | { readonly error: string },
    options: RefuseOptions,
  ): Promise<Denial> {
    const { callId } = options;
    const { text } = ctx;
    const decision = refusal.decision;
    // The same two records as a refusal through the guard's own approver: the request, then approval.refused.
    let approver: string | undefined;
    let approvalCode: ApprovalRecordCode = 'ERR_ATTESTATION_APPROVAL_REJECTED';
    let why = options.reason ?? 'declined without signing';
    if (options.approval !== undefined) {
      const request = {
        callId,
        tool: tool.name,
        agent: self,
        args: args.value,
        argsDigest: args.argsDigest,
        policyHash: decision?.policyHash ?? ('error' in view ? '' : view.hash),
        reason: text.clean(decision?.reason ?? ''),
        ruleId: decision?.ruleId ?? null,
      };
      const verdict = await ctx.gate.obtain(request, options.approval, excludedApprovers()).catch((error: unknown) => ({
        kind: 'refused' as const,
        code: 'ERR_GUARD_APPROVAL_FAILED' as const,
        reason: textOf(error),
      }));
      if (verdict.kind === 'refused' && verdict.code === 'ERR_ATTESTATION_APPROVAL_REJECTED' && 'approver' in verdict) {
        // Signed by a trusted approver, bound to this very call and fresh: the audit may name them.
        approver = verdict.approver;
        why = verdict.reason;
      } else {
        // An approver name is only as good as its signature: anything short of a verified rejection of this
        // call is recorded without one (a refusal needs no proof, it can only make things stricter).
        approvalCode = verdict.kind === 'refused' ? verdict.code : 'ERR_ATTESTATION_APPROVAL_MISMATCH';
        const problem = verdict.kind === 'refused' ? verdict.reason : 'a signed approval, not a rejection';
        why = `${why} (signed refusal not accepted: ${problem})`;
      }
    }
    const denial = makeDenial(text, {
      outcome: 'denied',
      code: 'ERR_GUARD_APPROVAL_REFUSED',
      reason: `approval refused: ${text.clean(why)}`,
      tool: tool.name,
      callId,
      ruleId: decision?.ruleId ?? null,
    });
    // Always fail-closed: a refusal that cannot be written is reported, whatever the tool's auditFailure.
    const scope = openCall(ctx, { name: tool.name, batched: tool.batched, auditFailure: 'closed' }, callId);
    try {
      if ('error' in view) throw new Error(view.error);
      // The envelope binds the args as the framework holds them (received); the record, the run value.
      const envelope = await recordedOwnEnvelope(ctx, tool, callId, args.received, view.hash);
      const session = options.session ?? ctx.defaultSession;
      const seal = { callId: scope.callId, subject: options.subject };
      const request = await requestRecord(ctx, tool, { args, view, envelope, agent: self, session, seal });
      await scope.record('call.requested', request);
      const refused = approvalRefusedData(text, { code: approvalCode, approver, decision, isolation: tool.isolation });
      await scope.record('approval.refused', extend(refused, { code: denial.code, reason: denial.reason }));
    } catch (error) {
      const lost = makeDenial(
        text,
        extend(denial, {
          code: 'ERR_GUARD_AUDIT_FAILED' as const,
          reason: `the refusal could not be recorded (${textOf(error)}): ${denial.reason}`,
        }),
      );
      throw new GuardError(lost, { cause: error });
    }
    emitSafely(ctx.events, 'denied', { callId, tool: tool.name, agent: self }, { denial });
    return denial;
  }

  return async function refuse(raw: unknown, options: RefuseOptions): Promise<Denial> {
    checkRefuseOptions(options);
    // The same value as a run: the schema's output is what a parked decision and an approval are bound to.
    // Args the schema refuses never ran and never will: the refusal is bound to them as received.
    const prepared = await prepareCall(ctx, tool, raw, { callId: options.callId });
    let args: CallArgs;
    let view: EngineView | { readonly error: string };
    if (prepared.ok) {
      ({ args, view } = prepared);
    } else if (prepared.args !== undefined) {
      args = prepared.args;
      view = { error: prepared.reason };
    } else if (prepared.received !== undefined) {
      const digest = prepared.data.argsDigest as string;
      args = { received: prepared.received, inputDigest: digest, value: prepared.received, argsDigest: digest };
      view = viewEngine(ctx.engine());
    } else {
      throw new TypeError(`"args" expected JSON arguments: ${ctx.text.clean(prepared.reason)}`);
    }
    // A call whose tool already started (running or done) cannot be refused after the fact: the log would say
    // a human refused a call that ran. Checked and marked with no await between, as the run checks and marks.
    if (ctx.gate.started(options.callId)) {
      const reason = 'cannot refuse: this call already ran or is running (nothing was recorded)';
      throw new GuardError(
        makeDenial(ctx.text, {
          outcome: 'denied',
          code: 'ERR_GUARD_CALL_ALREADY_RUN',
          reason,
          tool: tool.name,
          callId: options.callId,
        }),
      );
    }
    // The mark comes first: whatever happens to the audit write, the call id is refused from now on.
    const key = callKey(self, options.session ?? ctx.defaultSession, args.argsDigest);
    const refusal = ctx.gate.refuse(options.callId, tool.name, key, 'error' in view ? '' : view.hash);
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
    const attempt = write(refusal, args, view, options);
    refusal.write = attempt;
    return attempt;
  };
}
