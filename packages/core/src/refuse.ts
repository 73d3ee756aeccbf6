import { bindArgs, signCall } from '@agentguard/attestation';
import type { AuditEvent, AuditLog } from '@agentguard/audit';
import type { Signer } from '@agentguard/identity';
import type { PolicyEngine } from '@agentguard/policy';
import { type CallArgs, digests } from './args.js';
import { type ApprovalGate, callKey, type Refusal } from './approvals.js';
import type { RecordedArgs } from './context.js';
import { type EngineView, viewEngine } from './decision.js';
import { type ApprovalRecordCode, type Denial, GuardError, makeDenial } from './errors.js';
import { type EventEmitter, emitSafely, type GuardEvents } from './events.js';
import { type StandardSchemaV1, validateWith } from './standard-schema.js';
import { CALL_ID, decisionRecord, message, nameOf } from './support.js';
import { ID_MAX_CHARS, type TextCleaner } from './text.js';

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
}

/** @internal What a guarded tool's `refuse` needs from its guard. */
export interface RefuseContext {
  readonly tool: {
    readonly name: string;
    readonly tags: readonly string[];
    readonly labels: readonly string[];
    readonly schema: StandardSchemaV1;
    readonly timeoutMs: number;
  };
  readonly sensitive: boolean;
  readonly batched: boolean;
  readonly identity: Signer;
  readonly audit: AuditLog;
  readonly gate: ApprovalGate;
  readonly events: EventEmitter<GuardEvents>;
  engine(): PolicyEngine;
  redactArgs(view: EngineView, args: unknown): RecordedArgs;
  readonly text: TextCleaner;
  /** Keys that never count as approvers: the agent's own, and its delegation chain's. */
  excludedApprovers(): readonly string[];
  flushGap(tool: string): Promise<void>;
  /** The guard's own session id. */
  readonly defaultSession: string;
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
export function createRefuse(ctx: RefuseContext): (args: unknown, options: RefuseOptions) => Promise<Denial> {
  const self = ctx.identity.id;

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
    let approvalCode: ApprovalRecordCode = 'ERR_POLICY_APPROVAL_REJECTED';
    let why = options.reason ?? 'declined without signing';
    if (options.approval !== undefined) {
      const request = {
        callId,
        tool: ctx.tool.name,
        agent: self,
        args: args.value,
        argsDigest: args.argsDigest,
        policyHash: decision?.policyHash ?? ('error' in view ? '' : view.hash),
        reason: text.clean(decision?.reason ?? ''),
        ruleId: decision?.ruleId ?? null,
      };
      const verdict = await ctx.gate
        .obtain(request, options.approval, ctx.excludedApprovers())
        .catch((error: unknown) => ({
          kind: 'refused' as const,
          code: 'ERR_GUARD_APPROVAL_FAILED' as const,
          reason: message(error),
        }));
      if (verdict.kind === 'refused' && verdict.code === 'ERR_POLICY_APPROVAL_REJECTED' && 'approver' in verdict) {
        // Signed by a trusted approver, bound to this very call and fresh: the audit may name them.
        approver = verdict.approver;
        why = verdict.reason;
      } else {
        // An approver name is only as good as its signature: anything short of a verified rejection of this
        // call is recorded without one (a refusal needs no proof, it can only make things stricter).
        approvalCode = verdict.kind === 'refused' ? verdict.code : 'ERR_POLICY_APPROVAL_MISMATCH';
        const problem = verdict.kind === 'refused' ? verdict.reason : 'a signed approval, not a rejection';
        why = `${why} (signed refusal not accepted: ${problem})`;
      }
    }
    const denial = makeDenial(text, {
      outcome: 'denied',
      code: 'ERR_GUARD_APPROVAL_REFUSED',
      reason: `approval refused: ${text.clean(why)}`,
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
      if ('error' in view) throw new Error(view.error);
      let envelope: unknown;
      if (!ctx.batched) {
        // The envelope binds the args as the framework holds them (received); the record, the run value.
        const signed = await signCall({
          signer: ctx.identity,
          callId,
          tool: ctx.tool.name,
          args: args.received,
          policyHash: view.hash,
        });
        envelope = signed.envelope;
      }
      await append('call.requested', {
        ...digests(args),
        ...(ctx.sensitive ? {} : ctx.redactArgs(view, args.value)),
        ...(envelope === undefined ? { signing: 'batched' } : { envelope }),
        policyHash: view.hash,
        agentName: nameOf(ctx.identity),
        session: text.clean(options.session ?? ctx.defaultSession, ID_MAX_CHARS),
        tags: ctx.tool.tags,
        labels: ctx.tool.labels,
      });
      await append('approval.refused', {
        ...(approver === undefined ? {} : { approver: text.clean(approver, 256) }),
        approvalCode: text.clean(approvalCode, 64),
        ...(decision === undefined ? {} : { decision: decisionRecord(decision, text) }),
        code: denial.code,
        reason: denial.reason,
      });
    } catch (error) {
      const lost = makeDenial(text, {
        ...denial,
        code: 'ERR_GUARD_AUDIT_FAILED',
        reason: `the refusal could not be recorded (${message(error)}): ${denial.reason}`,
      });
      throw new GuardError(lost, { cause: error });
    }
    emitSafely(ctx.events, 'denied', { callId, tool: ctx.tool.name, agent: self, denial });
    return denial;
  }

  return async function refuse(raw: unknown, options: RefuseOptions): Promise<Denial> {
    checkRefuseOptions(options);
    let received: unknown;
    let inputDigest: string;
    try {
      ({ args: received, digest: inputDigest } = bindArgs(raw));
    } catch (error) {
      throw new TypeError(`"args" expected JSON arguments: ${ctx.text.clean(message(error))}`);
    }
    // The same value as a run: the schema's output is what a parked decision and an approval are bound to.
    // Args the schema refuses never ran and never will: the refusal is bound to them as received.
    let args: CallArgs = { received, inputDigest, value: received, argsDigest: inputDigest };
    const parsed = await validateWith(ctx.tool.schema, received, ctx.tool.timeoutMs);
    if (parsed.ok) {
      try {
        const { args: value, digest: argsDigest } = bindArgs(parsed.value);
        args = { received, inputDigest, value, argsDigest };
      } catch {
        // Not plain JSON: such a call can never run either.
      }
    }
    const view = viewEngine(ctx.engine());
    // A call whose tool already started (running or done) cannot be refused after the fact: the log would say
    // a human refused a call that ran. Checked and marked with no await between, as the run checks and marks.
    if (ctx.gate.started(options.callId)) {
      const reason = 'cannot refuse: this call already ran or is running (nothing was recorded)';
      throw new GuardError(
        makeDenial(ctx.text, {
          outcome: 'denied',
          code: 'ERR_GUARD_CALL_ALREADY_RUN',
          reason,
          tool: ctx.tool.name,
          callId: options.callId,
        }),
      );
    }
    // The mark comes first: whatever happens to the audit write, the call id is refused from now on.
    const key = callKey(self, options.session ?? ctx.defaultSession, args.argsDigest);
    const refusal = ctx.gate.refuse(options.callId, ctx.tool.name, key, 'error' in view ? '' : view.hash);
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
