import type { Denial } from '@agentguard/core';
import { createTool, type Tool, type ToolExecutionContext } from '@mastra/core/tools';
import { type ApproveFunction, askApprove, checkApprove, createAskedOnce, decidedArgs } from '../common/approvals.js';
import { type AdapterOptions, normalizeAdapterOptions } from '../common/options.js';
import { callOptionsOf, settle } from '../common/outcome.js';
import { checkReject, type RejectFunction, refuseCall } from '../common/refusals.js';
import { type AnyGuardedTool, checkGuardedTool, indexTools, parametersOf } from '../common/tools.js';
import { inputSchemaOf, type MastraResume, type MastraSuspend, parseResume } from './schema.js';

/** Options of {@link toMastraTool}. */
export interface MastraToolOptions extends AdapterOptions {
  /**
   * Maps the policy's `require_approval` onto Mastra's suspend and resume. A call the policy sends to a human
   * suspends the run (`finishReason: 'suspended'`, payload {@link MastraSuspend}, nothing run, nothing written
   * but the request); the app resumes it with `agent.resumeGenerate({ approved, reason? }, { runId, toolCallId })`.
   * Approved, this function signs the approval on the server and the guard verifies it before the tool runs;
   * refused, the refusal is recorded (`approval.refused`) and the model sees the Denial.
   * @default undefined (no suspension: the guard's own `approvals.approver`, if any, decides)
   */
  readonly approve?: ApproveFunction;
  /**
   * Signs a human's refusal on the server when a resumed call was refused, so the audit names the approver.
   * Without it the refusal is recorded unsigned (a refusal needs no proof).
   * @default undefined (unsigned refusals)
   */
  readonly reject?: RejectFunction;
}

/** A Mastra tool made from a guarded tool: its result is the tool's value, or the Denial the model sees. */
export type MastraGuardedTool = Tool<
  unknown,
  unknown,
  MastraSuspend,
  MastraResume,
  ToolExecutionContext<MastraSuspend, MastraResume>,
  string
>;

/**
 * Turns a guarded tool into a Mastra tool (`createTool`). Every call the agent makes goes through the guard
 * under the model's tool call id; a refusal reaches the model as the tool's result, the Denial JSON object,
 * and the tool never runs. Mastra is handed the tool's JSON Schema without a validator of its own, so the
 * guard validates arguments once and audits a refusal of bad ones.
 *
 * @param guarded - a tool from `createGuard().guard(spec)`.
 * @param options - see {@link MastraToolOptions}. With `onDenied: 'throw'` the `GuardError` is thrown into
 *   Mastra, which reports it to the model as a tool error.
 * @returns a Mastra tool for `new Agent({ tools: { [name]: tool } })`.
 * @throws TypeError on misuse.
 * @example
 * ```ts
 * const agent = new Agent({ id: 'support', name: 'support', instructions, model, tools: toMastraTools([refund]) });
 * ```
 */
export function toMastraTool(guarded: AnyGuardedTool, options?: MastraToolOptions): MastraGuardedTool {
  checkGuardedTool(guarded);
  const normalized = normalizeAdapterOptions(options);
  const approve = checkApprove(options?.approve);
  const reject = checkReject(options?.reject);
  const asked = createAskedOnce();
  const entry = { guarded, reject };
  return createTool({
    id: guarded.name,
    description: guarded.description ?? '',
    inputSchema: inputSchemaOf(parametersOf(guarded)),
    execute: async (input: unknown, context: ToolExecutionContext) => {
      const callId = context.agent?.toolCallId;
      const signal = context.abortSignal;
      const suspend = context.agent?.suspend ?? context.suspend;
      let approval: Awaited<ReturnType<ApproveFunction>> = null;
      if (approve !== undefined && callId !== undefined && suspend !== undefined) {
        const resume = parseResume(context.agent?.resumeData ?? context.resumeData);
        const decision = await guarded.check(input, { callId });
        if (decision.effect === 'require_approval') {
          const args = decidedArgs(decision, input);
          if (resume === undefined) {
            // Mastra's own human step: the run stops here and the app resumes it with the human's answer.
            await suspend({
              agentguard: 'approval-required',
              callId,
              tool: guarded.name,
              args,
              reason: decision.reason,
              ruleId: decision.ruleId,
            });
            return undefined;
          }
          if (!resume.approved) {
            const denial: Denial = await refuseCall(entry, args, {
              callId,
              ...(resume.reason === undefined ? {} : { reason: resume.reason }),
            });
            const refused = settle<unknown>({ ok: false, callId, denial }, normalized);
            return refused.ok ? refused.value : refused.denial;
          }
          // Asked once per call id: a run resumed twice gets no second signature (the guard then refuses it).
          if (asked.first(callId)) {
            approval = await askApprove(approve, {
              callId,
              tool: guarded.name,
              args,
              reason: decision.reason,
              ruleId: decision.ruleId,
            });
          }
        }
      }
      const outcome = await guarded.safeRun(input as never, callOptionsOf({ callId, approval, signal }));
      const settled = settle(outcome, normalized);
      return settled.ok ? settled.value : settled.denial;
    },
  }) as unknown as MastraGuardedTool;
}

/**
 * Turns guarded tools into Mastra tools keyed by name, as `new Agent({ tools })` takes them
 * (see {@link toMastraTool}).
 *
 * @throws TypeError on misuse or duplicate names.
 */
export function toMastraTools(
  tools: readonly AnyGuardedTool[],
  options?: MastraToolOptions,
): Record<string, MastraGuardedTool> {
  const out: Record<string, MastraGuardedTool> = {};
  for (const [name, t] of indexTools(tools)) out[name] = toMastraTool(t, options);
  return out;
}
