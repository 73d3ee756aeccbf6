import { type AnyGuardedTool, indexTools, parametersOf } from '../common/tools.js';

/** A Chat Completions function tool definition (`ChatCompletionFunctionTool` of the `openai` SDK). */
export interface ChatCompletionsFunctionTool {
  readonly type: 'function';
  readonly function: {
    readonly name: string;
    readonly description?: string;
    readonly parameters: Record<string, unknown>;
    readonly strict: false;
  };
}

/** A Responses API function tool definition (`FunctionTool` of the `openai` SDK). */
export interface ResponsesFunctionTool {
  readonly type: 'function';
  readonly name: string;
  readonly description?: string;
  readonly parameters: Record<string, unknown>;
  readonly strict: false;
}

/**
 * Chat Completions tool definitions for guarded tools. `strict` is off: the guard validates arguments
 * with the tool's own schema, which may be richer than OpenAI's strict subset of JSON Schema.
 *
 * @param tools - guarded tools (unique names).
 * @returns the `tools` array of a `chat.completions.create` request.
 * @throws TypeError on misuse or duplicate names.
 * @example
 * ```ts
 * await client.chat.completions.create({ model, messages, tools: toChatCompletionsTools([search]) });
 * ```
 */
export function toChatCompletionsTools(tools: readonly AnyGuardedTool[]): ChatCompletionsFunctionTool[] {
  return [...indexTools(tools).values()].map((tool) => ({
    type: 'function',
    function: {
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      parameters: parametersOf(tool),
      strict: false,
    },
  }));
}

/**
 * Responses API tool definitions for guarded tools (`strict` off, as in {@link toChatCompletionsTools}).
 *
 * @param tools - guarded tools (unique names).
 * @returns the `tools` array of a `responses.create` request.
 * @throws TypeError on misuse or duplicate names.
 * @example
 * ```ts
 * await client.responses.create({ model, input, tools: toResponsesTools([search]) });
 * ```
 */
export function toResponsesTools(tools: readonly AnyGuardedTool[]): ResponsesFunctionTool[] {
  return [...indexTools(tools).values()].map((tool) => ({
    type: 'function',
    name: tool.name,
    ...(tool.description === undefined ? {} : { description: tool.description }),
    parameters: parametersOf(tool),
    strict: false,
  }));
}
