import { type FunctionTool, tool } from '@openai/agents';
import { type ApproveFunction, askApprove, checkApprove, createAskedOnce, decidedArgs } from '../common/approvals.js';
import { type AdapterOptions, normalizeAdapterOptions } from '../common/options.js';
import { callOptionsOf, settle, settledText } from '../common/outcome.js';
import { checkReject, type RejectFunction, register } from '../common/refusals.js';
import { type AnyGuardedTool, checkGuardedTool, indexTools, parametersOf, parseArguments } from '../common/tools.js';

/** Options of {@link toAgentsTool}. */
export interface AgentsToolOptions extends AdapterOptions {
  /**
   * Maps the policy's `require_approval` onto the SDK's `needsApproval` and the run's interruptions. With it,
   * `needsApproval` asks the guard (`check()`, nothing runs) and interrupts only calls the policy sends to a
   * human; a call the policy denies is never put to a human, its denial is the tool's result. When the app
   * then calls `state.approve(item)` and resumes, this function signs the approval on the server and the guard
   * verifies it before the tool runs. To refuse, call {@link rejectAgentsCall}`(state, item)` rather than
   * `state.reject(item)`: the tool never runs either way, but only the helper records the refusal in the
   * audit (the SDK calls no tool code for a rejected call).
   * @default undefined (no interruption: the guard's own `approvals.approver`, if any, decides)
   */
  readonly approve?: ApproveFunction;
  /**
   * Signs a human's refusal on the server when {@link rejectAgentsCall} records it, so the audit names the
   * approver. Without it the refusal is recorded unsigned (a refusal needs no proof).
   * @default undefined (unsigned refusals)
   */
  readonly reject?: RejectFunction;
}

type NonStrictParameters = {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  required: string[];
  additionalProperties: true;
};

// The Agents SDK's non-strict JSON Schema: the SDK then only parses the JSON text and hands the value on,
// so the guard is the one place arguments are validated (and a refusal of bad ones is audited).
function nonStrictParameters(guarded: AnyGuardedTool): NonStrictParameters {
  const schema = parametersOf(guarded);
  return {
    ...schema,
    type: 'object',
    properties: (schema.properties as NonStrictParameters['properties'] | undefined) ?? {},
    required: (schema.required as string[] | undefined) ?? [],
    additionalProperties: true,
  };
}

/**
 * Turns a guarded tool into an `@openai/agents` function tool. Every call the runner makes goes through
 * the guard under the model's call id; a refusal reaches the model as the tool's output, the Denial JSON
 * (the SDK would replace a thrown error's text with a generic message), and the tool never runs.
 *
 * @param guarded - a tool from `createGuard().guard(spec)`.
 * @param options - see {@link AgentsToolOptions}. With `onDenied: 'throw'` the `GuardError` rejects the run.
 * @returns a `FunctionTool` for `new Agent({ tools })`.
 * @throws TypeError on misuse.
 * @example
 * ```ts
 * const agent = new Agent({ name: 'support', instructions, tools: [toAgentsTool(ag.guard({ name: 'refund', schema, execute }))] });
 * ```
 */
export function toAgentsTool(guarded: AnyGuardedTool, options?: AgentsToolOptions): FunctionTool {
  checkGuardedTool(guarded);
  const normalized = normalizeAdapterOptions(options);
  const approve = checkApprove(options?.approve);
  const reject = checkReject(options?.reject);
  const asked = createAskedOnce();
  const created = tool({
    name: guarded.name,
    description: guarded.description ?? '',
    strict: false,
    parameters: nonStrictParameters(guarded),
    ...(normalized.onDenied === 'throw' ? { errorFunction: null } : {}),
    ...(approve === undefined
      ? {}
      : {
          needsApproval: async (_context: unknown, input: unknown, callId?: string) => {
            if (callId === undefined) return false; // no id to bind an approval to: the guard decides alone
            try {
              // A denial flows as the tool result; only what the policy sends to a human interrupts.
              return (await guarded.check(parseArguments(input), { callId })).effect === 'require_approval';
            } catch {
              return false; // no human step: execute then runs the guard, which refuses without an approval
            }
          },
        }),
    execute: async (input, _context, details) => {
      const callId = details?.toolCall?.callId;
      const args = parseArguments(input);
      let approval: Awaited<ReturnType<ApproveFunction>> = null;
      if (approve !== undefined && callId !== undefined) {
        // The SDK runs a call that needs approval only after state.approve(); ask again rather than remember,
        // so a run resumed from serialized state in another process is handled the same (the guard keeps
        // the decision under the call id, so limits are still counted once).
        // Asked once per call id: a state resumed twice gets no second signature.
        const decision = await guarded.check(args, { callId });
        if (decision.effect === 'require_approval' && asked.first(callId)) {
          approval = await askApprove(approve, {
            callId,
            tool: guarded.name,
            args: decidedArgs(decision, args),
            reason: decision.reason,
            ruleId: decision.ruleId,
          });
        }
      }
      const outcome = await guarded.safeRun(args, callOptionsOf({ callId, approval, signal: details?.signal }));
      return settledText(settle(outcome, normalized));
    },
  });
  return register(created as unknown as FunctionTool, { guarded, reject });
}

/**
 * Turns guarded tools into `@openai/agents` function tools (see {@link toAgentsTool}).
 *
 * @throws TypeError on misuse or duplicate names.
 */
export function toAgentsTools(tools: readonly AnyGuardedTool[], options?: AgentsToolOptions): FunctionTool[] {
  return [...indexTools(tools).values()].map((t) => toAgentsTool(t, options));
}
