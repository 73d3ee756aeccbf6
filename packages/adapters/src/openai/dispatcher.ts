import type { GuardOutcome } from '@agentguard/core';
import { type AdapterOptions, normalizeAdapterOptions } from '../shared/options.js';
import { adapterDenial, settle, settledText, textOf, unknownToolDenial } from '../shared/outcome.js';
import { type AnyGuardedTool, indexTools, parseArguments } from '../shared/tools.js';

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

/** The answer to one function call, as Responses API input (`ResponseInputItem.FunctionCallOutput`). */
export interface ResponsesFunctionCallOutput {
  readonly type: 'function_call_output';
  readonly call_id: string;
  readonly output: string;
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
  /** Runs one call by tool name, raw JSON argument text and call id; returns the text the model is to see. */
  dispatch(name: string, args: string, callId: string): Promise<string>;
}

/**
 * Creates a dispatcher for hand-written tool loops over the `openai` SDK (Chat Completions or Responses):
 * every call the model makes goes through its guarded tool, keyed by the model's call id, which becomes
 * the call id of the envelope and the audit records. A call of a tool not in `tools` is refused (not run).
 *
 * @param tools - guarded tools (unique names).
 * @param options - see {@link AdapterOptions}.
 * @returns a frozen {@link ToolDispatcher}.
 * @throws TypeError on misuse; the dispatcher's methods throw `GuardError` for a refusal only with `onDenied: 'throw'`.
 * @example
 * ```ts
 * const dispatcher = createToolDispatcher([search]);
 * const completion = await client.chat.completions.create({ model, messages, tools: toChatCompletionsTools([search]) });
 * const message = completion.choices[0].message;
 * messages.push(message, ...(await dispatcher.chatCompletions(message)));
 * ```
 */
export function createToolDispatcher(tools: readonly AnyGuardedTool[], options?: AdapterOptions): ToolDispatcher {
  const byName = indexTools(tools);
  const normalized = normalizeAdapterOptions(options);

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
        const denial = adapterDenial('', id, 'a tool call needs its own call id (missing or given twice in one batch)');
        return settledText(settle({ ok: false, callId: textOf(id), denial }, normalized));
      }
      seen.add(id);
      return one(call, id);
    });
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
    async responses(output) {
      const items = Array.isArray(output)
        ? (output as readonly ResponsesOutputItem[])
        : (output as { output: readonly ResponsesOutputItem[] }).output;
      const calls = items.filter((item) => item?.type === 'function_call' && typeof item.call_id === 'string');
      const outputs = await Promise.all(
        runBatch(
          calls,
          (item) => item.call_id,
          (item, callId) => run(item.name, item.arguments, callId),
        ),
      );
      return calls.map((item, i) => ({
        type: 'function_call_output' as const,
        call_id: item.call_id as string,
        output: outputs[i] ?? '',
      }));
    },
  });
}
