import type { Denial, GuardOutcome } from '@agentguard/core';
import {
  type ApprovalRequest,
  type ApproveFunction,
  askApprove,
  createAskedOnce,
  decidedArgs,
  type SignedApprovalLike,
} from '../common/approvals.js';
import type { NormalizedAdapterOptions } from '../common/options.js';
import { settle, settledText, unknownToolDenial } from '../common/outcome.js';
import { type RejectFunction, refuseCall } from '../common/refusals.js';
import { type AnyGuardedTool, parseArguments } from '../common/tools.js';

/** A Responses API `function_call` item (the part of it the dispatcher reads). */
export interface ResponsesFunctionCall {
  readonly type: string;
  readonly call_id?: string | null;
  readonly name?: unknown;
  readonly arguments?: unknown;
}

/** The answer to one function call, as Responses API input (`ResponseInputItem.FunctionCallOutput`). */
export interface ResponsesFunctionCallOutput {
  readonly type: 'function_call_output';
  readonly call_id: string;
  readonly output: string;
}

/** A call the policy sends to a human, held back by `responsesWithApprovals` until it is answered. */
export interface ResponsesApprovalRequest extends ApprovalRequest {
  /** The model's `function_call` item, to hand back to `answerApproval`. */
  readonly item: ResponsesFunctionCall;
}

/** What a human answered about a held call (as an AI SDK `tool-approval-response`). */
export interface ResponsesApprovalAnswer {
  /** `true` runs the call once it carries a signed approval the guard verifies; `false` refuses it. */
  readonly approved: boolean;
  /** Why the human refused (recorded, and in the Denial the model sees). */
  readonly reason?: string;
  /**
   * The human's signed approval or rejection (`createApproval`). Without one, an approved call is signed by
   * the dispatcher's `approve` option (none: the guard refuses it, `ERR_GUARD_APPROVAL_REQUIRED`), and a refusal
   * by its `reject` option or recorded unsigned.
   * @default none
   */
  readonly approval?: SignedApprovalLike;
}

/** @internal What `createToolDispatcher` gives the approval helpers. */
export interface ApprovalContext {
  readonly byName: ReadonlyMap<string, AnyGuardedTool>;
  readonly options: NormalizedAdapterOptions;
  readonly approve: ApproveFunction | undefined;
  readonly reject: RejectFunction | undefined;
}

const output = (callId: string, text: string): ResponsesFunctionCallOutput => ({
  type: 'function_call_output',
  call_id: callId,
  output: text,
});

/**
 * @internal Decides a call without running it: `null` when it may run now (allowed, or refused: the run
 * then reports that), or the request to put to a human.
 */
export async function heldFor(
  ctx: ApprovalContext,
  item: ResponsesFunctionCall,
  callId: string,
): Promise<ResponsesApprovalRequest | null> {
  const tool = typeof item.name === 'string' ? ctx.byName.get(item.name) : undefined;
  if (tool === undefined) return null;
  const args = parseArguments(item.arguments);
  let decision: Awaited<ReturnType<AnyGuardedTool['check']>>;
  try {
    decision = await tool.check(args, { callId });
  } catch {
    return null; // the run decides again, and refuses
  }
  if (decision.effect !== 'require_approval') return null;
  const { reason, ruleId } = decision;
  return Object.freeze({ callId, tool: tool.name, args: decidedArgs(decision, args), reason, ruleId, item });
}

/** @internal `answerApproval`: runs an approved call with its signed approval, or records a refusal. */
export function createAnswer(ctx: ApprovalContext) {
  const asked = createAskedOnce();
  return async function answerApproval(
    item: ResponsesFunctionCall,
    answer: ResponsesApprovalAnswer,
  ): Promise<ResponsesFunctionCallOutput> {
    const callId = item?.call_id;
    if (item?.type !== 'function_call' || typeof callId !== 'string' || callId.length === 0) {
      throw new TypeError('"item" expected a function_call item with a call_id');
    }
    if (typeof answer !== 'object' || answer === null || typeof answer.approved !== 'boolean') {
      throw new TypeError('"answer" expected { approved: boolean, reason?, approval? }');
    }
    const tool = typeof item.name === 'string' ? ctx.byName.get(item.name) : undefined;
    let outcome: GuardOutcome<unknown>;
    if (tool === undefined) {
      outcome = { ok: false, callId, denial: unknownToolDenial(item.name, callId) };
    } else if (!answer.approved) {
      const reason = typeof answer.reason === 'string' ? answer.reason : undefined;
      const denial: Denial = await refuseCall({ guarded: tool, reject: ctx.reject }, parseArguments(item.arguments), {
        callId,
        ...(reason === undefined ? {} : { reason }),
        ...(answer.approval === undefined ? {} : { approval: answer.approval }),
      });
      outcome = { ok: false, callId, denial };
    } else {
      const args = parseArguments(item.arguments);
      let approval = answer.approval ?? null;
      if (approval === null && ctx.approve !== undefined) {
        // The human's "yes" only makes the server's approver sign, once per call id; the guard verifies it.
        const decision = await tool.check(args, { callId });
        if (decision.effect === 'require_approval' && asked.first(callId)) {
          approval = await askApprove(ctx.approve, {
            callId,
            tool: tool.name,
            args: decidedArgs(decision, args),
            reason: decision.reason,
            ruleId: decision.ruleId,
          });
        }
      }
      outcome = await tool.safeRun(args, { callId, ...(approval === null ? {} : { approval }) });
    }
    return output(callId, settledText(settle(outcome, ctx.options)));
  };
}
