import type { Denial } from '@agentguard/core';
import type { jsonSchema, Tool, tool } from 'ai';
import { type ApproveFunction, askApprove, checkApprove, createAskedOnce, decidedArgs } from '../common/approvals.js';
import { type AdapterOptions, normalizeAdapterOptions } from '../common/options.js';
import { settle } from '../common/outcome.js';
import { checkReject, type RejectFunction, register } from '../common/refusals.js';
import { type AnyGuardedTool, checkGuardedTool, parametersOf } from '../common/tools.js';

/**
 * @internal The two AI SDK helpers the adapter uses, injected so that one implementation serves every major
 * (`ai` 6 and 7 export both with the same meaning; the conformance suite runs it on each).
 */
export interface AiSdkHelpers {
  readonly tool: typeof tool;
  readonly jsonSchema: typeof jsonSchema;
}

/** @internal See `toAiSdkTool`. */
export function buildAiSdkTool(
  ai: AiSdkHelpers,
  guarded: AnyGuardedTool,
  options?: AdapterOptions & { readonly approve?: ApproveFunction; readonly reject?: RejectFunction },
): Tool<unknown, unknown> {
  checkGuardedTool(guarded);
  const normalized = normalizeAdapterOptions(options);
  const approve = checkApprove(options?.approve);
  const reject = checkReject(options?.reject);
  const asked = createAskedOnce();
  const created = ai.tool<unknown, unknown>({
    ...(guarded.description === undefined ? {} : { description: guarded.description }),
    // No validator: the guard validates once with the tool's own schema, and audits invalid input.
    inputSchema: ai.jsonSchema<unknown>(parametersOf(guarded) as Parameters<typeof jsonSchema>[0]),
    // Tool-level needsApproval is honoured by ai 6 and ai 7 alike (ai 7's toolApproval is a per-call override).
    ...(approve === undefined
      ? {}
      : {
          needsApproval: async (input: unknown, { toolCallId }: { toolCallId: string }) => {
            // Only a call the policy sends to a human: a denied call is never put to one, its denial is the result.
            try {
              return (await guarded.check(input, { callId: toolCallId })).effect === 'require_approval';
            } catch {
              return false; // no human step: execute then runs the guard, which refuses without an approval
            }
          },
        }),
    execute: async (input, { toolCallId, abortSignal }): Promise<unknown> => {
      let approval: Awaited<ReturnType<ApproveFunction>> = null;
      if (approve !== undefined) {
        // The SDK executes a call needing approval only after a tool-approval-response with approved: true,
        // which may come from a client. That flag is not trusted: it only makes the server's approver sign,
        // and the guard verifies the signature (bound to this call id, tool, args and policy) before running.
        // Asked once per call id: a client replaying an approved response gets no second signature.
        const decision = await guarded.check(input, { callId: toolCallId });
        if (decision.effect === 'require_approval' && asked.first(toolCallId)) {
          approval = await askApprove(approve, {
            callId: toolCallId,
            tool: guarded.name,
            args: decidedArgs(decision, input),
            reason: decision.reason,
            ruleId: decision.ruleId,
          });
        }
      }
      const outcome = await guarded.safeRun(input, {
        callId: toolCallId,
        ...(approval === null ? {} : { approval }),
        ...(abortSignal === undefined ? {} : { signal: abortSignal }),
      });
      const settled = settle(outcome, normalized);
      return settled.ok ? settled.value : (settled.denial satisfies Denial);
    },
  });
  return register(created, { guarded, reject });
}
