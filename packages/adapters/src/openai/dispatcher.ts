import type { GuardOutcome } from '@agentguard/core';
import { type ApproveFunction, checkApprove } from '../common/approvals.js';
import { type AdapterOptions, normalizeAdapterOptions } from '../common/options.js';
import { checkReject, type RejectFunction } from '../common/refusals.js';
import { adapterDenial, settle, settledText, textOf, unknownToolDenial } from '../common/outcome.js';
import { type AnyGuardedTool, indexTools, parseArguments } from '../common/tools.js';
import {
  type ApprovalContext,
  createAnswer,
  heldFor,
  type ResponsesApprovalAnswer,
  type ResponsesApprovalRequest,
  type ResponsesFunctionCall,
  type ResponsesFunctionCallOutput,
} from './approvals.js';

/** A tool call of a Chat Completions assistant message (`ChatCompletionMessageToolCall`). */
export interface ChatCompletionsToolCall {
  readonly id: string;
  readonly type: string;
  readonly function?: { readonly name: string; readonly arguments: string };
}

/** A tool message answering one call (`ChatCompletionToolMessageParam`). */
export interface ChatCompletionsToolMessage {
  readonly role: 'tool';
  readonly tool_call_id: string;
  readonly content: string;
}

/** An item of a Responses API output; only `function_call` items are handled. */
export interface ResponsesOutputItem {
  readonly type: string;
  readonly call_id?: string | null;
  readonly name?: unknown;
  readonly arguments?: unknown;
}

/** Options of {@link createToolDispatcher}. */
export interface ToolDispatcherOptions extends AdapterOptions {
  /**
   * Signs an approval on the server when {@link ToolDispatcher.answerApproval} is given `approved: true`
   * without a signed approval; the guard verifies it before the call runs.
   * @default undefined (an approved answer must carry the human's signed `approval`)
   */
  readonly approve?: ApproveFunction;
  /**
   * Signs a refusal on the server when {@link ToolDispatcher.answerApproval} is given `approved: false`
   * without a signed rejection, so the audit names the approver.
   * @default undefined (unsigned refusals)
   */
  readonly reject?: RejectFunction;
}

/** Runs a model's tool calls through guarded tools. */
export interface ToolDispatcher {
  /**
   * Runs the tool calls of a Chat Completions assistant message (in parallel) and returns one tool message
   * per call, in the order of the calls: the result, or the Denial JSON when refused.
   */
  chatCompletions(
    message: { readonly tool_calls?: readonly ChatCompletionsToolCall[] | null } | readonly ChatCompletionsToolCall[],
  ): Promise<ChatCompletionsToolMessage[]>;
  /**
   * Runs the `function_call` items of a Responses API output (in parallel) and returns one
   * `function_call_output` per call, in order: the result, or the Denial JSON when refused.
   */
  responses(
    output: { readonly output: readonly ResponsesOutputItem[] } | readonly ResponsesOutputItem[],
  ): Promise<ResponsesFunctionCallOutput[]>;
  /**
   * As {@link ToolDispatcher.responses}, but the calls the policy sends to a human are held back, not run:
   * `outputs` answers every other call (in order), `pending` lists the held ones with the arguments the
   * guard decided on. Once a human answered, {@link ToolDispatcher.answerApproval} gives each held call's
   * output; send all outputs together in the next request.
   */
  responsesWithApprovals(
    output: { readonly output: readonly ResponsesOutputItem[] } | readonly ResponsesOutputItem[],
  ): Promise<{ outputs: ResponsesFunctionCallOutput[]; pending: ResponsesApprovalRequest[] }>;
  /**
   * Answers a held call: `approved: true` runs it with the human's signed `approval` (or one the `approve`
   * option signs on the server), which the guard verifies (this call id, tool, arguments, policy; once);
   * `approved: false` records the refusal (`call.requested`, `approval.refused`, signed by `approval` or the
   * `reject` option when given) and the call id stays refused. Returns the call's `function_call_output`.
   * @throws TypeError on misuse; GuardError `ERR_GUARD_AUDIT_FAILED` when a refusal cannot be written,
   *   `ERR_GUARD_CALL_ALREADY_RUN` when refusing a call that already ran.
   */
  answerApproval(item: ResponsesFunctionCall, answer: ResponsesApprovalAnswer): Promise<ResponsesFunctionCallOutput>;
  /** Runs one call by tool name, raw JSON argument text and call id; returns the text the model is to see. */
  dispatch(name: string, args: string, callId: string): Promise<string>;
}

/**
 * Creates a dispatcher for hand-written tool loops over the `openai` SDK (Chat Completions or Responses):
 * every call the model makes goes through its guarded tool, keyed by the model's call id, which becomes
 * the call id of the envelope and the audit records. A call of a tool not in `tools` is refused (not run).
 *
 * @param tools - guarded tools (unique names).
 * @param options - see {@link ToolDispatcherOptions}.
 * @returns a frozen {@link ToolDispatcher}.
 * @throws TypeError on misuse; the dispatcher's methods throw `GuardError` for a refusal only with `onDenied: 'throw'`.
 * @example
 * ```ts
 * const dispatcher = createToolDispatcher([search]);
 * const completion = await client.chat.completions.create({ model, messages, tools: toChatCompletionsTools([search]) });
 * const message = completion.choices[0].message;
 * messages.push(message, ...(await dispatcher.chatCompletions(message)));
 *
 * // Responses, with a human in the loop for calls the policy sends to one:
 * const { outputs, pending } = await dispatcher.responsesWithApprovals(response);
 * for (const request of pending) outputs.push(await dispatcher.answerApproval(request.item, await askHuman(request)));
 * ```
 */
export function createToolDispatcher(
  tools: readonly AnyGuardedTool[],
  options?: ToolDispatcherOptions,
): ToolDispatcher {
  const byName = indexTools(tools);
  const normalized = normalizeAdapterOptions(options);
  const ctx: ApprovalContext = {
    byName,
    options: normalized,
    approve: checkApprove(options?.approve),
    reject: checkReject(options?.reject),
  };
  const answerApproval = createAnswer(ctx);

  async function run(name: unknown, args: unknown, callId: string): Promise<string> {
    // A Map lookup by the exact name: `constructor`, `__proto__` or a look-alike finds no tool.
    const tool = typeof name === 'string' ? byName.get(name) : undefined;
    const outcome: GuardOutcome<unknown> =
      tool === undefined
        ? { ok: false, callId, denial: unknownToolDenial(name, callId) }
        : await tool.safeRun(parseArguments(args), { callId });
    return settledText(settle(outcome, normalized));
  }

  // A call id given twice in one batch is refused after its first call: its records would mix with the
  // first call's, and the model could not tell which answer is which.
  function runBatch<C>(
    calls: readonly C[],
    idOf: (call: C) => unknown,
    one: (call: C, callId: string) => Promise<string>,
  ): Promise<string>[] {
    const seen = new Set<string>();
    return calls.map(async (call) => {
      const id = idOf(call);
      if (typeof id !== 'string' || id.length === 0 || seen.has(id)) {
        const reason = 'a tool call needs its own call id (missing or given twice in one batch)';
        const denial = adapterDenial({ code: 'ERR_GUARD_POLICY_DENIED', reason, tool: '', callId: id });
        return settledText(settle({ ok: false, callId: textOf(id), denial }, normalized));
      }
      seen.add(id);
      return one(call, id);
    });
  }

  async function responsesOf(
    output: { readonly output: readonly ResponsesOutputItem[] } | readonly ResponsesOutputItem[],
    hold: boolean,
  ): Promise<{ outputs: ResponsesFunctionCallOutput[]; pending: ResponsesApprovalRequest[] }> {
    const items = Array.isArray(output)
      ? (output as readonly ResponsesOutputItem[])
      : (output as { output: readonly ResponsesOutputItem[] }).output;
    const calls = items.filter((item) => item?.type === 'function_call' && typeof item.call_id === 'string');
    const held = new Map<number, ResponsesApprovalRequest>();
    const texts = await Promise.all(
      runBatch(
        calls,
        (item) => item.call_id,
        async (item, callId) => {
          const request = hold ? await heldFor(ctx, item, callId) : null;
          if (request === null) return run(item.name, item.arguments, callId);
          held.set(calls.indexOf(item), request);
          return '';
        },
      ),
    );
    const outputs = calls
      .map((item, i) => ({
        type: 'function_call_output' as const,
        call_id: item.call_id as string,
        output: texts[i] ?? '',
      }))
      .filter((_, i) => !held.has(i));
    return { outputs, pending: [...held.entries()].sort(([a], [b]) => a - b).map(([, request]) => request) };
  }

  return Object.freeze<ToolDispatcher>({
    dispatch: (name, args, callId) => run(name, args, callId),
    async chatCompletions(message) {
      const calls = Array.isArray(message)
        ? (message as readonly ChatCompletionsToolCall[])
        : ((message as { tool_calls?: readonly ChatCompletionsToolCall[] | null }).tool_calls ?? []);
      const contents = await Promise.all(
        runBatch(
          calls,
          (call) => call?.id,
          (call, callId) =>
            call.type === 'function' && call.function !== undefined
              ? run(call.function.name, call.function.arguments, callId)
              : Promise.resolve(
                  settledText(settle({ ok: false, callId, denial: unknownToolDenial(call.type, callId) }, normalized)),
                ),
        ),
      );
      return calls.map((call, i) => ({ role: 'tool' as const, tool_call_id: call?.id, content: contents[i] ?? '' }));
    },
    responses: async (output) => (await responsesOf(output, false)).outputs,
    responsesWithApprovals: (output) => responsesOf(output, true),
    answerApproval,
  });
}
